// The generator and discriminator of pytorch/examples `dcgan` (Radford et al.), generalised to image sizes
// 16, 32, 64 and 128: the number of up/down-sampling stages is log2(size) − 2, so 64 gives exactly
// pytorch/examples' networks (G: 100 → 512 → 256 → 128 → 64 → nc for ngf 64). Layer indices, and therefore
// state-dict names, follow that file: G = [ConvT, BN, ReLU]×stages, ConvT, Tanh; D = Conv, LeakyReLU,
// [Conv, BN, LeakyReLU]×(stages−1), Conv (+ Sigmoid in PyTorch, index kept free here: the loss takes logits).
// Without batchnorm in D (`--d-norm none`, as WGAN-GP and SN-GAN use) the indices close up: Conv, LeakyReLU, …
// Spectrally normalised (`--spectral-norm`), every conv of that network uses W/σ(W) under PyTorch's names
// (weight_orig, weight_u, weight_v), as torch.nn.utils.spectral_norm applied to each conv of pytorch/examples' nets.
// Initialisation is pytorch/examples' weights_init (InitializeWeights), part of the model as there.
using System.Numerics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using ILGPU.Runtime;

namespace Dcgan.Nn.Models;

/// <summary>Network sizes. nc comes from the data set.</summary>
public sealed record ModelConfig(int ImageSize, int Channels, int Nz = 100, int Ngf = 64, int Ndf = 64)
{
    public static readonly int[] SupportedImageSizes = [16, 32, 64, 128];

    /// <summary>Doubling stages between 4×4 and the image size: 2 for 16, 3 for 32, 4 for 64, 5 for 128.</summary>
    public int Stages => SupportedImageSizes.Contains(ImageSize)
        ? (int)Math.Log2(ImageSize) - 2
        : throw new ArgumentException($"image size {ImageSize} is not one of 16, 32, 64, 128");

    public void Validate()
    {
        _ = Stages;
        if (Channels is < 1 or > 4) throw new ArgumentException($"channels {Channels} must be 1..4");
        if (Nz < 1 || Ngf < 1 || Ndf < 1) throw new ArgumentException("nz, ngf and ndf must be positive");
    }
}

public static class DcganModels
{
    public const float LeakySlope = 0.2f;

    /// <param name="spectralNorm">true: every ConvTranspose2d spectrally normalised.</param>
    public static Sequential<T> Generator<T>(ComputeDevice device, ModelConfig config, int batch, bool spectralNorm = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        config.Validate();
        var parameters = new ParameterArena<T>.Builder();
        var layers = new List<Layer<T>>();
        int stages = config.Stages;
        int channels = config.Ngf << (stages - 1);
        int size = 1;
        int inChannels = config.Nz;
        for (int stage = 0; stage < stages; stage++)
        {
            bool first = stage == 0;
            var conv = new ConvTranspose2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, size,
                channels, k: 4, stride: first ? 1 : 2, pad: first ? 0 : 1, spectralNorm);
            layers.Add(conv);
            layers.Add(new BatchNorm2dLayer<T>(device, parameters, $"main.{layers.Count}", conv.OutputShape));
            layers.Add(new ActivationLayer<T>(device, $"main.{layers.Count}", conv.OutputShape, ActivationKind.Relu));
            (inChannels, size) = (channels, conv.OutputShape[2]);
            channels /= 2;
        }
        var last = new ConvTranspose2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, size,
            config.Channels, k: 4, stride: 2, pad: 1, spectralNorm);
        layers.Add(last);
        layers.Add(new ActivationLayer<T>(device, $"main.{layers.Count}", last.OutputShape, ActivationKind.Tanh));
        return new Sequential<T>(device.Accelerator, parameters, layers) { ProfileName = "G" };
    }

    /// <param name="batchNorm">false: no batchnorm layers in D (`--d-norm none`).</param>
    /// <param name="spectralNorm">true: every Conv2d spectrally normalised.</param>
    public static Sequential<T> Discriminator<T>(ComputeDevice device, ModelConfig config, int batch, bool batchNorm = true,
        bool spectralNorm = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        config.Validate();
        var parameters = new ParameterArena<T>.Builder();
        var layers = new List<Layer<T>>();
        int size = config.ImageSize;
        int inChannels = config.Channels;
        int channels = config.Ndf;
        for (int stage = 0; stage < config.Stages; stage++)
        {
            var conv = new Conv2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, size,
                channels, k: 4, stride: 2, pad: 1, spectralNorm);
            layers.Add(conv);
            if (stage > 0 && batchNorm)
                layers.Add(new BatchNorm2dLayer<T>(device, parameters, $"main.{layers.Count}", conv.OutputShape));
            layers.Add(new ActivationLayer<T>(device, $"main.{layers.Count}", conv.OutputShape, ActivationKind.LeakyRelu, LeakySlope));
            (inChannels, size) = (channels, conv.OutputShape[2]);
            channels *= 2;
        }
        layers.Add(new Conv2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, size, 1, k: 4, stride: 1, pad: 0, spectralNorm));
        return new Sequential<T>(device.Accelerator, parameters, layers) { ProfileName = "D" };
    }

    /// <summary>
    /// pytorch/examples' weights_init: conv weights N(0, 0.02), batchnorm γ N(1, 0.02), β 0. Drawn on the host from
    /// the counter-based generator the device uses, seeded by <paramref name="seed"/> and offset by each parameter's
    /// arena position, so the initial weights are identical on every backend. Spectral norms' u and v start as
    /// normalize(N(0, 1)), drawn after the arena's positions, then settle for SpectralNormInitialIterations power
    /// iterations on the initial weights.
    /// </summary>
    public static void InitializeWeights<T>(Sequential<T> net, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var arena = net.Parameters;
        var batchNormWeights = net.Layers.OfType<BatchNorm2dLayer<T>>().Select(bn => bn.Gamma).ToHashSet();
        foreach (var p in arena.Parameters)
        {
            float[] values = p.Name.EndsWith(".bias", StringComparison.Ordinal) ? new float[p.Length]
                : NormalRngReference.Normal(seed, p.Offset, p.Length, mean: batchNormWeights.Contains(p) ? 1.0 : 0.0, std: 0.02);
            arena.ValueOf(p).CopyFromCPU(values.Select(T.CreateChecked).ToArray());
        }
        long offset = arena.Length;
        foreach (var conv in net.Layers.OfType<ConvLayerBase<T>>().Where(l => l.SpectralNorm is not null))
        {
            foreach (var vector in new[] { conv.SpectralNorm!.U, conv.SpectralNorm.V })
            {
                float[] values = NormalRngReference.Normal(seed, offset, (int)vector.Length);
                offset += vector.Length;
                double norm = Math.Max(Math.Sqrt(values.Sum(x => (double)x * x)), 1e-12);
                vector.CopyFromCPU(values.Select(x => T.CreateChecked(x / norm)).ToArray());
            }
            conv.SettleSpectralNorm(SpectralNormInitialIterations);
        }
    }

    /// <summary>
    /// Power iterations on the initial weights after u, v are drawn: torch.nn.utils.parametrizations.spectral_norm's
    /// 15 (the legacy torch.nn.utils.spectral_norm runs none, and its first σ from random u, v can be several times
    /// below the top singular value). A checkpoint carries u, v, so PyTorch continues from these.
    /// </summary>
    public const int SpectralNormInitialIterations = 15;
}

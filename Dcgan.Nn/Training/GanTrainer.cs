// One DCGAN training iteration on the device, as in pytorch/examples `dcgan/main.py`:
//
//   (1) D on a real batch, label 1:          errD_real = BCE(D(x), 1)       D(x)     = mean σ(D(x))
//   (2) D on G(z), detached, label 0:        errD_fake = BCE(D(G(z)), 0)    D(G(z))₁ = mean σ(D(G(z)))
//       Adam step on D (its gradients accumulated over both batches; the step clears them)
//   (3) G through the updated D, label 1:    errG = BCE(D(G(z)), 1)         D(G(z))₂
//       Adam step on G. D's parameter gradients from (3) are discarded (PyTorch zeroes them next iteration).
//
// Everything stays on the device; once per iteration a handful of scalars (losses, D outputs, gradient norms,
// one norm per parameter tensor, a non-finite flag) are copied back. All buffers are allocated in the
// constructor: Step allocates nothing.
// Divergence check (docs/reliability.md): one device flag, cleared at the start of the iteration, is raised by
// any non-finite value in D's gradients (before D's step), D's weights after its step, G's gradients, G's
// weights after its step, or the losses and D outputs; Step reports it with the iteration's numbers. The
// weights of a flagged iteration are not trusted: the run restores its last good checkpoint.
// Optional gradient clipping (ClipGradNorm, clip_grad_norm_ per network) scales each network's gradients by
// max / (‖g‖ + 1e−6) when below 1, reading ‖g‖ from device memory, before its Adam step. The reported norms are
// the norms before clipping (what clip_grad_norm_ returns).
// Noise for iteration t (1-based) is the normal sequence of the noise seed at offset (t−1)·B·nz, so a run
// resumed at iteration t draws exactly the noise the uninterrupted run would have drawn.
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Training;

/// <summary>What one iteration reports (the columns of losses.csv).</summary>
public readonly record struct IterationStats(
    float LossD, float LossG, float DX, float DGz1, float DGz2, float GradNormD, float GradNormG, bool NonFinite);

public sealed class GanTrainer : IDisposable
{
    // Slots of the scalar buffer read back once per iteration.
    const int ErrDReal = 0, ErrDFake = 1, ErrG = 2, DX = 3, DGz1 = 4, DGz2 = 5, NormD = 6, NormG = 7, ScalarCount = 8;

    readonly ComputeDevice device;
    readonly AcceleratorStream stream;
    readonly ModelConfig config;
    readonly int batch;
    readonly AdamSettings adam;
    readonly BceWithLogitsOps<float> bce;
    readonly AdamOps<float> adamOps;
    readonly ReductionOps<float> reductions;
    readonly TensorOps<float> tensors;
    readonly NormalRngOps rng;
    readonly GradClipOps<float> gradClip;
    readonly MemoryBuffer1D<float, Stride1D.Dense> real, noise, ones, zeros, dLogits, one, scalars, partials;
    readonly MemoryBuffer1D<float, Stride1D.Dense> tensorNorms, tensorNormScratch;
    readonly MemoryBuffer1D<int, Stride1D.Dense> nonFinite, segmentOffsets, segmentLengths;
    readonly int generatorTensors, discriminatorTensors;
    readonly float[] hostScalars = new float[ScalarCount];
    readonly float[] hostTensorNorms;
    readonly int[] hostFlag = new int[1];

    public Sequential Generator { get; }
    public Sequential Discriminator { get; }
    public ModelConfig Config => config;
    public int BatchSize => batch;
    public ulong Seed { get; }
    /// <summary>Adam steps taken so far (the same for G and D): the iteration count of the run.</summary>
    public int StepsTaken { get; set; }

    /// <summary>clip_grad_norm_'s max_norm, applied to each network's gradients before its step; null: no clipping.</summary>
    public double? ClipGradNorm { get; set; }

    /// <summary>Names of the per-tensor gradient norms: netG.main.0.weight, …, then netD.main.0.weight, ….</summary>
    public IReadOnlyList<string> TensorNormNames { get; }

    /// <summary>The last Step's gradient norm of every parameter tensor (before clipping), in TensorNormNames order.</summary>
    public ReadOnlySpan<float> TensorNorms => hostTensorNorms;

    public GanTrainer(ComputeDevice device, ModelConfig config, int batch, AdamSettings adam, ulong seed)
    {
        if (batch < 2)
            throw new ArgumentException($"batch size {batch} must be at least 2 (batchnorm needs two values per channel)");
        this.device = device;
        this.config = config;
        this.batch = batch;
        this.adam = adam;
        Seed = seed;
        var a = device.Accelerator;
        stream = a.DefaultStream;
        Generator = DcganModels.Generator(device, config, batch);
        Discriminator = DcganModels.Discriminator(device, config, batch);
        bce = BceWithLogitsOps<float>.On(device);
        adamOps = AdamOps<float>.On(device);
        reductions = ReductionOps<float>.On(device);
        tensors = TensorOps<float>.On(device);
        rng = NormalRngOps.On(device);
        gradClip = GradClipOps<float>.On(device);

        real = a.Allocate1D<float>(Count(Discriminator.InputShape));
        noise = a.Allocate1D<float>(Count(Generator.InputShape));
        ones = a.Allocate1D<float>(batch);
        zeros = a.Allocate1D<float>(batch);
        dLogits = a.Allocate1D<float>(batch);
        one = a.Allocate1D<float>(1);
        scalars = a.Allocate1D<float>(ScalarCount);
        partials = a.Allocate1D<float>(ReductionOps<float>.DefaultPartials);
        nonFinite = a.Allocate1D<int>(1);

        // One segment per parameter tensor, G's then D's, each a slice of its network's arena.
        var gParams = Generator.Parameters.Parameters;
        var dParams = Discriminator.Parameters.Parameters;
        generatorTensors = gParams.Count;
        discriminatorTensors = dParams.Count;
        TensorNormNames = [.. gParams.Select(p => "netG." + p.Name), .. dParams.Select(p => "netD." + p.Name)];
        int segments = generatorTensors + discriminatorTensors;
        segmentOffsets = a.Allocate1D(gParams.Select(p => p.Offset).Concat(dParams.Select(p => p.Offset)).ToArray());
        segmentLengths = a.Allocate1D(gParams.Select(p => p.Length).Concat(dParams.Select(p => p.Length)).ToArray());
        tensorNorms = a.Allocate1D<float>(segments);
        tensorNormScratch = a.Allocate1D<float>(segments * GradClipOps<float>.DefaultParts);
        hostTensorNorms = new float[segments];
        tensors.Fill(stream, 1f, ones.View);
        tensors.Fill(stream, 0f, zeros.View);
        tensors.Fill(stream, 1f, one.View);
        InitializeWeights();
    }

    /// <summary>Seed of an independent normal stream: weights of G, of D, the training noise, the fixed noise.</summary>
    public ulong StreamSeed(char purpose) => Seed * 0x9E3779B97F4A7C15UL + purpose;

    /// <summary>
    /// pytorch/examples' weights_init: conv weights N(0, 0.02), batchnorm γ N(1, 0.02), β 0. Drawn on the host
    /// from the same counter-based generator as the device, offset by the parameter's arena position, so the
    /// initial weights are identical on every backend.
    /// </summary>
    public void InitializeWeights()
    {
        foreach (var (net, purpose) in new[] { (Generator, 'G'), (Discriminator, 'D') })
        {
            var arena = net.Parameters;
            foreach (var p in arena.Parameters)
            {
                float[] values = p.Name.EndsWith(".bias", StringComparison.Ordinal) ? new float[p.Length]
                    : NormalRngReference.Normal(StreamSeed(purpose), p.Offset, p.Length,
                        mean: IsBatchNormWeight(net, p) ? 1.0 : 0.0, std: 0.02);
                arena.ValueOf(p).CopyFromCPU(values);
            }
        }
        StepsTaken = 0;
    }

    static bool IsBatchNormWeight(Sequential net, Parameter p) =>
        net.Layers.OfType<BatchNorm2dLayer>().Any(bn => bn.Gamma == p);

    /// <summary>Writes the noise of iteration <paramref name="iteration"/> (1-based) into the generator input.</summary>
    void DrawNoise(int iteration) =>
        rng.Normal(stream, StreamSeed('z'), (long)(iteration - 1) * noise.Length, noise.View);

    /// <summary>One iteration on a real batch (B·nc·H·W floats in [-1, 1], NCHW). Allocation-free.</summary>
    public IterationStats Step(ReadOnlySpan<float> realBatch)
    {
        if (realBatch.Length != real.Length)
            throw new ArgumentException($"real batch has {realBatch.Length} floats, expected {real.Length}");
        int iteration = StepsTaken + 1;
        var G = Generator;
        var D = Discriminator;
        var s = scalars.View;
        ((ArrayView<float>)real.View).CopyFromCPU(realBatch);
        reductions.ClearFlag(stream, nonFinite.View);

        // (1) D on the real batch, label 1.
        D.Forward(stream, real.View, training: true);
        bce.Forward(stream, D.Output, ones.View, s.SubView(ErrDReal, 1));
        bce.MeanSigmoid(stream, D.Output, s.SubView(DX, 1));
        bce.Backward(stream, D.Output, ones.View, one.View, dLogits.View);
        D.Backward(stream, real.View, dLogits.View, needInputGradient: false);

        // (2) D on G(z), label 0; G's output is treated as a constant (detached).
        DrawNoise(iteration);
        G.Forward(stream, noise.View, training: true);
        D.Forward(stream, G.Output, training: true);
        bce.Forward(stream, D.Output, zeros.View, s.SubView(ErrDFake, 1));
        bce.MeanSigmoid(stream, D.Output, s.SubView(DGz1, 1));
        bce.Backward(stream, D.Output, zeros.View, one.View, dLogits.View);
        D.Backward(stream, G.Output, dLogits.View, needInputGradient: false);
        GradientChecks(D, s.SubView(NormD, 1), generatorTensors, discriminatorTensors);
        adamOps.Step(stream, adam, iteration, D.Parameters.Values, D.Parameters.Gradients,
            D.Parameters.FirstMoment, D.Parameters.SecondMoment);
        reductions.FlagNonFinite(stream, D.Parameters.Values, nonFinite.View);

        // (3) G through the updated D, label 1.
        D.Forward(stream, G.Output, training: true);
        bce.Forward(stream, D.Output, ones.View, s.SubView(ErrG, 1));
        bce.MeanSigmoid(stream, D.Output, s.SubView(DGz2, 1));
        bce.Backward(stream, D.Output, ones.View, one.View, dLogits.View);
        // Only G learns from this pass: D's conv weight gradients are not computed (PyTorch's loop computes and
        // discards them), and the clear below wipes what remains (batchnorm's, and the D step's, which the next
        // D step would otherwise add to).
        D.Backward(stream, G.Output, dLogits.View, needInputGradient: true, needParameterGradients: false);
        tensors.Fill(stream, 0f, D.Parameters.Gradients);
        G.Backward(stream, noise.View, D.InputGradient, needInputGradient: false);
        GradientChecks(G, s.SubView(NormG, 1), 0, generatorTensors);
        reductions.FlagNonFinite(stream, s, nonFinite.View);
        adamOps.Step(stream, adam, iteration, G.Parameters.Values, G.Parameters.Gradients,
            G.Parameters.FirstMoment, G.Parameters.SecondMoment);
        reductions.FlagNonFinite(stream, G.Parameters.Values, nonFinite.View);

        stream.Synchronize();
        s.CopyToCPU(hostScalars);
        tensorNorms.View.CopyToCPU(hostTensorNorms);
        nonFinite.View.CopyToCPU(hostFlag);
        StepsTaken = iteration;
        var h = hostScalars;
        return new IterationStats(h[ErrDReal] + h[ErrDFake], h[ErrG], h[DX], h[DGz1], h[DGz2], h[NormD], h[NormG],
            hostFlag[0] != 0);
    }

    /// <summary>
    /// Before a network's Adam step: its global gradient norm, the norm of each of its parameter tensors
    /// (segments [first, first + count) of the norm buffer), the non-finite flag over its gradients, then the
    /// optional clip, which reads the global norm from device memory.
    /// </summary>
    void GradientChecks(Sequential net, ArrayView<float> norm, int first, int count)
    {
        var g = net.Parameters.Gradients;
        reductions.L2Norm(stream, g, partials.View, norm);
        int parts = GradClipOps<float>.DefaultParts;
        gradClip.SegmentNorms(stream, g, segmentOffsets.View.SubView(first, count), segmentLengths.View.SubView(first, count),
            tensorNormScratch.View.SubView(first * parts, count * parts), tensorNorms.View.SubView(first, count));
        reductions.FlagNonFinite(stream, g, nonFinite.View);
        if (ClipGradNorm is double max)
            gradClip.ClipByNorm(stream, g, norm, max);
    }

    static int Count(int[] shape) => shape.Aggregate(1, (x, y) => checked(x * y));

    public void Dispose()
    {
        foreach (var buffer in new[] { real, noise, ones, zeros, dLogits, one, scalars, partials, tensorNorms, tensorNormScratch })
            buffer.Dispose();
        foreach (var buffer in new[] { nonFinite, segmentOffsets, segmentLengths })
            buffer.Dispose();
        Generator.Dispose();
        Discriminator.Dispose();
    }
}

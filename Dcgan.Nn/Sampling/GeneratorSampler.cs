// Images from a generator checkpoint — ours or one exported from PyTorch with the same state-dict names.
// The network is rebuilt from the tensor shapes alone (no metadata needed):
//   main.0.weight [nz, c0, 4, 4]            the first ConvTranspose2d: nz and c0 = ngf·2^(stages−1)
//   ConvTranspose2d weights main.{3k}       one per stage plus the last; image size = 4·2^stages
//   last ConvTranspose2d weight [ngf, nc, 4, 4]
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;
using Dcgan.Nn.Reference;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Sampling;

public enum BatchNormMode { Eval, Batch }

public static class GeneratorSampler
{
    /// <summary>Infers the generator's configuration from a state dict's tensor shapes.</summary>
    public static ModelConfig InferConfig(SafetensorsFile file)
    {
        var convs = new List<long[]>();
        for (int i = 0; ; i += 3)
        {
            string name = $"main.{i}.weight";
            if (!file.Contains(name))
                name += "_orig"; // a spectrally normalised G
            if (!file.Contains(name))
                break;
            var shape = file.Get(name).Shape;
            if (shape.Length != 4 || shape[2] != 4 || shape[3] != 4)
                break;
            convs.Add(shape);
        }
        if (convs.Count < 3)
            throw new CheckpointException($"{file.Source}: not a DCGAN generator state dict " +
                "(expected ConvTranspose2d weights main.0.weight, main.3.weight, … (or weight_orig) of shape [in, out, 4, 4])");
        int stages = convs.Count - 1;
        int imageSize = 4 << stages;
        long nz = convs[0][0], ngf = convs[^1][0], nc = convs[^1][1];
        if (!ModelConfig.SupportedImageSizes.Contains(imageSize) || nz > int.MaxValue || ngf > int.MaxValue || nc is < 1 or > 4)
            throw new CheckpointException($"{file.Source}: generator of {convs.Count} transposed convolutions " +
                $"({imageSize}x{imageSize}, nz {nz}, ngf {ngf}, nc {nc}) is not one this tool builds");
        return new ModelConfig(imageSize, (int)nc, (int)nz, (int)ngf, Ndf: 64);
    }

    /// <summary>The N(0, 1) latent vectors `dcgan sample --seed` draws: the counter-based generator's stream.</summary>
    public static float[] Noise(ulong seed, int count, int nz) =>
        NormalRngReference.Normal(seed * 0x9E3779B97F4A7C15UL + 's', 0, checked(count * nz));

    /// <summary>Reads z [N, nz, 1, 1] (float32) from a safetensors file.</summary>
    public static float[] ReadNoise(string path, int nz, out int count)
    {
        var file = SafetensorsFile.Read(path);
        if (!file.Contains("z"))
            throw new CheckpointException($"{path}: no tensor 'z' (expected float32 z of shape [N, {nz}, 1, 1])");
        var t = file.Get("z");
        if (t.Dtype != SafetensorsDtype.F32 || t.Shape.Length != 4 || t.Shape[1] != nz || t.Shape[2] != 1 || t.Shape[3] != 1
            || t.Shape[0] < 1 || t.Shape[0] > 1024)
            throw new CheckpointException($"{path}: 'z' is {t.Dtype.HeaderName()} [{string.Join(", ", t.Shape)}], " +
                                          $"expected F32 [N, {nz}, 1, 1] with 1 ≤ N ≤ 1024");
        count = (int)t.Shape[0];
        return file.GetFloat32("z");
    }

    /// <summary>
    /// Spherical interpolation between consecutive anchors: rows × steps latent vectors, row r walking from
    /// anchor r to anchor r+1 (slerp keeps the norm typical of a Gaussian sample, unlike a straight line).
    /// </summary>
    public static float[] Interpolate(float[] anchors, int nz, int rows, int steps)
    {
        var z = new float[rows * steps * nz];
        for (int r = 0; r < rows; r++)
        {
            var a = anchors.AsSpan(r * nz, nz);
            var b = anchors.AsSpan((r + 1) * nz, nz);
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < nz; k++) { dot += a[k] * b[k]; na += a[k] * a[k]; nb += b[k] * b[k]; }
            double omega = Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1));
            for (int s = 0; s < steps; s++)
            {
                double t = steps == 1 ? 0 : s / (double)(steps - 1);
                double wa = omega < 1e-6 ? 1 - t : Math.Sin((1 - t) * omega) / Math.Sin(omega);
                double wb = omega < 1e-6 ? t : Math.Sin(t * omega) / Math.Sin(omega);
                var dst = z.AsSpan((r * steps + s) * nz, nz);
                for (int k = 0; k < nz; k++)
                    dst[k] = (float)(wa * a[k] + wb * b[k]);
            }
        }
        return z;
    }

    /// <summary>Runs the generator of <paramref name="checkpoint"/> on z; returns images [N, nc, H, W] in [-1, 1].</summary>
    public static float[] Generate(ComputeDevice device, SafetensorsFile checkpoint, ModelConfig config, float[] z, int count,
        BatchNormMode mode, out int[] shape) => Generate(device, checkpoint, config, z, count, mode, batch: count, out shape);

    /// <summary>
    /// As above, <paramref name="batch"/> images per pass (z holds count vectors, count a multiple of batch): with
    /// --bn-mode batch each pass normalises with its own batch's statistics, as training renders its grids.
    /// </summary>
    public static float[] Generate(ComputeDevice device, SafetensorsFile checkpoint, ModelConfig config, float[] z, int count,
        BatchNormMode mode, int batch, out int[] shape)
    {
        if (mode == BatchNormMode.Batch && batch < 2)
            throw new ArgumentException("--bn-mode batch needs at least 2 samples (batch statistics of one value are undefined)");
        if (batch < 1 || count % batch != 0 || z.Length != count * config.Nz)
            throw new ArgumentException($"{count} images in batches of {batch} from {z.Length / config.Nz} latent vectors");
        // A spectrally normalised G (--spectral-norm g|both) saves weight_orig/_u/_v: build the same network.
        bool spectralNorm = checkpoint.Names.Any(n => n.EndsWith(".weight_orig", StringComparison.Ordinal));
        using var generator = DcganModels.Generator<float>(device, config, batch, spectralNorm);
        StateDict.Load(checkpoint, generator);
        var accelerator = device.Accelerator;
        using var noise = accelerator.Allocate1D<float>(batch * config.Nz);
        int length = (int)generator.Output.Length;
        var images = new float[(long)length * (count / batch)];
        var chunk = new float[length];
        for (int start = 0; start < count; start += batch)
        {
            // A span (pinned while the copy runs), never CopyFromCPU(ref T, length), which does not pin.
            ((ArrayView<float>)noise.View).CopyFromCPU(z.AsSpan(start * config.Nz, batch * config.Nz));
            generator.Forward(accelerator.DefaultStream, noise.View, training: mode == BatchNormMode.Batch);
            accelerator.Synchronize();
            generator.Output.CopyToCPU(chunk);
            chunk.CopyTo(images.AsSpan(start / batch * length));
        }
        shape = [count, .. generator.OutputShape[1..]];
        return images;
    }
}

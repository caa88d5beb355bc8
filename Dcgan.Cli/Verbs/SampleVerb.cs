using System.CommandLine;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Imaging;
using Dcgan.Nn.Sampling;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan sample`: images from a generator checkpoint (ours or PyTorch's).</summary>
public static class SampleVerb
{
    static readonly Option<string?> Checkpoint = Options.Text("--checkpoint", "FILE|DIR",
        "generator weights (netG.safetensors from dcgan train, or a PyTorch export with pytorch/examples' state-dict " +
        "names; the network is rebuilt from the shapes), or a run directory: its EMA generator (netG_ema.safetensors) " +
        "when it has one, else its netG.safetensors");
    static readonly Option<int?> Count = Options.Int("--count", "N", "number of images", 1, 1024, fallback: 64);
    static readonly Option<int?> Seed = Options.Int("--seed", "N", "seed of the latent vectors", min: 0, fallback: 1, aliases: "--manualSeed");
    static readonly Option<string?> Noise = Options.Text("--noise", "FILE",
        "latent vectors instead: safetensors with float32 z of shape [N, nz, 1, 1]");
    static readonly Option<string?> Out = Options.Text("--out", "FILE", "grid image", "samples.png");
    static readonly Option<string?> TensorOut = Options.Text("--tensor-out", "FILE",
        "also write float32 'images' [N, nc, H, W] in [-1, 1] as safetensors");
    static readonly Option<string?> BnMode = Options.OneOf("--bn-mode", "eval|batch",
        "batchnorm with running statistics (eval) or this batch's statistics (batch)", ["eval", "batch"], "eval",
        (given, v) => $"{given} '{v}' must be eval or batch");
    static readonly Option<bool> Interpolate = Options.Switch("--interpolate",
        "a latent walk instead: 8 rows of 8 steps between 9 seeded anchors, as a grid (--out) and an animation (same name, .gif)");
    static readonly Option<string?> Device = Options.Device();

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("sample", "--checkpoint FILE [options]",
            "images from a generator checkpoint (ours or PyTorch's)")
            .With(Checkpoint, Count, Seed, Noise, Out, TensorOut, BnMode, Interpolate, Device);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult result, TextWriter stdout)
    {
        string checkpointPath = result.GetValue(Checkpoint)
            ?? throw new UsageException("dcgan sample: --checkpoint FILE is required (a generator's netG.safetensors)");
        int count = result.Value(Count);
        int seed = result.Value(Seed);
        string? noisePath = result.GetValue(Noise);
        string outPath = result.Value(Out);
        string? tensorOut = result.GetValue(TensorOut);
        string bnMode = result.Value(BnMode);
        bool interpolate = result.GetValue(Interpolate);
        string deviceSpec = result.Value(Device);
        var mode = bnMode == "eval" ? BatchNormMode.Eval : BatchNormMode.Batch;
        if (noisePath is not null && (interpolate || result.Given(Seed) || result.Given(Count)))
            throw new UsageException("dcgan sample: --noise fixes the latent vectors; leave out --seed, --count and --interpolate");

        if (Directory.Exists(checkpointPath))
        {
            string ema = Path.Combine(checkpointPath, Nn.Training.TrainingRun.EmaGeneratorFile);
            checkpointPath = File.Exists(ema) ? ema : Path.Combine(checkpointPath, "netG.safetensors");
            stdout.WriteLine($"generator: {checkpointPath}");
        }
        var checkpoint = SafetensorsFile.Read(checkpointPath);
        var config = GeneratorSampler.InferConfig(checkpoint);
        float[] z;
        int n;
        const int rows = 8, steps = 8;
        if (noisePath is not null)
            z = GeneratorSampler.ReadNoise(noisePath, config.Nz, out n);
        else if (interpolate)
        {
            n = rows * steps;
            z = GeneratorSampler.Interpolate(GeneratorSampler.Noise((ulong)seed, rows + 1, config.Nz), config.Nz, rows, steps);
        }
        else
        {
            n = count;
            z = GeneratorSampler.Noise((ulong)seed, n, config.Nz);
        }

        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        float[] images = GeneratorSampler.Generate(device, checkpoint, config, z, n, mode, out int[] shape);
        ImageGrid.SavePng(outPath, images, shape[0], shape[1], shape[2], shape[3]);
        stdout.WriteLine($"{n} images {shape[2]}x{shape[3]}x{shape[1]} from {checkpointPath} (nz {config.Nz}, ngf {config.Ngf}, " +
                         $"batchnorm {bnMode}) on {device.Describe()} -> {outPath}");
        if (interpolate)
        {
            // The walk as an animation: frame s shows step s of every row.
            int length = shape[1] * shape[2] * shape[3];
            using var gif = new GifAnimation(frameDelayMilliseconds: 120);
            var frame = new float[rows * length];
            for (int s = 0; s < steps; s++)
            {
                for (int r = 0; r < rows; r++)
                    images.AsSpan((r * steps + s) * length, length).CopyTo(frame.AsSpan(r * length));
                gif.AddFrame(ImageGrid.Compose(frame, rows, shape[1], shape[2], shape[3], new GridOptions(ImagesPerRow: rows)));
            }
            string gifPath = Path.ChangeExtension(outPath, ".gif");
            gif.Save(gifPath);
            stdout.WriteLine($"latent walk animation -> {gifPath}");
        }
        if (tensorOut is not null)
        {
            var writer = new SafetensorsWriter();
            writer.Add("images", shape, images);
            writer.Write(tensorOut);
            stdout.WriteLine($"images tensor [{string.Join(", ", shape)}] -> {tensorOut}");
        }
        return 0;
    }
}

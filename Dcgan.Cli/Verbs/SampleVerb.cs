using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Imaging;
using Dcgan.Nn.Sampling;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan sample`: images from a generator checkpoint (ours or PyTorch's).</summary>
public static class SampleVerb
{
    const string Help = """
        usage: dcgan sample --checkpoint netG.safetensors [options]

          --checkpoint FILE|DIR  generator weights (netG.safetensors from dcgan train, or a PyTorch export with
                                 pytorch/examples' state-dict names; the network is rebuilt from the shapes), or
                                 a run directory: its EMA generator (netG_ema.safetensors) when it has one, else
                                 its netG.safetensors
          --count N              number of images (default 64, at most 1024)
          --seed N               seed of the latent vectors (default 1)
          --noise FILE           latent vectors instead: safetensors with float32 z of shape [N, nz, 1, 1]
          --out FILE             grid image (default samples.png)
          --tensor-out FILE      also write float32 'images' [N, nc, H, W] in [-1, 1] as safetensors
          --bn-mode eval|batch   batchnorm with running statistics (default) or this batch's statistics
          --interpolate          a latent walk instead: 8 rows of 8 steps between 9 seeded anchors, as a grid
                                 (--out) and an animation (same name, .gif)
          --device D             auto | cuda[:i] | opencl[:i] | cpu (default auto)
        """;

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Contains("--help"))
        {
            stdout.WriteLine(Help);
            return 0;
        }
        var cl = new CommandLine("sample", args, new HashSet<string> { "interpolate" });
        string checkpointPath = cl.OptionalString("checkpoint")
            ?? throw new UsageException("dcgan sample: --checkpoint FILE is required (a generator's netG.safetensors)");
        int? count = cl.OptionalString("count") is null ? null : cl.Int("count", 64, 1, 1024);
        int seed = cl.Int("seed", 1, 0);
        string? noisePath = cl.OptionalString("noise");
        string outPath = cl.String("out", "samples.png");
        string? tensorOut = cl.OptionalString("tensor-out");
        string bnMode = cl.String("bn-mode", "eval");
        bool interpolate = cl.Flag("interpolate");
        string deviceSpec = cl.String("device", "auto");
        cl.RejectUnknown();
        var mode = bnMode switch
        {
            "eval" => BatchNormMode.Eval,
            "batch" => BatchNormMode.Batch,
            _ => throw new UsageException($"dcgan sample: --bn-mode '{bnMode}' must be eval or batch"),
        };
        if (noisePath is not null && (interpolate || cl.OptionalString("seed") is not null || count is not null))
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
            n = count ?? 64;
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

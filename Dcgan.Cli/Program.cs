// `dcgan`: the command line. Verbs only parse options, call Dcgan.Nn and render; no math lives here.
//
// Exit codes everywhere: 0 success, 1 failure, 2 bad usage. Errors are one line on stderr; the stack trace
// appears only with --verbose.
using Dcgan.Cli.Verbs;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Reporting;
using Dcgan.Nn.Training;

namespace Dcgan.Cli;

public static class Program
{
    const string Usage = """
        dcgan: a DCGAN whose every kernel is hand-written in ILGPU (CUDA, OpenCL, CPU)

        usage: dcgan <verb> [options]

          devices                           list every device ILGPU finds and which one --device auto picks
          train [options]                   train a DCGAN (default: bundled MNIST digits, 32x32); see dcgan train --help
          sample --checkpoint FILE          images from a generator checkpoint (ours or PyTorch's); see dcgan sample --help
          eval --checkpoint FILE|--images FILE
                                            the quality metric: classifier score, Fréchet distance, KID, precision,
                                            recall, against held-out real images; see dcgan eval --help
          report DIR [--out FILE]           report.html of a training run: options, losses, D's outputs, quality,
                                            the fixed-noise grids, gradient norms (dcgan train writes one itself)
          report DIR1 DIR2 … --out FILE     several runs side by side: options diffed, curves overlaid, grids
          score --images FILE               which digits a grid (or an images tensor) shows, by the training run's classifier
          classifier train [options]        train the classifier dcgan eval judges with (one ships for the bundled digits)
          gradcheck [--device D] [--op OP]  prove each op's backward kernels against finite differences (float64)
          bench kernels [--device D] [--op OP] [--variant N]
                                            validate, then time every kernel variant at the DCGAN layer shapes
          bench step [--device D] [--image-size N] ...
                                            time whole training iterations (images/s, per-op breakdown)

        Every verb takes --device auto|cuda[:i]|opencl[:i]|cpu where it runs kernels, --verbose for stack traces,
        and --help. Exit codes: 0 success, 1 failure, 2 bad usage.
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool verbose = args.Contains("--verbose");
        var rest = args.Where(a => a != "--verbose").ToArray();
        try
        {
            if (rest.Length == 0 || rest[0] is "--help" or "-h" or "help")
            {
                stdout.WriteLine(Usage);
                return rest.Length == 0 ? 2 : 0;
            }
            string verb = rest[0];
            var verbArgs = rest[1..];
            return verb switch
            {
                "devices" => DevicesVerb.Run(verbArgs, stdout),
                "gradcheck" => GradcheckVerb.Run(verbArgs, stdout),
                "train" => TrainVerb.Run(verbArgs, stdout),
                "sample" => SampleVerb.Run(verbArgs, stdout),
                "score" => ScoreVerb.Run(verbArgs, stdout),
                "eval" => EvalVerb.Run(verbArgs, stdout),
                "classifier" => ClassifierVerb.Run(verbArgs, stdout),
                "bench" => BenchVerb.Run(verbArgs, stdout),
                "report" => ReportVerb.Run(verbArgs, stdout),
                _ => throw new UsageException($"dcgan: unknown verb '{verb}' (verbs: devices, train, sample, eval, report, score, classifier, gradcheck, bench; see dcgan --help)"),
            };
        }
        catch (Exception e) when (e is UsageException or DeviceSelectionException { IsBadSyntax: true })
        {
            stderr.WriteLine(e is UsageException ? e.Message : $"dcgan: {e.Message}");
            if (verbose)
                stderr.WriteLine(e);
            return 2;
        }
        catch (Exception e)
        {
            stderr.WriteLine(e switch
            {
                DeviceSelectionException or DatasetException or CheckpointException or TrainingDivergedException
                    or TrainingCollapsedException or ReportException
                    or OutOfDeviceMemoryException or ArgumentException or IOException or UnauthorizedAccessException
                    => $"dcgan: {FirstLine(e.Message)}",
                _ when DeviceMemory.IsOutOfMemory(e) =>
                    $"dcgan: out of device memory ({e.GetType().Name}); try a smaller --batch-size, --image-size or --count",
                _ => $"dcgan: {e.GetType().Name}: {FirstLine(e.Message)} (run with --verbose for details)",
            });
            if (verbose)
                stderr.WriteLine(e);
            return 1;
        }
    }

    static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n');
        return newline < 0 ? message : message[..newline].TrimEnd();
    }
}

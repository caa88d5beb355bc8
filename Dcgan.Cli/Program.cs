// `dcgan`: the command line. Verbs only parse options, call Dcgan.Nn and render; no math lives here.
//
// Exit codes everywhere: 0 success, 1 failure, 2 bad usage. Errors are one line on stderr; the stack trace
// appears only with --verbose.
using System.CommandLine;
using System.CommandLine.Help;
using Dcgan.Cli.Verbs;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Reporting;
using Dcgan.Nn.Training;

namespace Dcgan.Cli;

public static class Program
{
    /// <summary>Every verb's: HelpText lists it under each verb's options.</summary>
    static readonly Option<bool> Verbose = new("--verbose") { Description = "stack traces on errors", Recursive = true };

    /// <summary>Every verb, declared once; parsing, help and the README's option tables follow from it.</summary>
    internal static readonly RootCommand Root = Build();

    static RootCommand Build()
    {
        var root = new RootCommand("dcgan: a DCGAN whose every kernel is hand-written in ILGPU (CUDA, OpenCL, CPU)");
        root.Options.Add(Verbose);
        foreach (var verb in new[] { DevicesVerb.Command, TrainVerb.Command, SampleVerb.Command, EvalVerb.Command,
                     ReportVerb.Command, ScoreVerb.Command, ClassifierVerb.Command, GradcheckVerb.Command, BenchVerb.Command })
            root.Subcommands.Add(verb);
        foreach (var help in root.Options.OfType<HelpOption>())
            help.Action = new HelpText();
        // dcgan's own version, also when another program hosts it (System.CommandLine prints the entry assembly's).
        foreach (var version in root.Options.OfType<VersionOption>())
            version.Action = new VersionText();
        // `dcgan` alone: the verbs, as bad usage.
        root.SetAction(result =>
        {
            HelpText.Write(root, result.InvocationConfiguration.Output);
            return 2;
        });
        return root;
    }

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool verbose = args.Contains("--verbose");
        try
        {
            var result = Root.Parse(args is ["help", .. var rest] ? [.. rest, "--help"] : args);
            verbose |= result.GetValue(Verbose);
            // --help and --version answer even beside bad usage, as System.CommandLine's own actions do.
            if (result.Action is not System.CommandLine.Invocation.SynchronousCommandLineAction { ClearsParseErrors: true })
                CommandLine.Check(result);
            return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
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

/// <summary>`dcgan --version`: the informational version, which carries the commit it was built from.</summary>
internal sealed class VersionText : System.CommandLine.Invocation.SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult result)
    {
        var assembly = typeof(Program).Assembly;
        result.InvocationConfiguration.Output.WriteLine(
            assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString());
        return 0;
    }
}

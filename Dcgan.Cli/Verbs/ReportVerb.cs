using System.CommandLine;
using Dcgan.Nn.Reporting;

namespace Dcgan.Cli.Verbs;

/// <summary>
/// `dcgan report DIR`: the run directory's report.html (Dcgan.Nn/Reporting/RunReport.cs), as training writes it;
/// `dcgan report DIR1 DIR2 … --out FILE`: the runs side by side on one page (CompareReport.cs).
/// </summary>
public static class ReportVerb
{
    static readonly Argument<string[]> Dirs = new("DIR")
    {
        Description = "a run directory of dcgan train (several: a comparison, and --out is required)",
        Arity = ArgumentArity.ZeroOrMore,
    };
    static readonly Option<string?> Out = Options.Text("--out", "FILE",
        "where to write the page (default DIR/report.html); images are linked relative to it");
    static readonly Option<bool> Embed = Options.Switch("--embed-images",
        "put the images into the page as data: URIs, so that the one file can travel alone");
    static readonly Option<bool> TensorBoard = Options.Switch("--tensorboard",
        "also write the run as TensorBoard events to DIR/events.out.tfevents.<time>.<host>.dcgan-report (replacing the one " +
        "an earlier --tensorboard wrote): losses.csv and metrics.csv as scalars, the grids as images, histograms of the " +
        "saved weights; then tensorboard --logdir runs. The gradient histograms are written only while training " +
        "(dcgan train --tensorboard)");

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("report", "DIR [--out FILE] [--embed-images] [--tensorboard] | DIR1 DIR2 … --out FILE [--embed-images]",
            "report.html of a training run (dcgan train writes one itself), or several runs side by side", """
            Writes one self-contained HTML page about a training run (finished, stopped or still running): its options,
            recipe, device and events; Loss_D and Loss_G (smoothing slider, log scale); D(x) and D(G(z)) (or the
            critic's outputs and W); the quality metric per epoch against real held-out images; the fixed-noise grid at
            every saved step (slider, play) beside real_samples.png; every tensor's gradient norm as a heatmap. Panels
            whose files the run lacks say so. dcgan train writes DIR/report.html itself at every checkpoint.

            With several run directories, one page compares them: their facts, recipes and options as one table (the
            rows that differ highlighted); Loss_D, Loss_G, D's outputs and the quality metric overlaid, one colour per
            run; their fixed-noise grids side by side at one iteration (a slider over the iterations any run saved a
            grid at; a run without a grid there shows its nearest one, and says so). A run that lacks a file gets a
            note in that panel.

            The page needs no network: data, styles and scripts are inline (charts: uPlot 1.6.32, MIT).
            """).With(Out, Embed, TensorBoard);
        verb.Arguments.Add(Dirs);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult parse, TextWriter stdout)
    {
        string[] dirs = parse.GetValue(Dirs) ?? [];
        if (dirs.Length == 0)
            throw new UsageException("dcgan report: a run directory is required: dcgan report DIR [--out FILE] [--embed-images]");
        string? outFile = parse.GetValue(Out);
        bool embed = parse.GetValue(Embed);
        bool tensorBoard = parse.GetValue(TensorBoard);
        if (tensorBoard && dirs.Length > 1)
            throw new UsageException("dcgan report: --tensorboard writes one run's events into its directory; give one DIR (tensorboard --logdir shows several)");

        ReportResult result;
        if (dirs.Length == 1)
        {
            outFile ??= Path.Combine(dirs[0], RunReport.FileName);
            result = RunReport.Write(dirs[0], outFile, embed);
        }
        else
        {
            if (outFile is null)
                throw new UsageException($"dcgan report: comparing {dirs.Length} run directories needs --out FILE (where to write the page)");
            if (dirs.GroupBy(d => Path.GetFullPath(d).TrimEnd(Path.DirectorySeparatorChar)).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new UsageException($"dcgan report: {twice.Last()} is given twice");
            result = CompareReport.Write(dirs, outFile, embed);
        }
        long bytes = new FileInfo(outFile).Length;
        string runs = dirs.Length == 1 ? "" : $", {dirs.Length} runs";
        stdout.WriteLine($"wrote {outFile} ({bytes / 1024.0:F0} kB{runs}{(embed ? ", images embedded" : "")})");
        if (result.Absent.Count > 0)
            stdout.WriteLine(dirs.Length == 1
                ? $"not in this run: {string.Join(", ", result.Absent)} (their panels say so)"
                : $"not in every run: {string.Join("; ", result.Absent)} (their panels say so)");
        if (tensorBoard)
            WriteTensorBoard(dirs[0], stdout);
        return 0;
    }

    static void WriteTensorBoard(string dir, TextWriter stdout)
    {
        var (file, c) = TensorBoardExport.WriteReportFile(dir);
        string steps = c.FirstStep is null ? "no steps" : $"steps {c.FirstStep}-{c.LastStep}";
        stdout.WriteLine($"wrote {file} ({steps}: {c.Scalars} scalars, {c.Images} images, {c.WeightHistograms} weight histograms)");
        stdout.WriteLine("no gradient histograms: a run's files keep no gradients (dcgan train --tensorboard writes them at its checkpoints)");
    }
}

using Dcgan.Nn.Reporting;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan report DIR`: the run directory's report.html (Dcgan.Nn/Reporting/RunReport.cs), as training writes it.</summary>
public static class ReportVerb
{
    const string Help = """
        usage: dcgan report DIR [--out FILE] [--embed-images]

        Writes one self-contained HTML page about a training run (finished, stopped or still running): its options,
        recipe, device and events; Loss_D and Loss_G (smoothing slider, log scale); D(x) and D(G(z)) (or the
        critic's outputs and W); the quality metric per epoch against real held-out images; the fixed-noise grid at
        every saved step (slider, play) beside real_samples.png; every tensor's gradient norm as a heatmap. Panels
        whose files the run lacks say so. dcgan train writes DIR/report.html itself at every checkpoint.

          DIR              a run directory of dcgan train
          --out FILE       where to write the page (default DIR/report.html); images are linked relative to it
          --embed-images   put the images into the page as data: URIs, so that the one file can travel alone

        The page needs no network: data, styles and scripts are inline (charts: uPlot 1.6.32, MIT).
        """;

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Contains("--help"))
        {
            stdout.WriteLine(Help);
            return 0;
        }
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            throw new UsageException("dcgan report: a run directory is required: dcgan report DIR [--out FILE] [--embed-images]");
        string dir = args[0];
        var cl = new CommandLine("report", args[1..], new HashSet<string> { "embed-images" });
        string? outFile = cl.OptionalString("out");
        bool embed = cl.Flag("embed-images");
        cl.RejectUnknown();

        outFile ??= Path.Combine(dir, RunReport.FileName);
        var result = RunReport.Write(dir, outFile, embed);
        long bytes = new FileInfo(outFile).Length;
        stdout.WriteLine($"wrote {outFile} ({bytes / 1024.0:F0} kB{(embed ? ", images embedded" : "")})");
        if (result.Absent.Count > 0)
            stdout.WriteLine($"not in this run: {string.Join(", ", result.Absent)} (their panels say so)");
        return 0;
    }
}

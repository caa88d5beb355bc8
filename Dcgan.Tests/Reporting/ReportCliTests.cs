using Dcgan.Nn.Reporting;
using Dcgan.Tests.Cli;

namespace Dcgan.Tests.Reporting;

/// <summary>`dcgan report` as a user meets it, and report.html as a training run writes it.</summary>
public sealed class ReportCliTests
{
    static void AssertOneLineFailure((int Code, string Out, string Err) r, int code, string contains)
    {
        Assert.That(r.Code, Is.EqualTo(code), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Contain(contains));
    }

    [Test]
    public void ReportWritesDirReportHtmlAndNamesWhatTheRunLacks()
    {
        string dir = ReportRuns.CopyFixture("old-run");
        var (code, output, err) = CliRunner.Run("report", dir);
        Assert.That(code, Is.EqualTo(0), err);
        string page = Path.Combine(dir, RunReport.FileName);
        Assert.That(File.Exists(page));
        Assert.That(output, Does.StartWith($"wrote {page} ("));
        Assert.That(output, Does.Contain("not in this run: metrics.csv, fake_samples_*.png, real_samples.png, grad_norms.csv"));
        Assert.That(Directory.GetFiles(dir, "*.tmp-*"), Is.Empty, "written atomically");
    }

    [Test]
    public void APageElsewhereLinksTheRunsImagesRelativeToItself()
    {
        string run = ReportRuns.RealRun();
        string page = Path.Combine(ReportRuns.Root, "pages", "deeper", "real.html");
        Directory.CreateDirectory(Path.GetDirectoryName(page)!);
        var (code, _, err) = CliRunner.Run("report", run, "--out", page);
        Assert.That(code, Is.EqualTo(0), err);
        var doc = ReportRuns.Parse(File.ReadAllText(page));
        var links = doc.QuerySelectorAll("img").Select(i => i.GetAttribute("src")!)
            .Concat(ReportRuns.Data(doc)["grids"]!.AsArray().Select(g => (string)g!["src"]!)).ToList();
        Assert.That(links, Is.Not.Empty);
        foreach (string src in links)
        {
            Assert.That(src, Does.StartWith("../../"));
            Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(src))), src);
        }
    }

    [Test]
    public void EmbedImagesPutsEveryImageIntoThePage()
    {
        string run = ReportRuns.RealRun();
        string page = Path.Combine(ReportRuns.Root, "embedded.html");
        var (code, output, err) = CliRunner.Run("report", run, "--out", page, "--embed-images");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("images embedded"));
        var doc = ReportRuns.Parse(File.ReadAllText(page));
        var data = ReportRuns.Data(doc);
        var sources = doc.QuerySelectorAll("img").Select(i => i.GetAttribute("src")!)
            .Concat(data["grids"]!.AsArray().Select(g => (string)g!["src"]!)).ToList();
        const string prefix = "data:image/png;base64,";
        Assert.That(sources, Has.All.StartWith(prefix));
        var grids = data["grids"]!.AsArray();
        foreach (var g in grids)
            Assert.That(Convert.FromBase64String(((string)g!["src"]!)[prefix.Length..]),
                Is.EqualTo(File.ReadAllBytes(Path.Combine(run, (string)g["file"]!))), (string?)g["file"]);
        Assert.That(File.ReadAllText(page), Does.Not.Contain("http://").And.Not.Contain("https://"));
    }

    [Test]
    public void BadUsageAndDirectoriesThatAreNoRunsAreOneLine()
    {
        AssertOneLineFailure(CliRunner.Run("report"), 2, "dcgan report: a run directory is required");
        AssertOneLineFailure(CliRunner.Run("report", "--out", "x.html"), 2, "a run directory is required");
        AssertOneLineFailure(CliRunner.Run("report", ReportRuns.Root, "--colour", "red"), 2, "--colour");

        string missing = Path.Combine(ReportRuns.Root, "no-such-run");
        AssertOneLineFailure(CliRunner.Run("report", missing), 1, $"dcgan: {missing}: no such directory");
        string empty = Path.Combine(ReportRuns.Root, "empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        AssertOneLineFailure(CliRunner.Run("report", empty), 1, $"dcgan: {empty}: not a run directory (neither run.json nor losses.csv in it)");
        File.WriteAllText(Path.Combine(empty, "run.json"), "{ \"state\": ");
        AssertOneLineFailure(CliRunner.Run("report", empty), 1, "run.json: not valid JSON");
        Assert.That(File.Exists(Path.Combine(empty, RunReport.FileName)), Is.False);
    }

    [Test]
    public void ComparingNeedsRunDirectoriesAndAnOutFile()
    {
        string a = ReportRuns.CopyFixture("old-run"), b = ReportRuns.CopyFixture("old-run");
        string page = Path.Combine(ReportRuns.Root, "compare-" + Guid.NewGuid().ToString("N") + ".html");
        AssertOneLineFailure(CliRunner.Run("report", a, b), 2, "dcgan report: comparing 2 run directories needs --out FILE");
        AssertOneLineFailure(CliRunner.Run("report", a, b, a + "/", "--out", page), 2, $"dcgan report: {a}/ is given twice");

        // A directory that is not a run fails the whole comparison, as it fails a single report: nothing is written.
        string empty = Path.Combine(ReportRuns.Root, "empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        AssertOneLineFailure(CliRunner.Run("report", a, empty, b, "--out", page), 1,
            $"dcgan: {empty}: not a run directory (neither run.json nor losses.csv in it)");
        string missing = Path.Combine(ReportRuns.Root, "no-such-run");
        AssertOneLineFailure(CliRunner.Run("report", a, missing, "--out", page), 1, $"dcgan: {missing}: no such directory");
        Assert.That(File.Exists(page), Is.False);

        var (code, output, err) = CliRunner.Run("report", a, b, "--out", page);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.StartWith($"wrote {page} (").And.Contain("kB, 2 runs)"));
        string na = Path.GetFileName(a), nb = Path.GetFileName(b);
        Assert.That(output, Does.Contain($"not in every run: {na}: metrics.csv; {nb}: metrics.csv; {na}: fake_samples_*.png; {nb}: fake_samples_*.png " +
                                         "(their panels say so)"));
        Assert.That(Directory.GetFiles(ReportRuns.Root, "*.tmp-*"), Is.Empty, "written atomically");
        Assert.That(File.Exists(Path.Combine(a, RunReport.FileName)), Is.False, "a comparison writes no run's report.html");
    }

    [Test]
    public void ARunStoppedByDivergenceLeavesAReportOfWhatHappened()
    {
        TestDevices.Get("opencl");
        string run = Path.Combine(ReportRuns.Root, "diverged-" + Guid.NewGuid().ToString("N"));
        var (code, _, err) = CliRunner.Run("train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4",
            "--nz", "5", "--ngf", "4", "--ndf", "4", "--iterations", "6", "--lr", "1e30", "--on-divergence", "stop",
            "--checkpoint-every", "1", "--device", "opencl", "--quiet", "--out", run);
        Assert.That(code, Is.EqualTo(1), err);
        var page = ReportRuns.Parse(File.ReadAllText(Path.Combine(run, RunReport.FileName)));
        Assert.That(page.QuerySelector("header .state")!.TextContent, Is.EqualTo("stopped (divergence)"));
        var divergence = page.QuerySelector("tr.event-divergence");
        Assert.That(divergence, Is.Not.Null, "the divergence is in the events table");
        Assert.That(divergence!.TextContent, Does.Contain("action stop"));
        Assert.That(page.QuerySelector("pre.log")!.TextContent, Does.Contain("stopped"), "divergence.log is in the page");
    }

    [Test]
    public void AReportThatCannotBeWrittenCostsAWarningNotTheRun()
    {
        TestDevices.Get("opencl");
        string run = Path.Combine(ReportRuns.Root, "blocked-" + Guid.NewGuid().ToString("N"));
        // A folder where report.html should go: every write of the page fails, at each checkpoint and at the end.
        Directory.CreateDirectory(Path.Combine(run, RunReport.FileName));
        var (code, output, err) = CliRunner.Run("train", "--dataset", "fake", "--image-size", "16", "--batch-size", "4", "--ngf", "8",
            "--ndf", "8", "--iterations", "2", "--checkpoint-every", "1", "--device", "opencl", "--quiet", "--out", run);
        Assert.That(code, Is.EqualTo(0), err);
        var warnings = output.Split('\n').Where(l => l.StartsWith("warning: report.html not written", StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), output);
        Assert.That(File.Exists(Path.Combine(run, "train_state.safetensors")));
    }
}

// report.html in a real browser: Debian's chromium, headless, opens the page from file:// with ?selftest=1; the page's
// own self-test (report.js, active only with that parameter) checks that every chart drew on a non-empty canvas,
// that the losses redraw with another smoothing and a log scale, that every image loaded, that moving the grid slider shows another grid, that hovering the heatmap names a tensor,
// that the checkpoint slider redraws D's logit histograms and the layer table and the checkpoint selector the profile,
// that the labels box puts a classifier label on every tile of the grid,
// (on compare.html: that the tick box hides the rows that agree, and that the grid slider moves every run's grid),
// and that no script error happened, then writes "ok ..." or "FAIL ..." into <pre id="selftest">. Chromium dumps the
// DOM after its virtual time budget, and the test reads that element.
//
// Without chromium the tests skip visibly; DCGAN_REQUIRE_CHROMIUM=1 (set by .ci/run) turns that into a failure.
using System.Diagnostics;
using Dcgan.Nn.Reporting;
using Dcgan.Tests.Cli;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Tests.Reporting;

public sealed class ReportBrowserTests
{
    /// <summary>The most a page may take, from starting chromium to its dumped DOM; it is killed after that.</summary>
    static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public void TheRealRunsPageDrawsEveryChartAndItsGridSliderWorks()
    {
        string chromium = Chromium();
        string run = ReportRuns.RealRun();
        string result = SelfTest(chromium, Path.Combine(run, RunReport.FileName));
        Assert.That(result, Does.StartWith("ok\n"), result);
        Assert.That(result, Does.Contain("10 charts drew: losses"));
        Assert.That(result, Does.Match(@"logits \(24 points\).*logit-means \(3 points\).*profile \([1-9][0-9]* points\)"));
        Assert.That(result, Does.Contain("checkpoint slider: histograms and layer table of iteration 3 -> 1"));
        Assert.That(result, Does.Match(@"grid labels: 64 over fake_samples_iter_0000001\.png, the first [0-9] [0-9]+%"));
        Assert.That(result, Does.Match(@"profile: iteration 3 -> 1, [1-9][0-9]* ops"));
        Assert.That(result, Does.Contain("controls: smoothing 0.500 and log scale redrew the losses"));
        Assert.That(result, Does.Contain("grid slider: fake_samples_iter_0000003.png -> fake_samples_iter_0000001.png"));
        Assert.That(result, Does.Contain("heatmap hover: netG.main.0.weight | iteration 1"));
    }

    [Test]
    public void AnEmbeddedPageWorksAloneInAnotherFolder()
    {
        string chromium = Chromium();
        string run = ReportRuns.RealRun();
        string page = Path.Combine(ReportRuns.Root, "alone-" + Guid.NewGuid().ToString("N"), "page.html");
        Directory.CreateDirectory(Path.GetDirectoryName(page)!);
        var (code, _, err) = CliRunner.Run("report", run, "--out", page, "--embed-images");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(page)!), Has.Length.EqualTo(1), "the page alone");
        string result = SelfTest(chromium, page);
        Assert.That(result, Does.StartWith("ok\n"), result);
        Assert.That(result, Does.Contain("2 images loaded"));
    }

    [Test]
    public void AnOldRunsPageDrawsWhatItHasWithoutErrors()
    {
        string chromium = Chromium();
        string dir = ReportRuns.CopyFixture("old-run");
        using (var grid = new Image<Rgb24>(34, 34))
            grid.SaveAsPng(Path.Combine(dir, "fake_samples_epoch_000.png"));
        RunReport.Write(dir);
        string result = SelfTest(chromium, Path.Combine(dir, RunReport.FileName));
        Assert.That(result, Does.StartWith("ok\n"), result);
        Assert.That(result, Does.Contain("2 charts drew: losses"));
        Assert.That(result, Does.Contain("grid slider not tried (1 grid)"));
    }

    [Test]
    public void TheComparePageOfTwoRealRunsDrawsEveryChartAndItsControlsWork()
    {
        string chromium = Chromium();
        string page = Path.Combine(ReportRuns.Root, "compare-browser-" + Guid.NewGuid().ToString("N"), "compare.html");
        Directory.CreateDirectory(Path.GetDirectoryName(page)!);
        var (code, _, err) = CliRunner.Run("report", ReportRuns.RealRun(), ReportRuns.CriticRun(), "--out", page);
        Assert.That(code, Is.EqualTo(0), err);
        string result = SelfTest(chromium, page);
        Assert.That(result, Does.StartWith("ok\n"), result);
        Assert.That(result, Does.Contain("10 charts drew: loss-d"));
        Assert.That(result, Does.Match(@"penalty \([1-9][0-9]* points\).*quality-kid \([1-9][0-9]* points\)"));
        Assert.That(result, Does.Contain("controls: smoothing 0.500 and log scale redrew the losses"));
        Assert.That(result, Does.Contain("2 images loaded"));
        Assert.That(result, Does.Match(@"only the rows that differ: [1-9][0-9]* of [1-9][0-9]* rows"));
        Assert.That(result, Does.Contain("grid slider: iteration 2 -> 1: iteration 1 (fake_samples_iter_0000001.png); " +
                                         "nearest saved step: iteration 2 (fake_samples_iter_0000002.png)"));
    }

    [Test]
    public void AnEmbeddedComparePageOfRunsThatLackFilesWorksAlone()
    {
        string chromium = Chromium();
        string old = ReportRuns.CopyFixture("old-run"), other = ReportRuns.CopyFixture("old-run");
        using (var grid = new Image<Rgb24>(34, 34))
            grid.SaveAsPng(Path.Combine(old, "fake_samples_epoch_000.png"));
        File.Delete(Path.Combine(other, "run.json"));
        string page = Path.Combine(ReportRuns.Root, "alone-compare-" + Guid.NewGuid().ToString("N"), "compare.html");
        Directory.CreateDirectory(Path.GetDirectoryName(page)!);
        var (code, output, err) = CliRunner.Run("report", old, other, "--out", page, "--embed-images");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("2 runs, images embedded"));
        string result = SelfTest(chromium, page);
        Assert.That(result, Does.StartWith("ok\n"), result);
        Assert.That(result, Does.Contain("3 charts drew: loss-d"));
        Assert.That(result, Does.Contain("1 images loaded"));
        Assert.That(result, Does.Contain("grid slider not tried (1 step)"));
    }

    /// <summary>The text of the page's #selftest element after chromium loaded it with ?selftest=1.</summary>
    static string SelfTest(string chromium, string page)
    {
        string profile = Directory.CreateTempSubdirectory("dcgan-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[]
                     {
                         "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
                         $"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom",
                         new Uri(Path.GetFullPath(page)).AbsoluteUri + "?selftest=1",
                     })
                start.ArgumentList.Add(arg);
            using var browser = Process.Start(start)!;
            var dom = browser.StandardOutput.ReadToEndAsync();
            var log = browser.StandardError.ReadToEndAsync();
            if (!browser.WaitForExit(BrowserTimeout))
            {
                browser.Kill(entireProcessTree: true);
                browser.WaitForExit();
                Assert.Fail($"chromium did not finish {page} within {BrowserTimeout.TotalSeconds} s (killed)");
            }
            browser.WaitForExit();
            string html = dom.Result;
            var element = ReportRuns.Parse(html).QuerySelector("pre#selftest");
            Assert.That(element, Is.Not.Null,
                $"the page wrote no #selftest (chromium exit {browser.ExitCode}); its log ends: {Tail(log.Result)}");
            return element!.TextContent;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    static string Tail(string text) => text.Length <= 1500 ? text : text[^1500..];

    /// <summary>Debian's chromium (or DCGAN_CHROMIUM); skips without it, fails under DCGAN_REQUIRE_CHROMIUM=1.</summary>
    static string Chromium()
    {
        string? path = Environment.GetEnvironmentVariable("DCGAN_CHROMIUM");
        path ??= new[] { "chromium", "chromium-browser" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        if (path is not null && File.Exists(path))
            return path;
        const string reason = "chromium is not installed (apt-get install chromium): the report's browser test needs it";
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_CHROMIUM") == "1")
            Assert.Fail($"{reason}; DCGAN_REQUIRE_CHROMIUM=1");
        Assert.Ignore(reason);
        throw new InvalidOperationException("unreachable");
    }
}

using System.Globalization;
using AngleSharp.Dom;
using Dcgan.Nn.Reporting;
using Dcgan.Tests.Cli;

namespace Dcgan.Tests.Reporting;

/// <summary>
/// compare.html of the two real runs (ReportRuns.RealRun: DCGAN on the digits; ReportRuns.CriticRun: WGAN-GP on the
/// fake data), written by `dcgan report A B --out` into a folder of its own and read as a browser's parser reads it:
/// every panel explained, every chart there, each run's data its own logs, the differing rows highlighted, the grid
/// slider over both runs' iterations, every image link resolving, nothing on the network.
/// </summary>
public sealed class CompareReportTests
{
    static readonly string[] Panels = ["runs", "losses", "scores", "quality", "samples"];

    string real = null!, critic = null!, path = null!, html = null!;
    IDocument page = null!;

    [OneTimeSetUp]
    public void CompareTheTwoRealRuns()
    {
        real = ReportRuns.RealRun();
        critic = ReportRuns.CriticRun();
        path = Path.Combine(ReportRuns.Root, "compare", "two.html");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var (code, output, err) = CliRunner.Run("report", real, critic, "--out", path);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.StartWith($"wrote {path} (").And.Contain("kB, 2 runs)"));
        Assert.That(output, Does.Contain("not in every run: critic: metrics.csv (their panels say so)"));
        html = File.ReadAllText(path);
        page = ReportRuns.Parse(html);
    }

    [Test]
    public void EveryPanelExplainsItselfInTwoLinesAndEveryChartIsThere()
    {
        ReportRuns.AssertPanelsExplained(page, Panels, "What to look for");
        Assert.That(page.QuerySelectorAll("[data-chart]").Select(e => e.GetAttribute("data-chart")), Is.EqualTo(new[]
        {
            "loss-d", "loss-g", "penalty", "scores-probability", "scores-critic", "quality-score", "quality-fd", "quality-kid",
            "quality-precision", "quality-recall",
        }));
        // The critic run has no metrics.csv: one note in the quality panel, and no other.
        Assert.That(page.QuerySelectorAll("p.absent").Select(p => p.ParentElement!.Id + ": " + p.TextContent), Is.EqualTo(new[]
        {
            "quality: critic: no quality metric: metrics.csv is absent (--eval-count 0, no classifier for its images, a run from before the metric, or still in its first epoch).",
        }));
        Assert.That(page.QuerySelectorAll("header ul.runs li").Select(li => li.TextContent),
            Has.Exactly(1).StartsWith("real · done · iteration 3 of 3 · tuned: loss bce")
                .And.Exactly(1).StartsWith("critic · done · iteration 4 of 4 · wgan-gp: loss wgan"));
    }

    [Test]
    public void EachRunsDataAreItsOwnLogsInItsOwnColour()
    {
        var runs = ReportRuns.Data(page)["runs"]!.AsArray();
        Assert.That(runs.Select(r => (string?)r!["label"]), Is.EqualTo(new[] { "real", "critic" }));
        Assert.That(runs.Select(r => (string?)r!["color"]), Is.EqualTo(CompareReport.Colors.Take(2)));
        Assert.That(runs.Select(r => (string?)r!["loss"]), Is.EqualTo(new[] { "bce", "wgan" }));
        foreach (var (run, dir) in runs.Zip(new[] { real, critic }))
        {
            var csv = File.ReadAllLines(Path.Combine(dir, "losses.csv"));
            int c = Array.IndexOf(csv[0].Split(','), "loss_d");
            Assert.That(run!["losses"]!["columns"]!["loss_d"]!.AsArray().Select(v => (double)v!),
                Is.EqualTo(csv.Skip(1).Select(l => double.Parse(l.Split(',')[c], CultureInfo.InvariantCulture))), dir);
        }
        Assert.That(runs[0]!["metrics"]!["real"]!["images"]!.GetValue<double>(), Is.EqualTo(64), "the real reference of the run that has one");
        Assert.That(runs[1]!["metrics"], Is.Null);
        Assert.That(runs[1]!["losses"]!["scores"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "d_real", "d_fake1", "d_fake2" }));
        // One colour per run, the same in the table's head as in the charts.
        Assert.That(page.QuerySelectorAll("#table-compare thead .swatch").Select(s => s.GetAttribute("style")),
            Is.EqualTo(new[] { "background:#1f77b4", "background:#ff7f0e" }));
    }

    [Test]
    public void TheRunsTableHighlightsTheRowsThatDiffer()
    {
        var rows = CompareTable(page);
        Assert.That(rows[("recipe", "loss")], Is.EqualTo((true, new[] { "bce", "wgan" })));
        Assert.That(rows[("recipe", "d_norm")], Is.EqualTo((true, new[] { "batch", "none" })));
        Assert.That(rows[("options", "batch_size")], Is.EqualTo((true, new[] { "16", "4" })));
        Assert.That(rows[("options", "dataset")], Is.EqualTo((true, new[] { "bundled", "fake" })));
        Assert.That(rows[("options", "seed")], Is.EqualTo((false, new[] { "1", "1" })));
        Assert.That(rows[("options", "device")], Is.EqualTo((false, new[] { "opencl", "opencl" })));
        Assert.That(rows[("run", "state")], Is.EqualTo((false, new[] { "done", "done" })));
        Assert.That(rows.Keys, Has.None.Matches<(string, string)>(k => k.Item2 is "started (UTC)" or "run.json updated (UTC)"),
            "times that always differ say nothing about the runs");
        Assert.That(page.QuerySelector("#only-differing"), Is.Not.Null);
    }

    [Test]
    public void TheGridSliderCoversEveryRunsIterationsAndStartsAtTheLastSharedOne()
    {
        var steps = ReportRuns.Data(page)["steps"]!.AsArray();
        Assert.That(steps.Select(s => (int)s!["iteration"]!), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(steps.Select(s => (bool)s!["shared"]!), Is.EqualTo(new[] { false, true, false, false }));
        // Grid indices per run: real has 1, 2, 3; critic has 2, 4 (3 is as near to 2 as to 4: the earlier wins).
        Assert.That(steps.Select(s => string.Join(",", s!["grids"]!.AsArray().Select(i => (int)i!))),
            Is.EqualTo(new[] { "0,0", "1,0", "2,0", "2,1" }));
        Assert.That(page.QuerySelector("#grid-slider")!.GetAttribute("value"), Is.EqualTo("1"), "iteration 2, the last both runs saved");
        Assert.That(page.QuerySelector("#grid-slider")!.GetAttribute("max"), Is.EqualTo("3"));
        Assert.That(page.QuerySelector("#grid-position")!.TextContent, Is.EqualTo("iteration 2, a grid of every run (2 of 4)"));
        Assert.That(page.QuerySelector("#grid-caption-0")!.TextContent, Is.EqualTo("iteration 2 (fake_samples_iter_0000002.png)"));
        Assert.That(page.QuerySelector("#grid-caption-1")!.TextContent, Is.EqualTo("iteration 2 (fake_samples_iter_0000002.png)"));
    }

    [Test]
    public void EveryImageLinkResolvesAndNothingIsOnTheNetwork()
    {
        var data = ReportRuns.Data(page);
        var links = page.QuerySelectorAll("img").Select(i => i.GetAttribute("src")!).ToList();
        links.AddRange(data["runs"]!.AsArray().SelectMany(r => r!["grids"]!.AsArray().Select(g => (string)g!["src"]!)));
        Assert.That(links, Has.Count.EqualTo(2 + 3 + 2));
        foreach (string src in links)
        {
            Assert.That(src, Does.StartWith("../"), "relative to the page's folder");
            Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(src))), $"{src} does not resolve to a file");
        }
        Assert.That(html, Does.Not.Contain("http://").IgnoreCase.And.Not.Contain("https://").IgnoreCase);
        Assert.That(page.QuerySelectorAll("script[src], link, iframe, object, embed, base"), Is.Empty);
        foreach (var e in page.QuerySelectorAll("[href]"))
            Assert.That(e.GetAttribute("href"), Does.StartWith("#"));
        Assert.That(html, Does.Contain("Copyright (c) 2022 Leon Sorokin"));
    }

    [Test]
    public void TheSamePageComesFromTheSameFilesAndEmbeddingChangesOnlyTheImages()
    {
        Assert.That(CompareReport.Render([real, critic], Path.GetDirectoryName(path)!).Html, Is.EqualTo(html));
        var embedded = ReportRuns.Parse(CompareReport.Render([real, critic], Path.GetDirectoryName(path)!, embedImages: true).Html);
        var sources = embedded.QuerySelectorAll("img").Select(i => i.GetAttribute("src")!)
            .Concat(ReportRuns.Data(embedded)["runs"]!.AsArray().SelectMany(r => r!["grids"]!.AsArray().Select(g => (string)g!["src"]!)));
        Assert.That(sources, Has.All.StartWith("data:image/png;base64,"));
    }

    /// <summary>The runs table: (group, row) → (highlighted, the cells).</summary>
    internal static Dictionary<(string Group, string Row), (bool Differs, string[] Cells)> CompareTable(IDocument page)
    {
        var table = page.QuerySelector("table#table-compare");
        Assert.That(table, Is.Not.Null, "no runs table");
        var rows = new Dictionary<(string, string), (bool, string[])>();
        string group = "";
        foreach (var tr in table!.QuerySelectorAll("tbody tr"))
        {
            if (tr.ClassList.Contains("group"))
                group = tr.TextContent;
            else
                rows.Add((group, tr.QuerySelector("th")!.TextContent),
                    (tr.ClassList.Contains("differs"), tr.QuerySelectorAll("td").Select(td => td.TextContent).ToArray()));
        }
        return rows;
    }
}

/// <summary>compare.html of fixture runs, made by hand: what differs, what a run lacks, how runs are named. No device.</summary>
public sealed class CompareFixtureTests
{
    [Test]
    public void OnlyTheRowsThatDifferAreHighlighted()
    {
        string a = ReportRuns.CopyFixture("old-run"), b = ReportRuns.CopyFixture("old-run");
        string json = File.ReadAllText(Path.Combine(b, "run.json"));
        File.WriteAllText(Path.Combine(b, "run.json"), json.Replace("\"seed\": 1", "\"seed\": 7").Replace("\"batch_size\": 4", "\"batch_size\": 8"));

        var rows = CompareReportTests.CompareTable(ReportRuns.Parse(CompareReport.Render([a, b], ReportRuns.Root).Html));
        Assert.That(rows.Where(r => r.Value.Differs).Select(r => r.Key),
            Is.EquivalentTo(new[] { ("run", "seed"), ("options", "seed"), ("options", "batch_size") }));
        Assert.That(rows[("options", "batch_size")].Cells, Is.EqualTo(new[] { "4", "8" }));
        Assert.That(rows[("options", "iterations")], Is.EqualTo((false, new[] { "not set", "not set" })), "null in run.json: not set");
        Assert.That(rows[("run", "events")], Is.EqualTo((false, new[] { "1 divergence", "1 divergence" })));
        Assert.That(rows.Keys.Where(k => k.Group == "recipe"), Is.Empty, "runs from before the recipes have no recipe rows");
    }

    [Test]
    public void ARunWithoutAFileGetsANoteInThatPanelAndTheOthersAreDrawn()
    {
        string old = ReportRuns.CopyFixture("old-run");
        // A run that has only losses.csv (no run.json, no grids) beside one with a grid and run.json.
        string bare = Path.Combine(ReportRuns.Root, "bare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(bare);
        File.Copy(Path.Combine(old, "losses.csv"), Path.Combine(bare, "losses.csv"));
        using (var grid = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(34, 34))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(grid, Path.Combine(old, "fake_samples_epoch_000.png"));

        var result = CompareReport.Render([old, bare], ReportRuns.Root);
        var page = ReportRuns.Parse(result.Html);
        string o = Path.GetFileName(old), b = Path.GetFileName(bare);
        Assert.That(result.Absent, Is.EquivalentTo(new[] { $"{b}: run.json", $"{o}: metrics.csv", $"{b}: metrics.csv", $"{b}: fake_samples_*.png" }));
        Assert.That(page.QuerySelector("#runs p.absent")!.TextContent, Does.StartWith($"{b} has no run.json"));
        Assert.That(page.QuerySelectorAll("#quality p.absent"), Has.Length.EqualTo(2));
        Assert.That(page.QuerySelector("#samples p.absent")!.TextContent, Does.StartWith($"{b}: no fixed-noise grid"));
        Assert.That(page.QuerySelectorAll("#losses p.absent, #scores p.absent"), Is.Empty);
        Assert.That(page.QuerySelectorAll("[data-chart]").Select(e => e.GetAttribute("data-chart")),
            Is.EqualTo(new[] { "loss-d", "loss-g", "scores-probability" }), "no quality chart when no run has the metric");
        var rows = CompareReportTests.CompareTable(page);
        Assert.That(rows[("options", "seed")], Is.EqualTo((false, new[] { "1", "(no run.json)" })), "an unknown value differs from nothing");
        Assert.That(page.QuerySelector("#grid-caption-0")!.TextContent, Is.EqualTo("epoch 0, iteration 3 (fake_samples_epoch_000.png)"));
        Assert.That(page.QuerySelector("#grid-image-1"), Is.Null, "no figure for the run without grids");
    }

    [Test]
    public void RunsWithTheSameDirectoryNameAreToldApartByTheirPaths()
    {
        Assert.That(CompareReport.Labels(["/r/x/run", "/r/y/run", "/r/z"]), Is.EqualTo(new[] { "x/run", "y/run", "z" }));
        Assert.That(CompareReport.Labels(["/r/a/b", "/s/a/b"]), Is.EqualTo(new[] { "r/a/b", "s/a/b" }));
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Dcgan.Nn.Reporting;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Reporting;

/// <summary>
/// report.html of a real run (ReportRuns.RealRun, written by the training run itself) read as a browser's parser reads
/// it: every panel with its explanation, every image link resolving to a file, no network reference anywhere, and
/// inline data that is exactly the run's CSV logs.
/// </summary>
public sealed class ReportPageTests
{
    static readonly string[] Panels = ["run", "losses", "scores", "quality", "samples", "grad-norms", "d-sees", "time"];

    string run = null!;
    string html = null!;
    IDocument page = null!;

    [OneTimeSetUp]
    public void ReadTheRunsOwnReport()
    {
        run = ReportRuns.RealRun();
        string path = Path.Combine(run, RunReport.FileName);
        Assert.That(File.Exists(path), "dcgan train wrote no report.html");
        html = File.ReadAllText(path);
        page = ReportRuns.Parse(html);
    }

    [Test]
    public void EveryPanelIsThereWithATwoLineExplanationAndNoAbsenceNote()
    {
        ReportRuns.AssertPanelsExplained(page, Panels, "Healthy");
        Assert.That(page.QuerySelectorAll("p.absent").Select(p => p.TextContent), Is.Empty, "this run has every file");
        Assert.That(page.QuerySelectorAll("[data-chart]").Select(e => e.GetAttribute("data-chart")),
            Is.EquivalentTo(new[] { "losses", "scores", "quality-score", "quality-fd", "quality-kid", "quality-pr", "grad-norms",
                "logits", "logit-means", "profile" }));
    }

    [Test]
    public void TheRunPanelShowsOptionsRecipeDeviceAndState()
    {
        var facts = Table("run");
        Assert.That(facts["state"], Is.EqualTo("done"));
        Assert.That(facts["iterations"], Is.EqualTo("3 of 3"));
        Assert.That(facts["device"], Does.StartWith("opencl:0"));
        Assert.That(facts["seed"], Is.EqualTo("1"));
        Assert.That(facts, Does.ContainKey("wall time").And.ContainKey("images/s").And.ContainKey("versions"));
        Assert.That(Table("recipe")["loss"], Is.EqualTo("bce"));
        var options = Table("options");
        Assert.That(options["batch_size"], Is.EqualTo("16"));
        Assert.That(options["ngf"], Is.EqualTo("8"));
        Assert.That(options["sample_every"], Is.EqualTo("1"));
        Assert.That(page.QuerySelector("#no-events"), Is.Not.Null, "a run without events says so");
        Assert.That(page.QuerySelector("header .summary")!.TextContent, Does.Contain("done").And.Contain("iteration 3 of 3"));
    }

    [Test]
    public void EveryImageLinkResolvesToAFileOfTheRun()
    {
        var links = page.QuerySelectorAll("img").Select(i => i.GetAttribute("src")!).ToList();
        var data = ReportRuns.Data(page);
        links.AddRange(data["grids"]!.AsArray().Select(g => (string)g!["src"]!));
        links.Add((string)data["real_samples"]!);
        Assert.That(links, Has.Count.GreaterThanOrEqualTo(2 + 3 + 1));
        foreach (string src in links)
        {
            Assert.That(src, Does.Not.StartWith("data:").And.Not.Contain(":"), "relative links without --embed-images");
            Assert.That(File.Exists(Path.Combine(run, Uri.UnescapeDataString(src))), $"{src} does not resolve to a file");
        }
        Assert.That(data["grids"]!.AsArray().Select(g => (string?)g!["file"]),
            Is.EqualTo(new[] { "fake_samples_iter_0000001.png", "fake_samples_iter_0000002.png", "fake_samples_iter_0000003.png" }));
        Assert.That(page.QuerySelector("#grid-image")!.GetAttribute("src"), Is.EqualTo("fake_samples_iter_0000003.png"), "the latest grid first");
        Assert.That(page.QuerySelector("#grid-slider")!.GetAttribute("max"), Is.EqualTo("2"));
    }

    [Test]
    public void ThePageReferencesNothingOnTheNetwork()
    {
        Assert.That(html, Does.Not.Contain("http://").IgnoreCase.And.Not.Contain("https://").IgnoreCase);
        // Styles and scripts are inline; the only links are the panels' anchors and the run's images.
        Assert.That(page.QuerySelectorAll("script[src], link, iframe, object, embed, base"), Is.Empty);
        foreach (var e in page.QuerySelectorAll("[href]"))
            Assert.That(e.GetAttribute("href"), Does.StartWith("#"));
        Assert.That(html, Does.Contain("Copyright (c) 2022 Leon Sorokin"), "uPlot's MIT licence travels with its code");
    }

    [Test]
    public void TheInlineLossSeriesAreLossesCsvExactly()
    {
        var data = ReportRuns.Data(page);
        var losses = data["losses"]!;
        var csv = File.ReadAllLines(Path.Combine(run, "losses.csv"));
        string[] header = csv[0].Split(',');
        Assert.That((int)losses["rows"]!, Is.EqualTo(3));
        Assert.That((int)losses["stride"]!, Is.EqualTo(1));
        Assert.That(losses["scores"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "d_x", "d_g_z1", "d_g_z2" }));
        foreach (string column in new[] { "iteration", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2" })
        {
            int c = Array.IndexOf(header, column);
            var expected = csv.Skip(1).Select(l => double.Parse(l.Split(',')[c], CultureInfo.InvariantCulture)).ToArray();
            var actual = losses["columns"]![column]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.That(actual, Is.EqualTo(expected), column);
        }
    }

    [Test]
    public void TheQualityDataAreMetricsCsvWithTheRealReference()
    {
        var metrics = ReportRuns.Data(page)["metrics"]!;
        var rows = File.ReadAllLines(Path.Combine(run, TrainingRun.MetricsCsvFile));
        Assert.That(rows, Has.Length.EqualTo(2));
        string[] header = rows[0].Split(','), cells = rows[1].Split(',');
        foreach (string column in new[] { "iteration", "classifier_score", "frechet_distance", "kid", "precision", "recall" })
            Assert.That((double)metrics["columns"]![column]![0]!,
                Is.EqualTo(double.Parse(cells[Array.IndexOf(header, column)], CultureInfo.InvariantCulture)), column);
        var real = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["quality"]!["real_held_out"]!;
        Assert.That((double)metrics["real"]!["classifier_score"]!, Is.EqualTo((double)real["classifier_score"]!));
        Assert.That((double)metrics["real"]!["images"]!, Is.EqualTo(64));
    }

    [Test]
    public void TheHeatmapHasEveryTensorOfGradNormsCsv()
    {
        var norms = ReportRuns.Data(page)["grad_norms"]!;
        var csv = File.ReadAllLines(Path.Combine(run, "grad_norms.csv"));
        var tensors = csv[0].Split(',').Skip(1).ToArray();
        Assert.That(norms["tensors"]!.AsArray().Select(t => (string?)t), Is.EqualTo(tensors));
        Assert.That(tensors.First(), Does.StartWith("netG."));
        Assert.That(tensors.Last(), Does.StartWith("netD."));
        // Three iterations: one column each, the norm rounded to 4 significant digits.
        Assert.That(norms["first"]!.AsArray().Select(v => (int)v!), Is.EqualTo(new[] { 1, 2, 3 }));
        for (int t = 0; t < tensors.Length; t++)
            for (int i = 0; i < 3; i++)
            {
                double logged = double.Parse(csv[1 + i].Split(',')[1 + t], CultureInfo.InvariantCulture);
                Assert.That((double)norms["max"]![t]![i]!, Is.EqualTo(logged).Within(0.05).Percent, tensors[t] + ": 4 significant digits");
            }
    }

    [Test]
    public void TheSnapshotPanelsHoldSnapshotsJsonWithASliderOverItsCheckpoints()
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "snapshots.json")))!["snapshots"]!.AsArray();
        var inline = ReportRuns.Data(page)["snapshots"]!.AsArray();
        Assert.That(inline.Select(s => (int)s!["iteration"]!), Is.EqualTo(new[] { 1, 2, 3 }), "a checkpoint after every iteration");
        Assert.That(JsonNode.DeepEquals(inline, file), "the page holds the snapshots as recorded");
        foreach (var s in inline)
            foreach (string batch in new[] { "real", "fake" })
                Assert.That(s!["logits"]!["bins"]![batch]!.AsArray().Sum(c => (int)c!), Is.EqualTo(16), $"iteration {s["iteration"]}: {batch} batch of 16");

        var slider = page.QuerySelector("#snapshot-slider")!;
        Assert.That((slider.GetAttribute("min"), slider.GetAttribute("max"), slider.GetAttribute("value")), Is.EqualTo(("0", "2", "2")));
        Assert.That(page.QuerySelector("#snapshot-position")!.TextContent, Is.EqualTo("iteration 3, checkpoint 3 of 3"));
        Assert.That(page.QuerySelector("#d-sees canvas#logits"), Is.Not.Null);
        Assert.That(page.QuerySelector("#d-sees table#layer-stats"), Is.Not.Null);
        Assert.That(page.QuerySelector("#time select#profile-select"), Is.Not.Null);
        Assert.That(page.QuerySelector("#time canvas#profile"), Is.Not.Null);
        Assert.That(page.QuerySelectorAll("#time table#profile-table thead th").Select(t => t.TextContent),
            Is.EqualTo(new[] { "op", "kind", "calls", "ms", "share", "GFLOP/s", "% peak" }));
    }

    [Test]
    public void EveryGridHasItsTilesClassifierLabelsForTheOverlay()
    {
        var data = ReportRuns.Data(page);
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "grid_labels.json")))!;
        Assert.That(data["grid_layout"]!.ToJsonString(), Is.EqualTo("""{"columns":8,"padding":2,"tile":32}"""));
        var recorded = file["grids"]!.AsArray().ToDictionary(g => (string)g!["file"]!);
        foreach (var g in data["grids"]!.AsArray())
        {
            string name = (string)g!["file"]!;
            Assert.That(recorded, Does.ContainKey(name), "grid_labels.json has every grid");
            Assert.That(g["labels"]!.AsArray().Select(v => (int)v!), Has.Exactly(64).InRange(0, 9), name);
            Assert.That(JsonNode.DeepEquals(g["labels"], recorded[name]!["labels"]) && JsonNode.DeepEquals(g["confidence"], recorded[name]!["confidence"]), name);
        }
        Assert.That(page.QuerySelector("figure.grid #grid-labels"), Is.Not.Null, "the labels box");
        Assert.That(page.QuerySelector(".grid-wrap #grid-overlay")!.HasAttribute("hidden"), "labels hidden until asked for");
    }

    [Test]
    public void TheSamePagesComeFromTheSameFiles()
    {
        string again = RunReport.Render(run, run).Html;
        Assert.That(again, Is.EqualTo(html), "a report is a pure function of the run's files");
    }

    Dictionary<string, string> Table(string id)
    {
        var table = page.QuerySelector($"table#table-{id}");
        Assert.That(table, Is.Not.Null, $"table {id}");
        return table!.QuerySelectorAll("tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelector("td")!.TextContent);
    }
}

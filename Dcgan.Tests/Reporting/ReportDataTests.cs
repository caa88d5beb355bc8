using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Tests.Reporting;

/// <summary>
/// The report of run directories made by hand: a run from the first releases (Fixtures/old-run: no metrics.csv, no
/// grad_norms.csv, no weight norms, no recipe), a WGAN-GP run's columns, and logs long enough to be thinned. No device.
/// </summary>
public sealed class ReportDataTests
{
    [Test]
    public void AnOldRunRendersWithNotesForWhatItLacks()
    {
        string dir = ReportRuns.CopyFixture("old-run");
        using (var grid = new Image<Rgb24>(34, 34))
            grid.SaveAsPng(Path.Combine(dir, "fake_samples_epoch_000.png"));

        var result = RunReport.Render(dir, dir);
        var page = ReportRuns.Parse(result.Html);

        Assert.That(result.Absent, Is.EquivalentTo(new[] { "metrics.csv", "real_samples.png", "grad_norms.csv", "snapshots.json" }));
        foreach (string panel in new[] { "d-sees", "time" })
            Assert.That(page.QuerySelector($"#{panel} p.absent")!.TextContent, Does.StartWith("No snapshots in this run: snapshots.json is absent"), panel);
        Assert.That(page.QuerySelector("#quality p.absent")!.TextContent, Does.StartWith("No quality metric in this run"));
        Assert.That(page.QuerySelector("#grad-norms p.absent")!.TextContent, Does.Contain("grad_norms.csv is absent"));
        Assert.That(page.QuerySelector("#samples p.absent")!.TextContent, Does.Contain("real_samples.png"));
        Assert.That(page.QuerySelectorAll("#losses p.absent, #scores p.absent, #run p.absent"), Is.Empty);
        Assert.That(page.QuerySelectorAll("[data-chart]").Select(e => e.GetAttribute("data-chart")), Is.EqualTo(new[] { "losses", "scores" }));

        var data = ReportRuns.Data(page);
        Assert.That((string?)data["loss"], Is.EqualTo("bce"), "a run from before the recipes trained with BCE");
        Assert.That(data["metrics"], Is.Null);
        Assert.That(data["grad_norms"], Is.Null);
        Assert.That(data["snapshots"], Is.Null);
        Assert.That(data["grid_layout"], Is.Null);
        Assert.That(page.QuerySelector("#grid-labels"), Is.Null, "no labels box without grid_labels.json");
        Assert.That(data["real_samples"], Is.Null);
        Assert.That(data["losses"]!["columns"]!["loss_g"]!.AsArray().Select(v => (double)v!).Last(), Is.EqualTo(0.7702561));
        // No grids.txt: the epoch's grid sits at the last iteration losses.csv logs in epoch 0.
        var grid0 = data["grids"]!.AsArray().Single()!;
        Assert.That((int?)grid0["iteration"], Is.EqualTo(3));
        Assert.That((int?)grid0["epoch"], Is.EqualTo(0));
        Assert.That(page.QuerySelector("#grid-caption")!.TextContent, Is.EqualTo("epoch 0, iteration 3 (fake_samples_epoch_000.png)"));

        // run.json of that time: no state, its rollback in "divergence_events", and divergence.log beside it.
        Assert.That(page.QuerySelector("table#table-run")!.TextContent, Does.Contain("not recorded"));
        var ev = page.QuerySelector("table.events tbody tr")!;
        Assert.That(ev.TextContent, Does.Contain("divergence").And.Contain("Loss_D is NaN").And.Contain("restored iteration 3"));
        Assert.That(page.QuerySelector("pre.log")!.TextContent, Does.Contain("rollback 1 of 3"));
    }

    [Test]
    public void ARunThatHasJustStartedSaysWhatIsNotThereYet()
    {
        string dir = Path.Combine(ReportRuns.Root, "started-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "losses.csv"),
            "iteration,epoch,loss_d,loss_g,d_x,d_g_z1,d_g_z2,images_per_second,grad_norm_d,grad_norm_g,critic_steps,weight_norm_d,weight_norm_g\n");
        File.WriteAllText(Path.Combine(dir, "grad_norms.csv"), "iteration,netG.main.0.weight,netD.main.0.weight\n");
        File.WriteAllText(Path.Combine(dir, "run.json"), """{ "state": "running", "iterations_done": 0, "iterations_total": 6250, "events": [] }""");

        var page = ReportRuns.Parse(RunReport.Render(dir, dir).Html);
        foreach (string panel in new[] { "losses", "scores", "quality", "samples", "grad-norms", "d-sees", "time" })
            Assert.That(page.QuerySelector($"#{panel} p.absent"), Is.Not.Null, panel);
        Assert.That(page.QuerySelectorAll("[data-chart]"), Is.Empty, "no chart without data to draw");
        var data = ReportRuns.Data(page);
        Assert.That(data["losses"], Is.Null);
        Assert.That(data["grad_norms"], Is.Null);
        Assert.That(data["grids"]!.AsArray(), Is.Empty);
        Assert.That(page.QuerySelector("header .summary")!.TextContent, Does.Contain("iteration 0 of 6,250"));
    }

    [Test]
    public void ACriticRunShowsTheCriticsOutputsAndTheWassersteinEstimate()
    {
        string dir = Path.Combine(ReportRuns.Root, "wgan-gp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "losses.csv"),
            "iteration,epoch,loss_d,loss_g,d_real,d_fake1,d_fake2,images_per_second,grad_norm_d,grad_norm_g,critic_steps,gp,weight_norm_d,weight_norm_g\n" +
            "1,0,-0.5,0.25,0.75,0.25,0.125,10.0,1.5,0.5,5,0.0625,3.0,4.0\n" +
            "2,0,-0.75,0.5,1.0,0.25,-0.5,12.0,1.25,0.75,10,NaN,3.0,4.0\n");
        File.WriteAllText(Path.Combine(dir, "run.json"), """{ "recipe": { "preset": "wgan-gp", "loss": "wgan", "summary": "wgan-gp: loss wgan" }, "state": "running" }""");

        var page = ReportRuns.Parse(RunReport.Render(dir, dir).Html);
        var data = ReportRuns.Data(page);
        Assert.That((string?)data["loss"], Is.EqualTo("wgan"));
        Assert.That((bool)data["wasserstein"]!, Is.True);
        Assert.That((string?)data["losses"]!["penalty"], Is.EqualTo("gp"));
        Assert.That(data["losses"]!["scores"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "d_real", "d_fake1", "d_fake2" }));
        Assert.That(data["losses"]!["columns"]!["gp"]!.AsArray().Select(v => (double?)v), Is.EqualTo(new double?[] { 0.0625, null }),
            "NaN is not JSON: a gap");
        Assert.That(page.QuerySelector("#scores h2")!.TextContent, Is.EqualTo("The critic's outputs"));
        Assert.That(page.QuerySelector("#scores p.explain")!.TextContent, Does.Contain("W = d_real − d_fake1"));
        Assert.That(page.QuerySelector("#losses p.explain")!.TextContent, Does.Contain("GP the gradient penalty"));
        Assert.That(page.QuerySelector(".state-running"), Is.Not.Null);
        Assert.That(page.QuerySelector("#run p.absent"), Is.Null, "run.json is there, if short");
    }

    [Test]
    public void LongLogsAreThinnedWithoutLosingTheLastRowOrASpike()
    {
        string dir = Path.Combine(ReportRuns.Root, "long-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        const int rows = 2 * ReportData.MaxLossRows + 1;
        var losses = new StringBuilder("iteration,epoch,loss_d,loss_g,d_x,d_g_z1,d_g_z2,images_per_second,grad_norm_d,grad_norm_g\n");
        var norms = new StringBuilder("iteration,netG.main.0.weight,netD.main.0.weight\n");
        for (int i = 1; i <= rows; i++)
        {
            losses.Append(CultureInfo.InvariantCulture, $"{i},0,{i * 0.5},1,0.5,0.5,0.5,100.0,1,1\n");
            // One spike in D's first layer at iteration 1000, one non-finite norm in G's at iteration 30000.
            string gNorm = i == 30_000 ? "NaN" : "0.5";
            string dNorm = i == 1000 ? "250" : "2";
            norms.Append(CultureInfo.InvariantCulture, $"{i},{gNorm},{dNorm}\n");
        }
        // A torn last line (a row being written) is never read.
        losses.Append("40002,0,1.2");
        File.WriteAllText(Path.Combine(dir, "losses.csv"), losses.ToString());
        File.WriteAllText(Path.Combine(dir, "grad_norms.csv"), norms.ToString());

        var data = ReportRuns.Data(ReportRuns.Parse(RunReport.Render(dir, dir).Html));
        var l = data["losses"]!;
        Assert.That((int)l["rows"]!, Is.EqualTo(rows));
        Assert.That((int)l["stride"]!, Is.EqualTo(3));
        var its = l["columns"]!["iteration"]!.AsArray().Select(v => (int)v!).ToArray();
        Assert.That(its.Take(3), Is.EqualTo(new[] { 1, 4, 7 }));
        Assert.That(its[^1], Is.EqualTo(rows), "the last row always");
        Assert.That(its, Has.Length.LessThanOrEqualTo(ReportData.MaxLossRows + 1));
        Assert.That(l["columns"]!["loss_d"]!.AsArray().Select(v => (double)v!).Last(), Is.EqualTo(rows * 0.5));

        var g = data["grad_norms"]!;
        var first = g["first"]!.AsArray().Select(v => (int)v!).ToArray();
        var last = g["last"]!.AsArray().Select(v => (int)v!).ToArray();
        Assert.That(first, Has.Length.EqualTo(ReportData.MaxHeatmapColumns));
        Assert.That(first[0], Is.EqualTo(1));
        Assert.That(last[^1], Is.EqualTo(rows));
        Assert.That(first.Skip(1), Is.EqualTo(last.Take(last.Length - 1).Select(x => x + 1)), "buckets tile the iterations");
        int Bucket(int iteration) => Enumerable.Range(0, first.Length).Single(b => first[b] <= iteration && iteration <= last[b]);
        int spike = Bucket(1000), bad = Bucket(30_000);
        var gRow = g["max"]![0]!.AsArray().Select(v => (double?)v).ToArray();
        var dRow = g["max"]![1]!.AsArray().Select(v => (double?)v).ToArray();
        Assert.That(dRow[spike], Is.EqualTo(250), "the bucket's largest norm, not its mean");
        Assert.That(dRow.Where((_, b) => b != spike), Is.All.EqualTo(2));
        Assert.That(gRow[bad], Is.Null, "a non-finite norm marks its bucket");
        Assert.That(gRow.Where((_, b) => b != bad), Is.All.EqualTo(0.5));
    }

    [Test]
    public void InlineJsonCannotCloseItsScriptOrReadAsAUrl()
    {
        // The page's writer escapes as little as JSON needs (UnsafeRelaxedJsonEscaping); ScriptSafe does the rest.
        string json = ReportData.ScriptSafe(new JsonObject { ["s"] = "</script><!-- https://example.org" }
            .ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.That(json, Does.Not.Contain("</").And.Not.Contain("<!--").And.Not.Contain("://"));
        Assert.That((string?)JsonNode.Parse(json)!["s"], Is.EqualTo("</script><!-- https://example.org"));
    }
}

using System.Text.Json.Nodes;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>
/// Real runs on the bundled digits (16×16, ngf = ndf = 16, the thresholds of CollapseMonitor unchanged) made to fail on
/// purpose, and a healthy one: the episodes are reported once, recorded in run.json, and --on-collapse stop ends the
/// run. PoCL only: the ILGPU CPU accelerator would take minutes for each 700-iteration run.
/// </summary>
public abstract class CollapseRunTests : BackendTest
{
    string outDir = null!;

    [SetUp]
    public void MakeOutDir() => outDir = Path.Combine(Path.GetTempPath(), "dcgan-collapse-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveOutDir()
    {
        if (Directory.Exists(outDir))
            Directory.Delete(outDir, recursive: true);
    }

    TrainOptions Small(int iterations, double lrD, double lrG) => new()
    {
        ImageSize = 16, Ngf = 16, Ndf = 16, Iterations = iterations, LrD = lrD, LrG = lrG,
        Device = DeviceSpec, Seed = 1, Out = outDir,
    };

    JsonArray Events() => JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!["events"]!.AsArray();

    [Test]
    public void AGeneratorThatCollapsesOntoOneImageIsReportedOnce()
    {
        // D learns 100× slower than G: G finds one image D likes and draws it for every noise vector.
        var recorder = new RecordingObserver();
        TrainingRun.Start(Small(700, lrD: 0.00002, lrG: 0.002), recorder);

        var warnings = recorder.Messages.Where(m => m.Contains("collapsed")).ToList();
        Assert.That(warnings, Has.Count.EqualTo(2), string.Join("\n", recorder.Messages));
        Assert.That(warnings[0], Does.StartWith("warning: the generator has collapsed (iteration 600): the fixed-noise samples' diversity is"));
        Assert.That(warnings[1], Is.EqualTo("warning: the run ended with the generator collapsed (since iteration 600; run.json's events)"));
        var events = Events();
        Assert.That(events.Select(e => (string?)e!["kind"]), Is.EqualTo(new[] { "collapse" }));
        Assert.That((int?)events[0]!["iteration"], Is.EqualTo(600));
        Assert.That((string?)events[0]!["action"], Is.EqualTo("warn"));
        Assert.That((string?)JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!["state"], Is.EqualTo("done"));
    }

    [Test]
    public void AHealthyRunReportsNothing()
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(Small(700, lrD: 0.0002, lrG: 0.0002), recorder);

        Assert.That(recorder.Messages.Where(m => m.Contains("warning")), Is.Empty);
        Assert.That(Events(), Is.Empty);
    }

    [Test]
    public void ADiscriminatorThatHasWonStopsTheRunWithOnCollapseStop()
    {
        // D learns 500× faster than G: from about iteration 100 it is sure of every batch.
        var options = Small(400, lrD: 0.005, lrG: 0.00001) with { OnCollapse = "stop", CheckpointEvery = 100 };
        var e = Assert.Throws<TrainingCollapsedException>(() => TrainingRun.Start(options, new RecordingObserver()))!;

        Assert.That(e.Message, Does.Match(
            $@"^{System.Text.RegularExpressions.Regex.Escape(outDir)}: training stopped at iteration [23]\d\d \(--on-collapse stop\): the discriminator has won: D\(x\) > 0.999 and D\(G\(z\)\) < 0.001 in 180 of the last 200 iterations .*; the last checkpoint \(iteration [12]00\) is .*; continue with --resume "));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!;
        Assert.That((string?)run["state"], Is.EqualTo("stopped (d-won)"));
        Assert.That(Events().Select(x => ((string?)x!["kind"], (string?)x["action"])), Is.EqualTo(new[] { ("d-won", "stop") }));
    }
}

public sealed class CollapseRunTestsOpenCl : CollapseRunTests { protected override string DeviceSpec => "opencl"; }

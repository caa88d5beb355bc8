using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>Whole runs, as `dcgan train` does them, on tiny networks.</summary>
public abstract class TrainingRunTests : BackendTest
{
    string outDir = null!;

    [SetUp]
    public void MakeOutDir() => outDir = Path.Combine(Path.GetTempPath(), "dcgan-run-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveOutDir()
    {
        if (Directory.Exists(outDir))
            Directory.Delete(outDir, recursive: true);
    }

    TrainOptions Tiny(int iterations) => new()
    {
        Dataset = "fake", FakeCount = 24, Channels = 3, ImageSize = 16, BatchSize = 4, Nz = 6, Ngf = 4, Ndf = 4,
        Iterations = iterations, Device = DeviceSpec, Seed = 3, Out = outDir,
    };

    [Test]
    public void TinyRunWritesEveryFileWithFiniteLosses()
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(Tiny(7) with { SampleEvery = 3 }, recorder); // 6 batches per epoch: one epoch end
        Assert.That(recorder.Rows.Select(r => r.Iteration), Is.EqualTo(Enumerable.Range(1, 7)));
        Assert.That(recorder.Rows.Select(r => r.Epoch), Is.EqualTo(new[] { 0, 0, 0, 0, 0, 0, 1 }));
        Assert.That(recorder.Rows.SelectMany(r => new[] { r.Stats.LossD, r.Stats.LossG }), Is.All.Matches<float>(float.IsFinite));
        foreach (var file in new[] { "real_samples.png", "fake_samples_epoch_000.png", "fake_samples_iter_0000003.png",
                     "fake_samples_iter_0000007.png", "progress.gif", "losses.png", "losses.csv", "run.json",
                     "netG.safetensors", "netD.safetensors", TrainState.FileName,
                     "checkpoints/netG_epoch_0.safetensors", "checkpoints/netD_epoch_0.safetensors" })
            Assert.That(File.Exists(Path.Combine(outDir, file)), Is.True, file);
        var csv = File.ReadAllLines(Path.Combine(outDir, "losses.csv"));
        Assert.That(csv[0], Is.EqualTo(TrainingRun.LossesCsvHeader(["d_x", "d_g_z1", "d_g_z2"])));
        Assert.That(csv, Has.Length.EqualTo(8));
        Assert.That(Directory.GetFiles(outDir, "*.tmp-*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void ResumeContinuesExactly()
    {
        TrainingRun.Start(Tiny(4), new RecordingObserver());
        string[] straight = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Directory.Delete(outDir, recursive: true);

        TrainingRun.Start(Tiny(2), new RecordingObserver());
        var saved = TrainingRun.SavedOptions(outDir);
        Assert.That(saved.Iterations, Is.EqualTo(2));
        TrainingRun.Resume(saved with { Iterations = 4 }, new RecordingObserver());
        string[] resumed = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Assert.That(resumed, Is.EqualTo(straight));
    }

    [Test]
    public void ALearningRateScheduleResumesExactlyFromAMidRunCheckpoint()
    {
        var scheduled = Tiny(4) with { LrSchedule = "linear", CheckpointEvery = 2 };
        TrainingRun.Start(scheduled, new RecordingObserver());
        string[] straight = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Directory.Delete(outDir, recursive: true);

        // The first session dies before iteration 3, after the checkpoint at 2; the schedule is a function of the
        // iteration and the run's length, so the resumed session continues it exactly.
        var crash = new TrainingHooks { BeforeStep = (iteration, _) => { if (iteration == 3) throw new TimeoutException("killed"); } };
        Assert.Throws<TimeoutException>(() => TrainingRun.Start(scheduled, new RecordingObserver(), crash));
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir), new RecordingObserver());
        string[] resumed = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Assert.That(resumed, Is.EqualTo(straight));

        // And the schedule is not a no-op: the constant rate's run differs from iteration 2 on (iteration 1 has scale 1).
        Directory.Delete(outDir, recursive: true);
        TrainingRun.Start(scheduled with { LrSchedule = "constant" }, new RecordingObserver());
        string[] constant = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Assert.That(constant[1], Is.EqualTo(straight[1]));
        Assert.That(constant[3], Is.Not.EqualTo(straight[3]));
    }

    [Test]
    public void RunJsonKeepsTheEventsOfEverySessionAndEachResumesChanges()
    {
        TrainingRun.Start(Tiny(2), new RecordingObserver());
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!;
        Assert.That((string?)run["state"], Is.EqualTo("done"));
        Assert.That(run["events"]!.AsArray(), Is.Empty);

        var recorder = new RecordingObserver();
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 4, LearningRate = 1e-4 }, recorder);
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 5 }, new RecordingObserver());

        var events = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!["events"]!.AsArray();
        Assert.That(events.Select(e => ((string?)e!["kind"], (int?)e["iteration"])), Is.EqualTo(new[] { ("resume", 2), ("resume", 4) }));
        var changes = events[0]!["changes"]!.AsArray().Select(c => $"{c!["option"]} {c["saved"]} -> {c["resumed"]}");
        Assert.That(changes, Is.EqualTo(new[] { "--iterations 2 -> 4", "--lr 0.0002 -> 0.0001" }));
        Assert.That(events[1]!["changes"]!.AsArray().Select(c => (string?)c!["option"]), Is.EqualTo(new[] { "--iterations" }));
    }

    [Test]
    public void ResumeDropsRowsAfterTheCheckpointAndATornLine()
    {
        TrainingRun.Start(Tiny(3) with { CheckpointEvery = 2 }, new RecordingObserver());
        string csvPath = Path.Combine(outDir, "losses.csv");
        // As after a crash past the checkpoint at iteration 3: row 4 logged (but not checkpointed), row 5 torn.
        File.AppendAllText(csvPath, "4,0,9,9,9,9,9,1.0,9,9\n5,0,1.38");
        var state = TrainState.ReadHeader(SafetensorsFile.Read(Path.Combine(outDir, TrainState.FileName)));
        Assert.That(state.Position.Iteration, Is.EqualTo(3));
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 5 }, new RecordingObserver());
        var rows = File.ReadAllLines(csvPath).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.That(rows.Select(r => int.Parse(r[0])), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(rows[3][2], Is.Not.EqualTo("9"), "row 4 must come from the resumed run, not the stale log");
    }

    [Test]
    public void SnapshotsLeaveTheTrajectoryBitwiseAsItWas()
    {
        // Every iteration ends at a checkpoint: each is profiled and followed by a snapshot.
        var options = Tiny(4) with { CheckpointEvery = 1 };
        TrainingRun.Start(options, new RecordingObserver(), new TrainingHooks { NoSnapshots = true });
        Assert.That(File.Exists(Path.Combine(outDir, SnapshotsFile.FileName)), Is.False);
        var without = RunFiles();
        Directory.Delete(outDir, recursive: true);

        TrainingRun.Start(options, new RecordingObserver());
        Assert.That(RunFiles(), Is.EqualTo(without));
        var snapshots = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, SnapshotsFile.FileName)))!["snapshots"]!.AsArray();
        Assert.That(snapshots.Select(s => (int)s!["iteration"]!), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(snapshots.Select(s => (bool)s!["profile"]!["includes_compilation"]!), Is.EqualTo(new[] { true, false, false, false }));
    }

    /// <summary>Every file training writes that a snapshot could disturb, as text (losses.csv without its wall-clock column).</summary>
    string[] RunFiles() =>
    [
        .. RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv"))),
        .. File.ReadAllLines(Path.Combine(outDir, GradNormsCsv.FileName)),
        .. new[] { "netG.safetensors", "netD.safetensors", "fake_samples_iter_0000004.png" }
            .Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(outDir, f))))),
    ];

    [Test]
    public void SnapshotsAreWellFormedAndAResumeKeepsTheEarlierOnes()
    {
        TrainingRun.Start(Tiny(2) with { CheckpointEvery = 1 }, new RecordingObserver());
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 3 }, new RecordingObserver());
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, SnapshotsFile.FileName)))!;
        Assert.That((int)file["version"]!, Is.EqualTo(SnapshotsFile.Version));
        Assert.That((int)file["batch"]!, Is.EqualTo(4));
        var snapshots = file["snapshots"]!.AsArray();
        Assert.That(snapshots.Select(s => (int)s!["iteration"]!), Is.EqualTo(new[] { 1, 2, 3 }));
        // Iteration 3 is the resumed session's first: its profile includes compiling the kernels again.
        Assert.That(snapshots.Select(s => (bool)s!["profile"]!["includes_compilation"]!), Is.EqualTo(new[] { true, false, true }));
        foreach (var s in snapshots)
        {
            var logits = s!["logits"]!;
            foreach (string batch in new[] { "real", "fake" })
            {
                Assert.That(logits[batch]!.AsArray(), Has.Count.EqualTo(4));
                Assert.That(logits["bins"]![batch]!.AsArray().Sum(c => (int)c!), Is.EqualTo(4), $"{batch} histogram");
                Assert.That(logits["bins"]![batch]!.AsArray(), Has.Count.EqualTo(SnapshotRecorder.HistogramBins));
            }
            double lo = (double)logits["bins"]!["lo"]!, hi = (double)logits["bins"]!["hi"]!;
            Assert.That(logits["real"]!.AsArray().Concat(logits["fake"]!.AsArray()).Select(v => (double)v!),
                Is.All.InRange(lo, hi));
            // G: ConvT, BN, ReLU ×2, ConvT, Tanh at 16 px; D: Conv, LeakyReLU, Conv, BN, LeakyReLU, Conv.
            var g = s["layers"]!["G"]!.AsArray();
            var d = s["layers"]!["D"]!.AsArray();
            Assert.That(g.Select(l => (string)l!["kind"]!), Is.EqualTo(new[]
                { "conv-transpose2d", "batchnorm", "relu", "conv-transpose2d", "batchnorm", "relu", "conv-transpose2d", "tanh" }));
            Assert.That(d.Select(l => (string)l!["kind"]!), Is.EqualTo(new[]
                { "conv2d", "leaky-relu", "conv2d", "batchnorm", "leaky-relu", "conv2d" }));
            var numbers = new List<double>();
            foreach (var layer in g)
            {
                numbers.AddRange(Stats(layer!["output"]!));
                numbers.AddRange(layer["weights"]!.AsArray().SelectMany(w => new[] { (double)w!["mean"]!, (double)w["std"]! }));
            }
            foreach (var layer in d)
                numbers.AddRange(Stats(layer!["real"]!).Concat(Stats(layer["fake"]!)));
            Assert.That(numbers, Is.All.Matches<double>(double.IsFinite));
            Assert.That(g[2]!["output"]!["dead"], Is.Not.Null, "a ReLU counts its dead units");
            Assert.That(g[^1]!["output"]!["saturated"], Is.Not.Null, "Tanh counts its saturated outputs");
            Assert.That(d[1]!["real"]!["negative"], Is.Not.Null, "LeakyReLU counts its negative outputs");
            // D in training mode normalises with the batch's statistics: std near γ ≈ 1 (below it by ε = 1e-5 against
            // these small conv outputs' variance). In eval mode the fresh running statistics (0, 1) would leave the
            // conv's output as it is, std ≈ 0.01 (the run's weights are N(0, 0.02)).
            Assert.That((double)d[3]!["real"]!["std"]!, Is.InRange(0.5, 1.05));
            Assert.That((double)d[2]!["real"]!["std"]!, Is.LessThan(0.2));

            var profile = s["profile"]!;
            var ops = profile["ops"]!.AsArray();
            Assert.That(ops.Sum(o => (double)o!["ms"]!), Is.EqualTo((double)profile["total_ms"]!).Within(0.01 + 1e-3 * (double)profile["total_ms"]!));
            var convs = ops.Where(o => ((string)o!["kind"]!).StartsWith("conv", StringComparison.Ordinal)).ToList();
            Assert.That(convs, Has.Count.EqualTo(12), "3 convs in each net, a forward and a backward row each");
            Assert.That(convs.Select(o => (double)o!["gflops"]! * 1e3 * (double)o["ms"]! / (double)o["gflop"]!),
                Is.All.EqualTo(1e6).Within(0.01).Percent, "GFLOP/s = GFLOP / s");
            // The peak is never measured in a run: the datasheet's or PeakCache's, or none (then no % of peak).
            if (profile["peak_gflops"] is JsonValue peak)
                Assert.That(convs.Select(o => (double)o!["percent_of_peak"]! * (double)peak / (double)o["gflops"]!),
                    Is.All.EqualTo(100).Within(0.01).Percent);
            else
            {
                Assert.That(convs.Select(o => o!["percent_of_peak"]), Is.All.Null);
                Assert.That((string)profile["peak_source"]!, Does.StartWith("none known for this device"));
            }
        }
    }

    static IEnumerable<double> Stats(JsonNode stats) =>
        ((JsonObject)stats).Select(p => (double)p.Value!);

}

public sealed class TrainingRunTestsCpu : TrainingRunTests { protected override string DeviceSpec => "cpu"; }
public sealed class TrainingRunTestsOpenCl : TrainingRunTests { protected override string DeviceSpec => "opencl"; }
public sealed class TrainingRunTestsCuda : TrainingRunTests { protected override string DeviceSpec => "cuda"; }

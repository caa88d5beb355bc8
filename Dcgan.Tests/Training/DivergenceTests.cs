using Dcgan.Nn.Optim;
using System.Globalization;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Training;

/// <summary>
/// Divergence handling, per-tensor gradient norms and gradient clipping, on tiny networks: a NaN batch (a
/// corrupt input reaching the device) or an absurd learning rate makes a real non-finite loss.
/// </summary>
public abstract class DivergenceTests : BackendTest
{
    string outDir = null!;

    [SetUp]
    public void MakeOutDir() => outDir = Path.Combine(Path.GetTempPath(), "dcgan-div-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveOutDir()
    {
        if (Directory.Exists(outDir))
            Directory.Delete(outDir, recursive: true);
    }

    TrainOptions Tiny(int iterations) => new()
    {
        Dataset = "fake", FakeCount = 24, Channels = 1, ImageSize = 16, BatchSize = 4, Nz = 5, Ngf = 4, Ndf = 4,
        Iterations = iterations, Device = DeviceSpec, Seed = 11, Out = outDir, CheckpointEvery = 2,
    };

    /// <summary>Poisons the real batch of the given iterations with NaN, only the first `times` times each is seen.</summary>
    static TrainingHooks PoisonAt(int times, params int[] iterations)
    {
        var seen = new Dictionary<int, int>();
        return new TrainingHooks
        {
            BeforeStep = (iteration, batch) =>
            {
                if (!iterations.Contains(iteration))
                    return;
                seen[iteration] = seen.GetValueOrDefault(iteration) + 1;
                if (seen[iteration] <= times)
                    batch[3] = float.NaN;
            },
        };
    }

    string[] CsvRows() => File.ReadAllLines(Path.Combine(outDir, "losses.csv"))[1..];

    [Test]
    public void AFiniteExplosionIsCaughtInItsFirstIteration()
    {
        // The issue's run: `--dataset fake --image-size 16 --batch-size 4 --iterations 30 --lr 1e8` used to print
        // done with Loss_D 6.7e17 and save those weights; no number of it is NaN. (Narrower nets here, for the CPU
        // accelerator's sake; the whole-width run is caught the same way: README, "When things go wrong".)
        var options = new TrainOptions
        {
            Dataset = "fake", FakeCount = 64, ImageSize = 16, BatchSize = 4, Ngf = 16, Ndf = 16, Iterations = 30,
            LearningRate = 1e8, Device = DeviceSpec, Out = outDir, OnDivergence = "stop",
        };
        var recorder = new RecordingObserver();
        var e = Assert.Throws<TrainingDivergedException>(() => TrainingRun.Start(options, recorder))!;

        Assert.That(recorder.Rows, Has.Count.EqualTo(1), "caught in the iteration it happened");
        // Which rule sees it first depends on the backend's rounding (D's batchnorm hides the size of its weights from
        // the losses): the weight norm, an absurd loss, or a gradient overflowing to Inf.
        Assert.That(e.Message, Does.Match(@"training diverged at iteration 1: (the weight norm of [DG] is [0-9.E+]+, [0-9.E+]+× its initial|Loss_[DG] is [-0-9.E+]+, above 100|the gradient norm).*\(lr 1E\+08\); stopped \(--on-divergence stop\); no checkpoint had been saved yet"));
        Assert.That(File.Exists(Path.Combine(outDir, "netG.safetensors")), Is.False, "the exploded weights are never saved");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!;
        Assert.That((string?)run["state"], Is.EqualTo("stopped (divergence)"));
        Assert.That((string?)run["events"]![0]!["kind"], Is.EqualTo("divergence"));
    }

    [Test]
    public void RollbackRestoresTheLastCheckpointHalvesTheLearningRateAndFinishes()
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(Tiny(6), recorder, PoisonAt(1, 5));

        // Iteration 5 ran twice: NaN the first time (detected in that iteration), then after the rollback to 4.
        var fifth = recorder.Rows.Where(r => r.Iteration == 5).ToList();
        Assert.That(fifth, Has.Count.EqualTo(2));
        Assert.That(fifth[0].Stats.NonFinite, Is.True);
        Assert.That(float.IsNaN(fifth[0].Stats.LossD), Is.True);
        Assert.That(fifth[1].Stats.NonFinite, Is.False);
        Assert.That(recorder.Messages, Has.One.Contains("diverged at iteration 5: Loss_D is NaN; rollback 1 of 3: back to iteration 4, lr 0.0002 -> 0.0001"));

        // The files: each iteration once, all finite; the event logged; the lowered lr saved for --resume.
        var rows = CsvRows().Select(l => l.Split(',')).ToArray();
        Assert.That(rows.Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)), Is.EqualTo(Enumerable.Range(1, 6)));
        Assert.That(rows.SelectMany(r => r[2..4]).Select(c => double.Parse(c, CultureInfo.InvariantCulture)), Is.All.Matches<double>(double.IsFinite));
        string log = File.ReadAllText(Path.Combine(outDir, "divergence.log"));
        Assert.That(log, Does.Contain("iteration 5: Loss_D is NaN (lr 0.0002); rollback 1 of 3: restored iteration 4, lr now 0.0001"));
        var events = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!["divergence_events"]!.AsArray();
        Assert.That(events, Has.Count.EqualTo(1));
        Assert.That((string?)events[0]!["action"], Is.EqualTo("rollback"));
        Assert.That((int?)events[0]!["restored_iteration"], Is.EqualTo(4));
        var saved = TrainingRun.SavedOptions(outDir);
        Assert.That(saved.ResolveRecipe().OptimizerD.LearningRate, Is.EqualTo(1e-4));
        Assert.That(saved.ResolveRecipe().OptimizerG.LearningRate, Is.EqualTo(1e-4));
        Assert.That(TrainState.ReadRollbacks(SafetensorsFile.Read(Path.Combine(outDir, TrainState.FileName))), Is.EqualTo(1));
    }

    [Test]
    public void RowsBeforeTheRollbackAreThoseOfAnUndisturbedRun()
    {
        TrainingRun.Start(Tiny(4), new RecordingObserver());
        string[] straight = RecordingObserver.WithoutSpeed(CsvRows());
        Directory.Delete(outDir, recursive: true);
        TrainingRun.Start(Tiny(6), new RecordingObserver(), PoisonAt(1, 5));
        Assert.That(RecordingObserver.WithoutSpeed(CsvRows().Take(4)), Is.EqualTo(straight));
    }

    [Test]
    public void StopKeepsTheLastGoodCheckpointAndSaysHowToContinue()
    {
        var e = Assert.Throws<TrainingDivergedException>(() =>
            TrainingRun.Start(Tiny(6) with { OnDivergence = "stop" }, new RecordingObserver(), PoisonAt(1, 3)));
        Assert.That(e!.Message, Is.EqualTo(
            $"{outDir}: training diverged at iteration 3: Loss_D is NaN (lr 0.0002); stopped (--on-divergence stop); " +
            $"the last good checkpoint (iteration 2) is {Path.Combine(outDir, TrainState.FileName)}; continue with --resume {outDir} --lr 0.0001"));
        var state = TrainState.ReadHeader(SafetensorsFile.Read(Path.Combine(outDir, TrainState.FileName)));
        Assert.That(state.Position.Iteration, Is.EqualTo(2));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "divergence.log")), Does.Contain("stopped"));

        // Resuming (the poison is gone) finishes the run with each iteration once.
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { LearningRate = 1e-4 }, new RecordingObserver());
        Assert.That(CsvRows().Select(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)), Is.EqualTo(Enumerable.Range(1, 6)));
    }

    [Test]
    public void AFaultThatPersistsStopsAfterThreeRollbacks()
    {
        var recorder = new RecordingObserver();
        var e = Assert.Throws<TrainingDivergedException>(() => TrainingRun.Start(Tiny(4), recorder, PoisonAt(99, 3)));
        Assert.That(e!.Message, Does.Contain("training diverged at iteration 3: Loss_D is NaN (lr 2.5E-05); stopped after 3 rollbacks"));
        Assert.That(recorder.Messages.Count(m => m.Contains("rollback")), Is.EqualTo(3));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "divergence.log")), Has.Length.EqualTo(4));
    }

    [Test]
    public void AnAbsurdLearningRateIsCaughtInTheIterationItDiverges()
    {
        // A real cause: with lr 1e30, Adam's first step moves every weight by ~1e30 and the next forward pass
        // overflows. The stats of the first non-finite iteration carry the flag; nothing before it does.
        var recorder = new RecordingObserver();
        Assert.Throws<TrainingDivergedException>(() =>
            TrainingRun.Start(Tiny(6) with { LearningRate = 1e30, OnDivergence = "stop" }, recorder));
        var last = recorder.Rows[^1];
        Assert.That(last.Stats.NonFinite, Is.True);
        Assert.That(recorder.Rows.SkipLast(1).Select(r => r.Stats.NonFinite), Is.All.False);
    }

    [Test]
    public void GradNormsCsvHoldsEveryParameterTensorAndAddsUpToTheGlobalNorms()
    {
        TrainingRun.Start(Tiny(3), new RecordingObserver());
        var lines = File.ReadAllLines(Path.Combine(outDir, "grad_norms.csv"));
        string[] header = lines[0].Split(',');
        Assert.That(header[0], Is.EqualTo("iteration"));
        Assert.That(header, Does.Contain("netG.main.0.weight").And.Contain("netG.main.1.bias").And.Contain("netD.main.0.weight"));
        Assert.That(lines, Has.Length.EqualTo(4));
        var losses = CsvRows().Select(l => l.Split(',')).ToArray();
        for (int i = 1; i < lines.Length; i++)
        {
            double[] norms = lines[i].Split(',')[1..].Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            double SumSquares(string prefix) => header[1..].Select((h, k) => h.StartsWith(prefix) ? norms[k] * norms[k] : 0).Sum();
            double normD = double.Parse(losses[i - 1][8], CultureInfo.InvariantCulture);
            double normG = double.Parse(losses[i - 1][9], CultureInfo.InvariantCulture);
            Assert.That(Math.Sqrt(SumSquares("netD.")), Is.EqualTo(normD).Within(1e-4).Percent, $"iteration {i}: D");
            Assert.That(Math.Sqrt(SumSquares("netG.")), Is.EqualTo(normG).Within(1e-4).Percent, $"iteration {i}: G");
        }
    }

    [Test]
    public void ClippingScalesTheGradientsAdamSees()
    {
        // After one step from zero moments, Adam's first moment is (1 − β1)·g: its norm shows the clipped gradient.
        var config = new ModelConfig(ImageSize: 16, Channels: 1, Nz: 5, Ngf: 4, Ndf: 4);
        var batch = Enumerable.Range(0, 4 * 16 * 16).Select(i => (float)Math.Sin(i)).ToArray();
        static double MomentNorm(Optimizer optimizer)
        {
            var exp = optimizer.State.First(t => t.Name == "exp_avg").View;
            var m = new float[exp.Length];
            exp.CopyToCPU(m);
            return Math.Sqrt(m.Sum(v => (double)v * v));
        }
        using var free = new GanTrainer(Device, config, 4, GanRecipe.Dcgan, seed: 2);
        var s = free.Step(batch);
        Assert.That(MomentNorm(free.OptimizerD), Is.EqualTo(0.5 * s.GradNormD).Within(1e-3).Percent);

        const double max = 0.01;
        Assert.That(s.GradNormD, Is.GreaterThan(10 * max), "the test needs gradients larger than the clip");
        Assert.That(s.GradNormG, Is.GreaterThan(10 * max));
        using var clipped = new GanTrainer(Device, config, 4, GanRecipe.Dcgan, seed: 2) { ClipGradNorm = max };
        var c = clipped.Step(batch);
        Assert.That(c.GradNormD, Is.EqualTo(s.GradNormD), "the reported norm is the norm before clipping");
        Assert.That(MomentNorm(clipped.OptimizerD), Is.EqualTo(0.5 * max).Within(1e-3).Percent);
        Assert.That(MomentNorm(clipped.OptimizerG), Is.EqualTo(0.5 * max).Within(1e-3).Percent);
    }

}

public sealed class DivergenceTestsCpu : DivergenceTests { protected override string DeviceSpec => "cpu"; }
public sealed class DivergenceTestsOpenCl : DivergenceTests { protected override string DeviceSpec => "opencl"; }
public sealed class DivergenceTestsCuda : DivergenceTests { protected override string DeviceSpec => "cuda"; }

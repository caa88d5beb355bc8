// `dcgan bench step` (Dcgan.Nn/Bench/StepBench.cs): the profiler times the trainer's own iteration through its
// seam (same losses as an unprofiled iteration, bit for bit), the bench refuses nothing valid and reports sane fields, and a steady-state Step allocates
// no managed memory. Tiny networks, so the CPU accelerator can run them too.
using Dcgan.Nn.Bench;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Bench;

public abstract class StepBenchTests : BackendTest
{
    static readonly ModelConfig Tiny = new(ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4, Ndf: 4);
    const int Batch = 4;

    static float[] RealBatch()
    {
        var rng = new Random(3);
        return Enumerable.Range(0, Batch * 16 * 16).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Test]
    public void ProfiledIterationsMatchTrainerStepBitForBit()
    {
        var real = RealBatch();
        using var plain = new GanTrainer(Device, Tiny, Batch, GanRecipe.Dcgan, seed: 9);
        using var profiled = new GanTrainer(Device, Tiny, Batch, GanRecipe.Dcgan, seed: 9);
        var profiler = new StepProfiler(Device.Accelerator.DefaultStream);
        for (int i = 0; i < 2; i++)
        {
            var expected = plain.Step(real);
            var actual = profiler.Iteration(profiled, real);
            Assert.That(actual, Is.EqualTo(expected), $"iteration {i + 1}: a profiled iteration must be the trainer's own");
        }
        Assert.That(profiled.Timer, Is.Null, "the profiler must unhook itself");
        Assert.That(profiled.StepsTaken, Is.EqualTo(2));
        float[] a = new float[plain.Generator.Parameters.Length], b = new float[a.Length];
        plain.Generator.Parameters.Values.CopyToCPU(a);
        profiled.Generator.Parameters.Values.CopyToCPU(b);
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void APairedVariantIsTimedRoundByRoundAndTheOverrideRestored()
    {
        var conv = Conv2dOps<float>.On(Device);
        var r = StepBench.Run(Device, new StepBenchOptions(BatchSize: Batch, ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4,
            Ndf: 4, Iterations: 4, Warmup: 1, Profile: false, PairedVariant: 1));
        Assert.That(r.PairedVariant, Is.EqualTo(1));
        Assert.That(r.PairedMsPerIteration, Has.Length.EqualTo(4).And.All.GreaterThan(0));
        var ratios = r.PairedMsPerIteration!.Select((t, i) => t / r.MsPerIteration[i]).Order().ToArray();
        Assert.That(r.PairedRatioMedian, Is.EqualTo((ratios[1] + ratios[2]) / 2).Within(1e-12));
        Assert.That(r.PairedFasterRounds, Is.EqualTo(r.PairedMsPerIteration!.Where((t, i) => t < r.MsPerIteration[i]).Count()));
        Assert.That(conv.VariantOverride, Is.Null, "the paired variant's override must not outlive the bench");
        var unpaired = StepBench.Run(Device, new StepBenchOptions(BatchSize: Batch, ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4,
            Ndf: 4, Iterations: 2, Warmup: 0, Profile: false));
        Assert.That(unpaired.PairedMsPerIteration, Is.Null);
        Assert.That(unpaired.PairedRatioMedian, Is.Null);
    }

    [Test]
    public void BenchReportsFiniteTimesBreakdownAndNoSteadyStateAllocation()
    {
        var r = StepBench.Run(Device, new StepBenchOptions(BatchSize: Batch, ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4,
            Ndf: 4, Iterations: 3, Warmup: 1));
        Assert.That(r.MsPerIteration, Has.Length.EqualTo(3));
        Assert.That(r.MsPerIterationMedian, Is.GreaterThan(0));
        Assert.That(r.ImagesPerSecond, Is.EqualTo(Batch / (r.MsPerIterationMedian / 1e3)).Within(1e-9));
        Assert.That(float.IsFinite(r.LossD) && float.IsFinite(r.LossG));
        Assert.That(r.DeviceMemoryBytes, Is.GreaterThan(0));
        // Buffers are allocated once: a Step allocates (almost) nothing on the managed heap — measured 240 bytes per
        // iteration on PoCL, inside ILGPU's host↔device copies. ILGPU's CPU accelerator allocates per kernel launch
        // in its thread simulator (~16 KB per iteration of this tiny net), which is not ours to fix: not checked there.
        if (Device.Info.Backend != Backend.Cpu)
            Assert.That(r.ManagedBytesPerIteration, Is.LessThan(1024), "GanTrainer.Step allocates managed memory");
        Assert.That(r.PerKind.Select(k => k.Kind), Is.SupersetOf(new[] { "conv2d", "conv-transpose2d", "batchnorm", "optimizer", "loss" }));
        // D's convs run forward and backward three times per iteration, G's once.
        Assert.That(r.PerOp.Where(o => o.Op.StartsWith("D main.0 ")).Select(o => o.CallsPerIteration), Is.All.EqualTo(3.0));
        Assert.That(r.PerOp.Where(o => o.Op.StartsWith("G main.0 ")).Select(o => o.CallsPerIteration), Is.All.EqualTo(1.0));
        Assert.That(r.ProfiledMsPerIteration, Is.EqualTo(r.PerOp.Sum(o => o.MsPerIteration)).Within(1e-6));
        // The synchronizes' floor: one per op call, each at least as long as nothing at all and no longer than the
        // profiled iteration's share per call (a synchronize is part of every row).
        Assert.That(r.ProfiledSyncsPerIteration, Is.EqualTo(r.PerOp.Sum(o => o.CallsPerIteration)));
        Assert.That(r.ProfileSyncFloorMs, Is.GreaterThan(0).And.LessThan(r.ProfiledMsPerIteration / r.ProfiledSyncsPerIteration * 10));
        Assert.That(r.ProfileSyncFloorMsPerIteration, Is.EqualTo(r.ProfileSyncFloorMs * r.ProfiledSyncsPerIteration).Within(1e-9));
    }

    [Test]
    public void WithoutAProfileThereIsNoSyncFloor()
    {
        var r = StepBench.Run(Device, new StepBenchOptions(BatchSize: Batch, ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4,
            Ndf: 4, Iterations: 1, Warmup: 0, Profile: false));
        Assert.That(r.PerOp, Is.Empty);
        Assert.That(double.IsNaN(r.ProfileSyncFloorMs), $"floor {r.ProfileSyncFloorMs}");
    }
}

public sealed class StepBenchTestsCpu : StepBenchTests { protected override string DeviceSpec => "cpu"; }
public sealed class StepBenchTestsOpenCl : StepBenchTests { protected override string DeviceSpec => "opencl"; }
public sealed class StepBenchTestsCuda : StepBenchTests { protected override string DeviceSpec => "cuda"; }

/// <summary>The useful-work count of `bench step`, against the default run's layers written out by hand.</summary>
public sealed class StepUsefulFlopsTests
{
    static double Conv(int n, int c, int oc, int oh, int k = 4) => 2.0 * n * oc * oh * oh * c * k * k;

    // The default run's nets at batch 16, 32×32 grey, ngf = ndf = 64: D's convs, and G's transposed convs as the
    // convs they are the adjoints of (input and output swapped).
    static readonly double[] D = [Conv(16, 1, 64, 16), Conv(16, 64, 128, 8), Conv(16, 128, 256, 4), Conv(16, 256, 1, 1)];
    static readonly double[] G = [Conv(16, 256, 100, 1), Conv(16, 128, 256, 4), Conv(16, 64, 128, 8), Conv(16, 1, 64, 16)];

    [Test]
    public void TheDefaultRunsIterationIsSixGflop()
    {
        // D: 3 forwards, 2 weight gradients, input gradients 3× (1× for the first layer); G: 1 forward, 1 weight
        // gradient, 1 input gradient but for the first layer.
        double expected = 5 * D.Sum() + 3 * D.Skip(1).Sum() + D[0] + 2 * G.Sum() + G.Skip(1).Sum();
        double? counted = StepBench.UsefulFlops(new ModelConfig(32, 1), 16, GanRecipe.Dcgan);
        Assert.That(counted, Is.EqualTo(expected));
        Assert.That(counted / 16 / 1e9, Is.EqualTo(0.3755).Within(1e-4), "≈ 0.38 GFLOP per image, as the speed issue measured");
    }

    [Test]
    public void CriticStepsMultiplyDsWorkAndGsForwardAndPenaltiesAreNotCounted()
    {
        var five = GanRecipe.Dcgan with { CriticSteps = 5 };
        double expected = 21 * D.Sum() + 11 * D.Skip(1).Sum() + D[0] + 6 * G.Sum() + G.Skip(1).Sum();
        Assert.That(StepBench.UsefulFlops(new ModelConfig(32, 1), 16, five), Is.EqualTo(expected).Within(1e-9).Percent);
        Assert.That(StepBench.UsefulFlops(new ModelConfig(32, 1), 16, GanRecipe.Named("wgan-gp")), Is.Null);
    }
}

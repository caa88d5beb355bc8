// `dcgan bench step`: whole training iterations of a recipe (GanTrainer: per critic step D on a real batch, D on
// G(z), D's optimizer step; then G through D and G's optimizer step) on random data, timed end to end; the PyTorch
// twin (dcgan recipe) is bench/pytorch_dcgan_step.py. Recipes with a warm-up are timed without it (steady state).
//
//   1. Validate: one Step must give finite losses and gradient norms (a broken step is refused, never timed).
//   2. Warm up (ILGPU compiles on first launch; the conv workspace grows to its final size).
//   3. Time `iterations` Steps (each ends with a stream synchronize and the scalar read-back): median ms,
//      images/s = batch / median. Managed bytes allocated over the timed Steps / iterations (must be ~0).
//   Useful work: the FLOPs of the conv passes the recipe's iteration runs (UsefulFlops), over the median time, and
//   that against the device's FP32 peak (KernelBench.Peak: the multiply-add probe on CPUs, run here once).
//   With PairedVariant N, step 3 times two iterations per round in one process, one with the dispatch (or
//   ConvVariant) and one with every conv pass forced to variant N, their order alternating round by round: the
//   per-round ratio cancels the machine's speed swings between and within runs (PoCL on a shared 2-vCPU machine
//   swings 1.5× within minutes), which separate runs cannot. Both variants are validated and warmed up first.
//   4. Profile (a separate pass, after timing): StepProfiler runs the trainer's own iterations with its profiling
//      seam set, synchronizing the stream after every layer pass and every other op, and sums wall time per op.
//      Synchronizing costs a little per op, so the profiled total is reported next to the unprofiled median.
//
// Device memory is accounted, not queried (ILGPU has no per-context allocation counter): the bytes of every buffer
// the trainer, its two models and the conv workspace hold.
using System.Diagnostics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Bench;

public sealed record StepBenchOptions(
    int BatchSize = 64, int ImageSize = 64, int Channels = 3, int Nz = 100, int Ngf = 64, int Ndf = 64,
    int Iterations = 5, int Warmup = 2, bool Profile = true, ulong Seed = 1, int? ConvVariant = null,
    string Recipe = "dcgan", int? PairedVariant = null);

/// <summary>
/// One row of the per-op breakdown: wall ms per iteration (sum over its calls), calls per iteration, and for a conv
/// layer's passes the GFLOP per iteration they computed (Layer.LastPassFlops; 0 for every other op).
/// </summary>
public sealed record StepOpTime(string Op, string Kind, double MsPerIteration, double CallsPerIteration, double GflopPerIteration = 0)
{
    /// <summary>GFLOP/s of the op's conv work over its wall time; null for an op that counts no FLOPs.</summary>
    public double? Gflops => GflopPerIteration > 0 && MsPerIteration > 0 ? GflopPerIteration / (MsPerIteration / 1e3) : null;
}

public sealed record StepBenchResult(
    string Implementation, string Device, int BatchSize, int ImageSize, int Channels, int Nz, int Ngf, int Ndf,
    int Iterations, int Warmup, double[] MsPerIteration, double MsPerIterationMedian, double ImagesPerSecond,
    float LossD, float LossG, long DeviceMemoryBytes, string DeviceMemoryNote, double ManagedBytesPerIteration,
    double ManagedBytesPerIterationAllThreads, double ProfiledMsPerIteration, IReadOnlyList<StepOpTime> PerOp,
    IReadOnlyList<StepOpTime> PerKind, string PerOpMethod, double? UsefulGflopPerIteration = null,
    double PeakGflops = double.NaN, string PeakSource = "", int? PairedVariant = null,
    double[]? PairedMsPerIteration = null, double ProfileSyncFloorMs = double.NaN)
{
    /// <summary>Synchronizes per profiled iteration: one per op call.</summary>
    public double ProfiledSyncsPerIteration => PerOp.Sum(r => r.CallsPerIteration);

    /// <summary>
    /// How much of the profiled iteration the synchronizes' floor alone accounts for: ProfileSyncFloorMs (a launch
    /// of an empty kernel and a synchronize) per op call.
    /// </summary>
    public double ProfileSyncFloorMsPerIteration => ProfileSyncFloorMs * ProfiledSyncsPerIteration;

    /// <summary>Median over the rounds of (paired variant's ms) / (this run's ms): below 1, the paired variant is faster.</summary>
    public double? PairedRatioMedian => PairedMsPerIteration is { } paired
        ? StepBench.Median(paired.Select((t, i) => t / MsPerIteration[i]).ToArray())
        : null;

    /// <summary>Rounds in which the paired variant's iteration was the faster one.</summary>
    public int? PairedFasterRounds => PairedMsPerIteration?.Where((t, i) => t < MsPerIteration[i]).Count();

    /// <summary>Useful GFLOP/s: the conv passes' work over the median iteration; null where not counted (penalties).</summary>
    public double? UsefulGflops => UsefulGflopPerIteration / (MsPerIterationMedian / 1e3);

    /// <summary>UsefulGflops as a percentage of the device's FP32 peak.</summary>
    public double? PercentOfPeak => 100 * UsefulGflops / PeakGflops;
}

public static class StepBench
{
    public static StepBenchResult Run(ComputeDevice device, StepBenchOptions o, Action<string>? log = null)
    {
        if (o.Iterations < 1 || o.Warmup < 0)
            throw new ArgumentException("iterations must be ≥ 1 and warm-up ≥ 0");
        var config = new ModelConfig(o.ImageSize, o.Channels, o.Nz, o.Ngf, o.Ndf);
        var conv = Conv2dOps<float>.On(device);
        int? previousOverride = conv.VariantOverride;
        conv.VariantOverride = o.ConvVariant;
        try
        {
            return Run(device, o, config, conv, log);
        }
        finally
        {
            conv.VariantOverride = previousOverride;
        }
    }

    static StepBenchResult Run(ComputeDevice device, StepBenchOptions o, ModelConfig config, Conv2dOps<float> conv,
        Action<string>? log)
    {
        var recipe = GanRecipe.Named(o.Recipe) with { CriticWarmup = false };
        using var trainer = new GanTrainer(device, config, o.BatchSize, recipe, o.Seed);
        // Real images per iteration: one batch per critic step.
        int imagesPerIteration = o.BatchSize * recipe.CriticSteps;
        var rng = new Random(12345);
        var realBatch = new float[o.BatchSize * o.Channels * o.ImageSize * o.ImageSize];
        for (int i = 0; i < realBatch.Length; i++)
            realBatch[i] = (float)(rng.NextDouble() * 2 - 1);

        // 1. Validate (this Step also compiles every kernel).
        var clock = Stopwatch.StartNew();
        var first = Iteration(trainer, realBatch);
        if (!Finite(first))
            throw new InvalidOperationException(
                $"bench step: the first training step is not finite (loss_D {first.LossD}, loss_G {first.LossG}, " +
                $"non-finite flag {first.NonFinite}); refusing to time it");
        log?.Invoke($"validated: first step finite (loss_D {first.LossD:F4}, loss_G {first.LossG:F4}), " +
            $"{clock.Elapsed.TotalSeconds:F1} s including kernel compilation");
        if (o.PairedVariant is int pairedVariant)
        {
            var pairedFirst = PairedIteration(trainer, realBatch, conv, o);
            if (!Finite(pairedFirst))
                throw new InvalidOperationException(
                    $"bench step: a training step with conv variant {pairedVariant} is not finite (loss_D {pairedFirst.LossD}, " +
                    $"loss_G {pairedFirst.LossG}); refusing to time it");
            log?.Invoke($"validated: a step with conv variant {pairedVariant} is finite too");
        }

        // 2. Warm up (both variants when paired).
        for (int i = 0; i < o.Warmup; i++)
        {
            Iteration(trainer, realBatch);
            if (o.PairedVariant is not null)
                PairedIteration(trainer, realBatch, conv, o);
        }

        // 3. Time. Nothing but Step inside the loop, so the allocation counters see Step alone.
        var times = new double[o.Iterations];
        double[]? pairedTimes = o.PairedVariant is null ? null : new double[o.Iterations];
        IterationStats last = default;
        long threadBefore = GC.GetAllocatedBytesForCurrentThread();
        long totalBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < o.Iterations; i++)
        {
            // Paired rounds alternate which variant goes first (a lone run is always "first").
            bool pairedFirst = pairedTimes is not null && i % 2 == 1;
            if (pairedFirst)
                pairedTimes![i] = TimedPairedIteration(trainer, realBatch, conv, o);
            long t0 = Stopwatch.GetTimestamp();
            last = Iteration(trainer, realBatch);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (pairedTimes is not null && !pairedFirst)
                pairedTimes[i] = TimedPairedIteration(trainer, realBatch, conv, o);
        }
        long threadBytes = GC.GetAllocatedBytesForCurrentThread() - threadBefore;
        long totalBytes = GC.GetTotalAllocatedBytes(precise: true) - totalBefore;
        if (!Finite(last))
            throw new InvalidOperationException($"bench step: a timed step went non-finite (loss_D {last.LossD}, loss_G {last.LossG})");
        double median = Median(times);
        log?.Invoke($"timed {o.Iterations} steps: median {median:F1} ms, {imagesPerIteration / (median / 1e3):F1} images/s" +
            (pairedTimes is null ? "" : $"; paired with conv variant {o.PairedVariant}: median {Median(pairedTimes):F1} ms"));
        // The timed steps' allocations were counted over the paired iterations too, which run the same code.
        int timedIterations = o.Iterations * (pairedTimes is null ? 1 : 2);

        // 4. Profile.
        IReadOnlyList<StepOpTime> perOp = [], perKind = [];
        double profiled = double.NaN, syncFloor = double.NaN;
        if (o.Profile)
        {
            var profiler = new StepProfiler(device.Accelerator.DefaultStream);
            int n = Math.Max(1, Math.Min(o.Iterations, 3));
            (perOp, perKind, profiled) = profiler.Run(trainer, realBatch, n);
            syncFloor = StepProfiler.SyncFloorMs(device);
        }

        var peak = KernelBench.Peak(device);
        return new StepBenchResult("ours", device.Describe(), o.BatchSize, o.ImageSize, o.Channels, o.Nz, o.Ngf, o.Ndf,
            o.Iterations, o.Warmup, times, median, imagesPerIteration / (median / 1e3), last.LossD, last.LossG,
            DeviceMemoryBytes(device, trainer),
            "sum of the buffers held by the trainer, both models (parameters, gradients, optimizer state, every layer's " +
            "output and input gradient, batchnorm statistics) and the conv workspace",
            (double)threadBytes / timedIterations, (double)totalBytes / timedIterations, profiled, perOp, perKind,
            "separate pass after timing: the trainer's own iterations with a stream synchronize after each layer " +
            "pass and each other op (its profiling seam); wall ms per iteration summed over calls",
            UsefulFlops(config, o.BatchSize, recipe) / 1e9, peak.Gflops, peak.Source, o.PairedVariant, pairedTimes, syncFloor);
    }

    /// <summary>One iteration with every conv pass forced to the paired variant; the override is restored after.</summary>
    static IterationStats PairedIteration(GanTrainer trainer, float[] realBatch, Conv2dOps<float> conv, StepBenchOptions o)
    {
        conv.VariantOverride = o.PairedVariant;
        try
        {
            return Iteration(trainer, realBatch);
        }
        finally
        {
            conv.VariantOverride = o.ConvVariant;
        }
    }

    /// <summary>PairedIteration, timed; a non-finite step throws.</summary>
    static double TimedPairedIteration(GanTrainer trainer, float[] realBatch, Conv2dOps<float> conv, StepBenchOptions o)
    {
        long t0 = Stopwatch.GetTimestamp();
        var stats = PairedIteration(trainer, realBatch, conv, o);
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (!Finite(stats))
            throw new InvalidOperationException(
                $"bench step: a timed step with conv variant {o.PairedVariant} went non-finite (loss_D {stats.LossD}, loss_G {stats.LossG})");
        return ms;
    }

    /// <summary>
    /// FLOPs of the conv passes one iteration of the recipe runs (every conv pass costs 2·N·OC·OH·OW·C·K² of its
    /// conv shape; a transposed conv's passes are those of the conv it is the adjoint of), with k critic steps:
    ///   D: forward 2k + 1 times (real and fake per critic step, then G's step); weight gradient 2k times; input
    ///      gradient 2k times for every layer but the first (the chain inside D) and once for all (G's step)
    ///   G: forward k times (one G(z) per critic step); weight gradient once; input gradient once, but not for
    ///      its first layer (no gradient w.r.t. the noise)
    /// Batchnorm, activations, losses and optimizers are not counted. Null for a recipe with a gradient penalty,
    /// whose double backward this count does not model.
    /// </summary>
    public static double? UsefulFlops(ModelConfig config, int batch, GanRecipe recipe)
    {
        if (recipe.Penalty is not null)
            return null;
        int k = recipe.CriticSteps;
        double total = 0;
        foreach (var layer in ConvBenchOp.NetLayers(config, batch))
        {
            var s = layer.Shape;
            double flops = 2.0 * s.N * s.OC * s.OH * s.OW * s.C * s.K * s.K;
            bool first = layer.Name is "D1" or "G1";
            total += layer.Name[0] == 'D'
                ? flops * ((2 * k + 1) + 2 * k + (first ? 1 : 2 * k + 1))
                : flops * (k + 1 + (first ? 0 : 1));
        }
        return total;
    }

    /// <summary>One iteration: the recipe's critic steps on the same batch, then the generator step.</summary>
    static bool Finite(IterationStats s) => !s.NonFinite && float.IsFinite(s.LossD) && float.IsFinite(s.LossG);

    static IterationStats Iteration(GanTrainer trainer, float[] realBatch)
    {
        for (int k = trainer.CriticStepsForNextIteration; k > 0; k--)
            trainer.CriticStep(realBatch);
        return trainer.GeneratorStep();
    }

    /// <summary>Bytes of every device buffer a trainer holds (see the file header).</summary>
    public static long DeviceMemoryBytes(ComputeDevice device, GanTrainer trainer)
    {
        long floats = 0;
        foreach (var net in new[] { trainer.Generator, trainer.Discriminator })
        {
            floats += 2L * net.Parameters.Length;  // values, gradients
            foreach (var layer in net.Layers)
            {
                floats += layer.Output.Length + layer.InputGradient.Length;
                if (layer is BatchNorm2dLayer<float> bn)
                    floats += 6L * bn.Channels;    // running mean/var, mean, invstd, Σdy, Σdy·x̂
            }
        }
        foreach (var optimizer in new[] { trainer.OptimizerG, trainer.OptimizerD })
            floats += optimizer.State.Sum(s => s.View.Length);
        int b = trainer.BatchSize;
        // Trainer: real batch, noise, dLogits, the scalars, the norm's partials, the int flag; the objective's
        // targets (bce: ones, zeros, and the constant 1).
        floats += trainer.Discriminator.Layers[0].InputGradient.Length + trainer.Generator.Layers[0].InputGradient.Length
            + 3L * b + 1 + GanTrainer.ScalarCount + ReductionOps<float>.PartialsFor(device.Accelerator) + 1
            + (long)trainer.TensorNormNames.Count * (GradClipOps<float>.PartsFor(device.Accelerator) + 1);
        floats += Conv2dOps<float>.On(device).WorkspaceElements;
        return floats * sizeof(float);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}

/// <summary>
/// Times GanTrainer's real iteration op by op through its profiling seam (IStepTimer): every layer pass and every
/// other op the trainer launches is followed by a stream synchronize, and the wall time since the previous op is
/// summed under the op's name. It profiles the step itself, not a copy of it, so the profile can never drift from
/// what trains (StepBenchTests: a profiled iteration gives the same numbers as an unprofiled one, bit for bit).
/// </summary>
public sealed class StepProfiler(AcceleratorStream stream) : IStepTimer
{
    readonly Dictionary<string, (string Kind, double Ms, int Calls, double Flops)> times = [];
    readonly Dictionary<(Layer, LayerPass), string> layerLabels = [];
    readonly List<string> order = [];
    long mark;

    /// <summary>Profiles n iterations; returns the per-op rows (slowest first), per-kind totals and the total.</summary>
    public (IReadOnlyList<StepOpTime> PerOp, IReadOnlyList<StepOpTime> PerKind, double TotalMs) Run(GanTrainer trainer,
        float[] realBatch, int n)
    {
        Clear();
        for (int i = 0; i < n; i++)
            Iteration(trainer, realBatch);
        return Result(n);
    }

    /// <summary>One whole iteration of the trainer's recipe (its critic steps, then its generator step), timed op by op.</summary>
    public IterationStats Iteration(GanTrainer trainer, float[] realBatch)
    {
        Begin(trainer);
        try
        {
            for (int k = trainer.CriticStepsForNextIteration; k > 0; k--)
                trainer.CriticStep(realBatch);
            return trainer.GeneratorStep();
        }
        finally
        {
            End(trainer);
        }
    }

    /// <summary>
    /// What a profiled op costs at the least: the median wall time of launching a one-work-item kernel and
    /// synchronizing, on a stream of its own. Every row of a profile includes one such synchronize, and at small
    /// batches they add up: on PoCL (2-vCPU EPYC) ~0.03–0.05 ms each, where a queued launch costs 3–8 µs.
    /// </summary>
    public static double SyncFloorMs(ComputeDevice device, int launches = 40)
    {
        var tensors = TensorOps<float>.On(device);
        using var buffer = device.Accelerator.Allocate1D<float>(1);
        using var s = device.Accelerator.CreateStream();
        var times = new double[launches];
        for (int i = -3; i < launches; i++)
        {
            long start = Stopwatch.GetTimestamp();
            tensors.Fill(s, 0f, buffer.View);
            s.Synchronize();
            if (i >= 0)
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return StepBench.Median(times);
    }

    /// <summary>Forgets the ops timed so far.</summary>
    public void Clear()
    {
        times.Clear();
        order.Clear();
    }

    /// <summary>
    /// Starts timing whatever the trainer launches next (an iteration its caller drives, as the training loop does for
    /// the iteration it profiles): sets the trainer's seam to this profiler and waits for the stream to be idle. Time
    /// the caller spends between ops counts towards the next op, unless it reports it with <see cref="Op"/>.
    /// </summary>
    public void Begin(GanTrainer trainer)
    {
        trainer.Timer = this;
        stream.Synchronize();
        mark = Stopwatch.GetTimestamp();
    }

    /// <summary>Stops timing: the trainer's seam goes back to null.</summary>
    public void End(GanTrainer trainer) => trainer.Timer = null;

    /// <summary>The per-op rows (slowest first), per-kind totals and total of what was timed, per iteration of n.</summary>
    public (IReadOnlyList<StepOpTime> PerOp, IReadOnlyList<StepOpTime> PerKind, double TotalMs) Result(int n)
    {
        var perOp = order.Select(k => new StepOpTime(k, times[k].Kind, times[k].Ms / n, (double)times[k].Calls / n, times[k].Flops / 1e9 / n))
            .OrderByDescending(r => r.MsPerIteration).ToList();
        var perKind = perOp.GroupBy(r => r.Kind)
            .Select(g => new StepOpTime(g.Key, g.Key, g.Sum(r => r.MsPerIteration), g.Sum(r => r.CallsPerIteration), g.Sum(r => r.GflopPerIteration)))
            .OrderByDescending(r => r.MsPerIteration).ToList();
        return (perOp, perKind, perOp.Sum(r => r.MsPerIteration));
    }

    public void Op(string op, string kind) => Done(op, kind, 0);

    public void Layer(string net, Layer layer, LayerPass pass)
    {
        if (!layerLabels.TryGetValue((layer, pass), out var label))
            layerLabels[(layer, pass)] = label = $"{net} {layer.Name} {layer.Describe()} {PassName(pass)}";
        // A penalty's double backward is its own kind, so its cost shows apart from the first-order passes.
        Done(label, pass == LayerPass.DoubleBackward ? "double backward" : KindOf(layer), layer.LastPassFlops);
    }

    static string PassName(LayerPass pass) => pass switch
    {
        LayerPass.Forward => "forward",
        LayerPass.Backward => "backward",
        _ => "double backward",
    };

    static string KindOf(Layer layer) => layer switch
    {
        Conv2dLayer<float> => "conv2d",
        ConvTranspose2dLayer<float> => "conv-transpose2d",
        BatchNorm2dLayer<float> => "batchnorm",
        _ => "activation",
    };

    void Done(string op, string kind, double flops)
    {
        stream.Synchronize();
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(mark, now).TotalMilliseconds;
        mark = now;
        if (times.TryGetValue(op, out var t))
            times[op] = (kind, t.Ms + ms, t.Calls + 1, t.Flops + flops);
        else
        {
            times[op] = (kind, ms, 1, flops);
            order.Add(op);
        }
    }
}

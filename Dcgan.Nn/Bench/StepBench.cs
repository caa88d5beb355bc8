// `dcgan bench step`: whole DCGAN training iterations (GanTrainer.Step: D on a real batch, D on G(z), Adam on D,
// G through D, Adam on G) on random data, timed end to end; the PyTorch twin is bench/pytorch_dcgan_step.py.
//
//   1. Validate: one Step must give finite losses and gradient norms (a broken step is refused, never timed).
//   2. Warm up (ILGPU compiles on first launch; the conv workspace grows to its final size).
//   3. Time `iterations` Steps (each ends with a stream synchronize and the scalar read-back): median ms,
//      images/s = batch / median. Managed bytes allocated over the timed Steps / iterations (must be ~0).
//   4. Profile (a separate pass, after timing): StepProfiler replays the same iteration op by op, synchronizing
//      the stream after every layer pass and every other op, and sums wall time per op. Synchronizing costs a
//      little per op, so the profiled total is reported next to the unprofiled median.
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
    int Iterations = 5, int Warmup = 2, bool Profile = true, ulong Seed = 1, int? ConvVariant = null);

/// <summary>One row of the per-op breakdown: wall ms per iteration (sum over its calls) and calls per iteration.</summary>
public sealed record StepOpTime(string Op, string Kind, double MsPerIteration, double CallsPerIteration);

public sealed record StepBenchResult(
    string Implementation, string Device, int BatchSize, int ImageSize, int Channels, int Nz, int Ngf, int Ndf,
    int Iterations, int Warmup, double[] MsPerIteration, double MsPerIterationMedian, double ImagesPerSecond,
    float LossD, float LossG, long DeviceMemoryBytes, string DeviceMemoryNote, double ManagedBytesPerIteration,
    double ManagedBytesPerIterationAllThreads, double ProfiledMsPerIteration, IReadOnlyList<StepOpTime> PerOp,
    IReadOnlyList<StepOpTime> PerKind, string PerOpMethod);

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
            return Run(device, o, config, log);
        }
        finally
        {
            conv.VariantOverride = previousOverride;
        }
    }

    static StepBenchResult Run(ComputeDevice device, StepBenchOptions o, ModelConfig config, Action<string>? log)
    {
        using var trainer = new GanTrainer(device, config, o.BatchSize, AdamSettings.Dcgan, o.Seed);
        var rng = new Random(12345);
        var realBatch = new float[o.BatchSize * o.Channels * o.ImageSize * o.ImageSize];
        for (int i = 0; i < realBatch.Length; i++)
            realBatch[i] = (float)(rng.NextDouble() * 2 - 1);

        // 1. Validate (this Step also compiles every kernel).
        var clock = Stopwatch.StartNew();
        var first = trainer.Step(realBatch);
        if (first.NonFinite || !float.IsFinite(first.LossD) || !float.IsFinite(first.LossG))
            throw new InvalidOperationException(
                $"bench step: the first training step is not finite (loss_D {first.LossD}, loss_G {first.LossG}, " +
                $"non-finite flag {first.NonFinite}); refusing to time it");
        log?.Invoke($"validated: first step finite (loss_D {first.LossD:F4}, loss_G {first.LossG:F4}), " +
            $"{clock.Elapsed.TotalSeconds:F1} s including kernel compilation");

        // 2. Warm up.
        for (int i = 0; i < o.Warmup; i++)
            trainer.Step(realBatch);

        // 3. Time. Nothing but Step inside the loop, so the allocation counters see Step alone.
        var times = new double[o.Iterations];
        IterationStats last = default;
        long threadBefore = GC.GetAllocatedBytesForCurrentThread();
        long totalBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < o.Iterations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            last = trainer.Step(realBatch);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        long threadBytes = GC.GetAllocatedBytesForCurrentThread() - threadBefore;
        long totalBytes = GC.GetTotalAllocatedBytes(precise: true) - totalBefore;
        if (last.NonFinite || !float.IsFinite(last.LossD) || !float.IsFinite(last.LossG))
            throw new InvalidOperationException($"bench step: a timed step went non-finite (loss_D {last.LossD}, loss_G {last.LossG})");
        double median = Median(times);
        log?.Invoke($"timed {o.Iterations} steps: median {median:F1} ms, {o.BatchSize / (median / 1e3):F1} images/s");

        // 4. Profile.
        IReadOnlyList<StepOpTime> perOp = [], perKind = [];
        double profiled = double.NaN;
        if (o.Profile)
        {
            using var profiler = new StepProfiler(device, trainer);
            int n = Math.Max(1, Math.Min(o.Iterations, 3));
            (perOp, perKind, profiled) = profiler.Run(realBatch, n);
        }

        return new StepBenchResult("ours", device.Describe(), o.BatchSize, o.ImageSize, o.Channels, o.Nz, o.Ngf, o.Ndf,
            o.Iterations, o.Warmup, times, median, o.BatchSize / (median / 1e3), last.LossD, last.LossG,
            DeviceMemoryBytes(device, trainer),
            "sum of the buffers held by the trainer, both models (parameters, gradients, Adam moments, every layer's " +
            "output and input gradient, batchnorm statistics) and the conv workspace",
            (double)threadBytes / o.Iterations, (double)totalBytes / o.Iterations, profiled, perOp, perKind,
            "separate pass after timing: the iteration replayed op by op with a stream synchronize after each layer " +
            "pass and each other op; wall ms per iteration summed over calls");
    }

    /// <summary>Bytes of every device buffer a trainer holds (see the file header).</summary>
    public static long DeviceMemoryBytes(ComputeDevice device, GanTrainer trainer)
    {
        long floats = 0;
        foreach (var net in new[] { trainer.Generator, trainer.Discriminator })
        {
            floats += 4L * net.Parameters.Length;  // values, gradients, Adam m and v
            foreach (var layer in net.Layers)
            {
                floats += layer.Output.Length + layer.InputGradient.Length;
                if (layer is BatchNorm2dLayer bn)
                    floats += 6L * bn.Channels;    // running mean/var, mean, invstd, Σdy, Σdy·x̂
            }
        }
        int b = trainer.BatchSize;
        // Trainer: real batch, noise, ones, zeros, dLogits, one, 8 scalars, the norm's partials, the int flag.
        floats += trainer.Discriminator.Layers[0].InputGradient.Length + trainer.Generator.Layers[0].InputGradient.Length
            + 3L * b + 1 + 8 + ReductionOps<float>.DefaultPartials + 1;
        floats += Conv2dOps<float>.On(device).WorkspaceElements;
        return floats * sizeof(float);
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}

/// <summary>
/// Replays GanTrainer.Step op by op with a synchronize after each, timing every layer's forward and backward and
/// every other op (BCE, noise, gradient norm, non-finite flag, Adam, gradient clear, host↔device copies). It uses
/// the trainer's own models and step counter, so its iterations continue the trainer's run; its scalar buffers are
/// its own. The op sequence must follow GanTrainer.Step: StepBenchTests checks that a profiled iteration gives the
/// same losses as Step, bit for bit.
/// </summary>
public sealed class StepProfiler : IDisposable
{
    const int ErrDReal = 0, ErrDFake = 1, ErrG = 2, DX = 3, DGz1 = 4, DGz2 = 5, NormD = 6, NormG = 7, ScalarCount = 8;

    readonly GanTrainer trainer;
    readonly AcceleratorStream stream;
    readonly BceWithLogitsOps<float> bce;
    readonly AdamOps<float> adam;
    readonly ReductionOps<float> reductions;
    readonly TensorOps<float> tensors;
    readonly NormalRngOps rng;
    readonly MemoryBuffer1D<float, Stride1D.Dense> real, noise, ones, zeros, dLogits, one, scalars, partials;
    readonly MemoryBuffer1D<int, Stride1D.Dense> nonFinite;
    readonly float[] hostScalars = new float[ScalarCount];
    readonly int[] hostFlag = new int[1];
    readonly Dictionary<string, (string Kind, double Ms, int Calls)> times = [];
    readonly List<string> order = [];
    long mark;

    public StepProfiler(ComputeDevice device, GanTrainer trainer)
    {
        this.trainer = trainer;
        var a = device.Accelerator;
        stream = a.DefaultStream;
        bce = BceWithLogitsOps<float>.On(device);
        adam = AdamOps<float>.On(device);
        reductions = ReductionOps<float>.On(device);
        tensors = TensorOps<float>.On(device);
        rng = NormalRngOps.On(device);
        int b = trainer.BatchSize;
        real = a.Allocate1D<float>(trainer.Discriminator.Layers[0].InputGradient.Length);
        noise = a.Allocate1D<float>(trainer.Generator.Layers[0].InputGradient.Length);
        ones = a.Allocate1D<float>(b);
        zeros = a.Allocate1D<float>(b);
        dLogits = a.Allocate1D<float>(b);
        one = a.Allocate1D<float>(1);
        scalars = a.Allocate1D<float>(ScalarCount);
        partials = a.Allocate1D<float>(ReductionOps<float>.DefaultPartials);
        nonFinite = a.Allocate1D<int>(1);
        tensors.Fill(stream, 1f, ones.View);
        tensors.Fill(stream, 0f, zeros.View);
        tensors.Fill(stream, 1f, one.View);
        stream.Synchronize();
    }

    /// <summary>Profiles n iterations; returns the per-op rows (slowest first), per-kind totals and the total.</summary>
    public (IReadOnlyList<StepOpTime> PerOp, IReadOnlyList<StepOpTime> PerKind, double TotalMs) Run(float[] realBatch, int n)
    {
        times.Clear();
        order.Clear();
        for (int i = 0; i < n; i++)
            Step(realBatch);
        var perOp = order.Select(k => new StepOpTime(k, times[k].Kind, times[k].Ms / n, (double)times[k].Calls / n))
            .OrderByDescending(r => r.MsPerIteration).ToList();
        var perKind = perOp.GroupBy(r => r.Kind)
            .Select(g => new StepOpTime(g.Key, g.Key, g.Sum(r => r.MsPerIteration), g.Sum(r => r.CallsPerIteration)))
            .OrderByDescending(r => r.MsPerIteration).ToList();
        return (perOp, perKind, perOp.Sum(r => r.MsPerIteration));
    }

    /// <summary>One iteration in GanTrainer.Step's order, timed op by op. Returns the same stats Step would.</summary>
    public IterationStats Step(float[] realBatch)
    {
        int iteration = trainer.StepsTaken + 1;
        var G = trainer.Generator;
        var D = trainer.Discriminator;
        var s = scalars.View;
        var settings = AdamSettings.Dcgan;
        stream.Synchronize();
        mark = Stopwatch.GetTimestamp();
        ((ArrayView<float>)real.View).CopyFromCPU(realBatch);
        Done("copy real batch host->device", "copy");
        reductions.ClearFlag(stream, nonFinite.View);
        Done("non-finite flag", "checks");

        // (1) D on the real batch, label 1.
        Forward("D", D, real.View);
        Loss(D, ones.View, ErrDReal, DX);
        Backward("D", D, real.View, needInputGradient: false);

        // (2) D on G(z), label 0.
        rng.Normal(stream, trainer.StreamSeed('z'), (long)(iteration - 1) * noise.Length, noise.View);
        Done("noise (normal rng)", "rng");
        Forward("G", G, noise.View);
        Forward("D", D, G.Output);
        Loss(D, zeros.View, ErrDFake, DGz1);
        Backward("D", D, G.Output, needInputGradient: false);
        reductions.L2Norm(stream, D.Parameters.Gradients, partials.View, s.SubView(NormD, 1));
        Done("gradient norm", "checks");
        reductions.FlagNonFinite(stream, D.Parameters.Gradients, nonFinite.View);
        Done("non-finite flag", "checks");
        adam.Step(stream, settings, iteration, D.Parameters.Values, D.Parameters.Gradients,
            D.Parameters.FirstMoment, D.Parameters.SecondMoment);
        Done("adam D", "adam");

        // (3) G through the updated D, label 1.
        Forward("D", D, G.Output);
        Loss(D, ones.View, ErrG, DGz2);
        Backward("D", D, G.Output, dLogits.View, needInputGradient: true, needParameterGradients: false);
        tensors.Fill(stream, 0f, D.Parameters.Gradients);
        Done("clear D gradients", "fill");
        Backward("G", G, noise.View, D.InputGradient, needInputGradient: false, needParameterGradients: true);
        reductions.L2Norm(stream, G.Parameters.Gradients, partials.View, s.SubView(NormG, 1));
        Done("gradient norm", "checks");
        reductions.FlagNonFinite(stream, G.Parameters.Gradients, nonFinite.View);
        reductions.FlagNonFinite(stream, s, nonFinite.View);
        Done("non-finite flag", "checks");
        adam.Step(stream, settings, iteration, G.Parameters.Values, G.Parameters.Gradients,
            G.Parameters.FirstMoment, G.Parameters.SecondMoment);
        Done("adam G", "adam");

        s.CopyToCPU(hostScalars);
        nonFinite.View.CopyToCPU(hostFlag);
        Done("copy scalars device->host", "copy");
        trainer.StepsTaken = iteration;
        var h = hostScalars;
        return new IterationStats(h[ErrDReal] + h[ErrDFake], h[ErrG], h[DX], h[DGz1], h[DGz2], h[NormD], h[NormG],
            hostFlag[0] != 0);
    }

    void Loss(Sequential d, ArrayView<float> target, int lossSlot, int meanSlot)
    {
        var s = scalars.View;
        bce.Forward(stream, d.Output, target, s.SubView(lossSlot, 1));
        bce.MeanSigmoid(stream, d.Output, s.SubView(meanSlot, 1));
        bce.Backward(stream, d.Output, target, one.View, dLogits.View);
        Done("bce with logits (forward, mean sigmoid, backward)", "bce");
    }

    void Forward(string net, Sequential model, ArrayView<float> input)
    {
        var x = input;
        foreach (var layer in model.Layers)
        {
            layer.Forward(stream, x, training: true);
            Done($"{net} {layer.Name} {layer.Describe()} forward", KindOf(layer));
            x = layer.Output;
        }
    }

    void Backward(string net, Sequential model, ArrayView<float> input, bool needInputGradient) =>
        Backward(net, model, input, dLogits.View, needInputGradient, needParameterGradients: true);

    // Mirrors Sequential.Backward.
    void Backward(string net, Sequential model, ArrayView<float> input, ArrayView<float> dOutput, bool needInputGradient,
        bool needParameterGradients)
    {
        var layers = model.Layers;
        var dY = dOutput;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var x = i == 0 ? input : layers[i - 1].Output;
            layers[i].Backward(stream, x, dY, needInputGradient: i > 0 || needInputGradient, needParameterGradients);
            Done($"{net} {layers[i].Name} {layers[i].Describe()} backward", KindOf(layers[i]));
            dY = layers[i].InputGradient;
        }
    }

    static string KindOf(Layer layer) => layer switch
    {
        Conv2dLayer => "conv2d",
        ConvTranspose2dLayer => "conv-transpose2d",
        BatchNorm2dLayer => "batchnorm",
        _ => "activation",
    };

    void Done(string op, string kind)
    {
        stream.Synchronize();
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(mark, now).TotalMilliseconds;
        mark = now;
        if (times.TryGetValue(op, out var t))
            times[op] = (kind, t.Ms + ms, t.Calls + 1);
        else
        {
            times[op] = (kind, ms, 1);
            order.Add(op);
        }
    }

    public void Dispose()
    {
        foreach (var buffer in new[] { real, noise, ones, zeros, dLogits, one, scalars, partials })
            buffer.Dispose();
        nonFinite.Dispose();
    }
}

// `dcgan bench kernels`: every variant of every registered op at the real DCGAN layer shapes, llm.c style —
// validate each variant against variant 1 on the device first (a wrong kernel is reported FAILED and never timed),
// warm up (ILGPU compiles on first launch), then time launches on an explicit stream and report the median.
//
// Adding an op: implement KernelBenchOp (name, variant names, cases; each case prepares its tensors and can run
// and validate a variant) and add it to KernelBench.Ops. The conv passes below are the first three.
//
// FLOP counts are the dense convention (2·N·OC·OH·OW·C·K², padding taps included, as cuDNN/PyTorch count);
// bytes are the minimum a pass must move (read each input once, write — or read and write for +=—each output
// once), so GB/s is a lower bound on the traffic.
using System.Diagnostics;
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Dcgan.Nn.Bench;

/// <summary>One op's benchmark: its variants and the shapes it is timed at.</summary>
public abstract class KernelBenchOp
{
    public abstract string Name { get; }
    /// <summary>Variant v (1-based) is VariantNames[v − 1]; variant 1 is the reference the others are checked against.</summary>
    public abstract IReadOnlyList<string> VariantNames { get; }
    public abstract IReadOnlyList<KernelBenchCase> Cases { get; }
}

/// <summary>One shape of one op: its label, work and traffic, and how to set it up on a device.</summary>
public abstract class KernelBenchCase
{
    public abstract string Label { get; }
    public abstract string Shape { get; }
    public abstract double Flops { get; }
    public abstract double Bytes { get; }
    public abstract IKernelBenchRun Prepare(ComputeDevice device);
}

/// <summary>A case's tensors on the device (random inputs, allocated once).</summary>
public interface IKernelBenchRun : IDisposable
{
    /// <summary>Queues one launch of the variant on the stream.</summary>
    void Launch(AcceleratorStream stream, int variant);
    /// <summary>Runs the variant and variant 1 from the same inputs; null if they agree, else what differs.</summary>
    string? Validate(int variant);
}

public sealed record KernelBenchResult(
    string Op, string Layer, string Shape, int Variant, string VariantName, bool Valid, string? Failure,
    double MedianMs, double Gflops, double GBps, double PercentOfPeak, int Runs);

public sealed record PeakEstimate(double Gflops, string Source);

public static class KernelBench
{
    public static IReadOnlyList<KernelBenchOp> Ops { get; } =
    [
        new ConvBenchOp(ConvPass.Forward),
        new ConvBenchOp(ConvPass.BackwardData),
        new ConvBenchOp(ConvPass.BackwardWeight),
    ];

    /// <summary>
    /// FP32 peak: the datasheet for known GPUs, else a measured multiply-add probe (ConvGemm.FmaProbe: 24
    /// independent 16-wide chains per work-item, group size 1, enough work-items for every core; the best of 5
    /// launches of ≈ 40 ms on a 2-vCPU CPU).
    /// </summary>
    public static PeakEstimate Peak(ComputeDevice device)
    {
        var estimate = Measure(device);
        peaks.AddOrUpdate(device.Accelerator, estimate);
        PeakCache.Save(device, estimate);
        return estimate;
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Accelerator, PeakEstimate> peaks = new();

    /// <summary>
    /// The device's peak without measuring it: the datasheet's, else the one this process or an earlier `dcgan bench`
    /// on this machine measured (PeakCache), else null. A training run's profiled checkpoints take it so: the probe costs
    /// 10–15 s on the 2-vCPU machines (mostly compiling it), about 10% of the default run's epoch there.
    /// </summary>
    public static PeakEstimate? KnownPeak(ComputeDevice device)
    {
        if (Datasheet(device.Accelerator) is { } datasheet)
            return datasheet;
        if (peaks.TryGetValue(device.Accelerator, out var known))
            return known;
        return PeakCache.Load(device);
    }

    static PeakEstimate? Datasheet(Accelerator a) =>
        a is CudaAccelerator && (a.Name.Contains("H100") || a.Name.Contains("H200"))
            ? new(67_000, "datasheet: H100/H200 SXM FP32 67 TFLOP/s") : null;

    static PeakEstimate Measure(ComputeDevice device)
    {
        var a = device.Accelerator;
        if (Datasheet(a) is { } datasheet)
            return datasheet;
        var probe = a.LoadImplicitlyGroupedKernel<Index1D, ArrayView<float>, int, ArrayView<float>>(ConvGemm.FmaProbe, 1);
        int items = Math.Max(64, a.NumMultiprocessors * 32);
        // Long enough (≈ 40 ms a launch on the 2-vCPU EPYC) for the clock to settle: with 4 ms launches the probe read
        // anything from 116 to 293 GFLOP/s from one run to the next while the conv kernels timed the same.
        int iterations = a.AcceleratorType == AcceleratorType.CPU ? 20 : 200_000;
        using var seed = DeviceTensor<float>.FromHost(a,
            Enumerable.Range(0, 48).Select(i => i < 16 ? 0.999f : i < 32 ? 0.001f : 1f).ToArray(), 48);
        using var result = new DeviceTensor<float>(a, items * 16);
        using var stream = a.CreateStream();
        probe(stream, items, seed.View, iterations, result.View);   // compile + warm up
        stream.Synchronize();
        var times = new List<double>();
        for (int r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            probe(stream, items, seed.View, iterations, result.View);
            stream.Synchronize();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        // A peak is an upper bound: the fastest launch, not the median.
        double flops = 2.0 * items * 24 * 16 * iterations;
        return new(flops / times.Min() / 1e9, "measured: multiply-add probe, 24 independent 16-wide chains per work-item, best of 5");
    }

    /// <summary>
    /// Validates, warms up and times every selected (op, case, variant); results come back in order through
    /// onResult as they finish (so a long run shows progress).
    /// </summary>
    public static void Run(ComputeDevice device, IEnumerable<KernelBenchOp> ops, Func<KernelBenchCase, bool> caseFilter,
        Func<int, bool> variantFilter, int maxRuns, double peakGflops, Action<KernelBenchResult> onResult)
    {
        using var stream = device.Accelerator.CreateStream();
        foreach (var op in ops)
        foreach (var benchCase in op.Cases.Where(caseFilter))
        {
            using var run = benchCase.Prepare(device);
            for (int v = 1; v <= op.VariantNames.Count; v++)
            {
                if (!variantFilter(v))
                    continue;
                string? failure = v == 1 ? null : run.Validate(v);
                if (failure is not null)
                {
                    onResult(new(op.Name, benchCase.Label, benchCase.Shape, v, op.VariantNames[v - 1], false, failure,
                        double.NaN, double.NaN, double.NaN, double.NaN, 0));
                    continue;
                }
                // Warm-up: compiles on first use, and grows any workspace.
                run.Launch(stream, v);
                stream.Synchronize();
                var times = new List<double>();
                var total = Stopwatch.StartNew();
                // At least 3 timed launches, more up to maxRuns while under a second in total.
                while (times.Count < 3 || (times.Count < maxRuns && total.Elapsed.TotalSeconds < 1.0))
                {
                    var clock = Stopwatch.StartNew();
                    run.Launch(stream, v);
                    stream.Synchronize();
                    times.Add(clock.Elapsed.TotalSeconds);
                }
                double seconds = Median(times);
                double gflops = benchCase.Flops / seconds / 1e9;
                onResult(new(op.Name, benchCase.Label, benchCase.Shape, v, op.VariantNames[v - 1], true, null,
                    seconds * 1e3, gflops, benchCase.Bytes / seconds / 1e9, 100 * gflops / peakGflops, times.Count));
            }
        }
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int m = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}

/// <summary>
/// One conv of a DCGAN net as the conv kernels see it: Name "D1".."D5" (D's convs) or "G1".."G5" (G's transposed
/// convs, Transposed), Geometry "in->out size->size", and Shape, the ConvShape it launches (for a transposed conv the
/// shape of the conv it is the adjoint of, ConvTranspose2d.Shape).
/// </summary>
public sealed record DcganConvLayer(string Net, string Name, string Geometry, bool Transposed, ConvShape Shape)
{
    /// <summary>"32px D1 1->64 32->16": the benchmark's label (a transposed conv's adds the role each pass plays).</summary>
    public string Label => $"{Net} {Name} {Geometry}";
}

/// <summary>
/// One conv pass at every conv of both DCGAN nets (ngf = ndf = 64) at batch 64, and of the default run's net at its
/// batch (16): D's convs and G's transposed convs seen as the conv they run as (a transposed conv's forward is conv
/// backward-data, its input gradient conv forward, its weight gradient conv backward-weight).
/// </summary>
public sealed class ConvBenchOp(ConvPass pass) : KernelBenchOp
{
    public const int Batch = 64;

    /// <summary>
    /// The nets timed, at pytorch/examples' widths (nz 100, ngf = ndf = 64): 64×64 RGB and 32×32 grayscale at batch 64,
    /// and the default run's (32×32 grayscale at `dcgan train`'s batch, labelled "32px b16").
    /// </summary>
    public static IReadOnlyList<(ModelConfig Net, int Batch)> Nets { get; } =
    [
        (new(ImageSize: 64, Channels: 3), Batch), (new(ImageSize: 32, Channels: 1), Batch),
        (new(ImageSize: 32, Channels: 1), Training.TrainOptions.DefaultBatchSize),
    ];

    public override string Name => pass switch
    {
        ConvPass.Forward => "conv2d-forward",
        ConvPass.BackwardData => "conv2d-backward-data",
        _ => "conv2d-backward-weight",
    };

    public override IReadOnlyList<string> VariantNames => Conv2dOps<float>.VariantNames;

    public override IReadOnlyList<KernelBenchCase> Cases { get; } = Nets.SelectMany(n => NetLayers(n.Net, n.Batch))
        .Select(l => new ConvBenchCase(pass, l.Transposed ? $"{l.Net} {l.Name} {Role(pass)} {l.Geometry}" : l.Label, l.Shape)).ToList();

    static string Role(ConvPass pass) => pass switch
    {
        ConvPass.Forward => "G convT input-grad",
        ConvPass.BackwardData => "G convT forward",
        _ => "G convT weight-grad",
    };

    /// <summary>
    /// Every conv of the DCGAN net of <paramref name="config"/> at a batch size, D's then G's, as DcganModels builds
    /// them (Dcgan.Tests/Kernels/ConvDispatchTests checks this list against the models' layers).
    /// </summary>
    public static IEnumerable<DcganConvLayer> NetLayers(ModelConfig config, int batch)
    {
        string net = batch == Batch ? $"{config.ImageSize}px" : $"{config.ImageSize}px b{batch}";
        int depth = config.Stages;
        // D: channels → ndf → … (doubling), halving the size, then a k4 s1 p0 conv to 1×1.
        int c = config.Channels, h = config.ImageSize;
        for (int l = 0; l < depth; l++)
        {
            int oc = config.Ndf << l;
            yield return new(net, $"D{l + 1}", $"{c}->{oc} {h}->{h / 2}", false, ConvShape.Create(batch, c, h, h, oc, 4, 2, 1));
            c = oc;
            h /= 2;
        }
        yield return new(net, $"D{depth + 1}", $"{c}->1 {h}->1", false, ConvShape.Create(batch, c, h, h, 1, 4, 1, 0));
        // G: nz → ngf·2^(depth−1) from 1×1 to 4×4, then halving channels and doubling the size, ending at channels.
        int gc = config.Ngf << (depth - 1);
        yield return new(net, "G1", $"{config.Nz}->{gc} 1->4", true, ConvTranspose2d.Shape(batch, config.Nz, 1, 1, gc, 4, 1, 0));
        int gh = 4;
        for (int l = depth - 1; l >= 0; l--)
        {
            int outC = l == 0 ? config.Channels : config.Ngf << (l - 1);
            yield return new(net, $"G{depth - l + 1}", $"{gc}->{outC} {gh}->{gh * 2}", true,
                ConvTranspose2d.Shape(batch, gc, gh, gh, outC, 4, 2, 1));
            gc = outC;
            gh *= 2;
        }
    }
}

sealed class ConvBenchCase(ConvPass pass, string label, ConvShape s) : KernelBenchCase
{
    public override string Label => label;
    public override string Shape => s.ToString();
    public override double Flops => 2.0 * s.N * s.OC * s.OH * s.OW * s.C * s.K * s.K;

    public override double Bytes => sizeof(float) * (pass switch
    {
        ConvPass.Forward => s.InputLength + s.WeightLength + s.OutputLength,
        ConvPass.BackwardData => s.OutputLength + s.WeightLength + s.InputLength,
        _ => s.InputLength + s.OutputLength + 2.0 * s.WeightLength,
    });

    public override IKernelBenchRun Prepare(ComputeDevice device) => new Run(device, pass, s);

    sealed class Run : IKernelBenchRun
    {
        readonly Accelerator a;
        readonly Conv2dOps<float> ops;
        readonly ConvPass pass;
        readonly ConvShape s;
        // in0, in1, output of the pass: (x, w, y), (dY, w, dX) or (x, dY, dW).
        readonly DeviceTensor<float> in0, in1, output;
        readonly float[] outputStart;
        float[]? referenceOutput;

        public Run(ComputeDevice device, ConvPass pass, ConvShape s)
        {
            a = device.Accelerator;
            ops = Conv2dOps<float>.On(device);
            this.pass = pass;
            this.s = s;
            var rng = new Random(42);
            var (n0, n1, nOut) = pass switch
            {
                ConvPass.Forward => (s.InputLength, s.WeightLength, s.OutputLength),
                ConvPass.BackwardData => (s.OutputLength, s.WeightLength, s.InputLength),
                _ => (s.InputLength, s.OutputLength, s.WeightLength),
            };
            in0 = DeviceTensor<float>.FromHost(a, Uniform(rng, n0), (int)n0);
            in1 = DeviceTensor<float>.FromHost(a, Uniform(rng, n1), (int)n1);
            // dW accumulates: start it from random values so validation sees the += too.
            outputStart = pass == ConvPass.BackwardWeight ? Uniform(rng, nOut) : new float[nOut];
            output = DeviceTensor<float>.FromHost(a, outputStart, (int)nOut);
        }

        static float[] Uniform(Random rng, long count)
        {
            var v = new float[count];
            for (long i = 0; i < count; i++)
                v[i] = (float)(rng.NextDouble() * 2 - 1);
            return v;
        }

        public void Launch(AcceleratorStream stream, int variant) =>
            ops.Run(pass, stream, s, in0.View, in1.View, output.View, variant);

        public string? Validate(int variant)
        {
            // Variant 1's output is computed once per case and reused for every variant checked against it.
            float[] reference = referenceOutput ??= RunOnce(1), candidate = RunOnce(variant);
            // Different summation orders of up to ~10^4 float32 products: compare against the tensor's scale.
            double scale = reference.Max(v => Math.Abs((double)v));
            double worst = 0;
            int at = -1;
            for (int i = 0; i < reference.Length; i++)
            {
                double err = Math.Abs((double)candidate[i] - reference[i]);
                if (!(err <= worst))   // also catches NaN
                {
                    worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                    at = i;
                }
            }
            return worst <= 1e-4 * scale + 1e-6
                ? null
                : $"element {at}: {candidate[at]:R} vs variant 1 {reference[at]:R} (max |v1| {scale:G3})";
        }

        float[] RunOnce(int variant)
        {
            // Outputs that are overwritten start as NaN, so unwritten elements fail.
            output.CopyFrom(pass == ConvPass.BackwardWeight ? outputStart : Enumerable.Repeat(float.NaN, output.Length).ToArray());
            ops.Run(pass, a.DefaultStream, s, in0.View, in1.View, output.View, variant);
            a.DefaultStream.Synchronize();
            return output.ToHost();
        }

        public void Dispose()
        {
            in0.Dispose();
            in1.Dispose();
            output.Dispose();
        }
    }
}

// snapshots.json: what D sees and where the time goes, recorded at every checkpoint of a run (the report's panels
// "What D sees" and "Where the time goes").
//
//   logits    D's raw outputs on a fixed real batch and on G(fixed noise), B values each, and their histogram over
//             shared bins (how far apart the two are is the state of the game)
//   layers    per layer of G and of D: its parameters' mean and std, and its output's mean and std with, after an
//             activation, the share of outputs that are 0 (ReLU; "dead": units at 0 on every image of the batch),
//             negative (LeakyReLU) or saturated (Tanh, |y| > 0.99); D's on the real batch and on the fake one
//   profile   the iteration that ends at the checkpoint, timed op by op through the trainer's profiling seam
//             (StepProfiler, as `dcgan bench step`), with each conv pass's GFLOP/s and % of the device's peak (the
//             datasheet's, or one `dcgan bench` measured on this machine before: PeakCache; never measured here, as
//             the probe costs 10–15 s on a CPU, about a tenth of the default run's epoch there)
//
// None of it changes training: the batch statistics are taken on copies of G and D (weights and state copied from
// the trainer, run in training mode as training runs them: batch statistics, spectral norms' power iteration), so the
// trainer's batchnorm running statistics and spectral-norm vectors are untouched; the noise is the 's' stream's,
// drawn by the counter-based device generator (no training stream is advanced); the real batch is read from the data
// set by index (the batch loader's order is untouched); the profiled iteration is one training runs anyway, its ops
// only waited for one by one (StepBenchTests: bit for bit the same numbers). Every buffer is allocated once per run.
//
// The file is rewritten atomically at each checkpoint with every snapshot so far. A resumed run keeps the snapshots up
// to its checkpoint (a crashed session's later ones, like its later CSV rows, are dropped) and appends its own.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Bench;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Training;

/// <summary>snapshots.json of a run directory: the snapshots kept from earlier sessions, and the ones added since.</summary>
internal sealed class SnapshotsFile
{
    public const string FileName = "snapshots.json";
    public const int Version = 1;

    readonly string path;
    readonly List<JsonObject> snapshots = [];
    readonly JsonObject about;

    /// <summary>
    /// Opens the run's file, keeping its snapshots of iterations 1..keepThroughIteration (0 for a new run: none);
    /// an unreadable file keeps none (it is rewritten whole at the next checkpoint).
    /// </summary>
    public SnapshotsFile(string directory, int keepThroughIteration, JsonObject about)
    {
        path = Path.Combine(directory, FileName);
        this.about = about;
        if (keepThroughIteration <= 0 || !File.Exists(path))
            return;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path))?["snapshots"] is JsonArray kept)
                foreach (var s in kept.OfType<JsonObject>())
                    if ((int?)s["iteration"] is int it && it <= keepThroughIteration)
                        snapshots.Add((JsonObject)s.DeepClone());
        }
        catch (JsonException)
        {
        }
    }

    public int Count => snapshots.Count;

    /// <summary>Adds a snapshot (replacing one of the same iteration) and rewrites the file atomically.</summary>
    public void Add(JsonObject snapshot)
    {
        int iteration = (int)snapshot["iteration"]!;
        snapshots.RemoveAll(s => (int?)s["iteration"] == iteration);
        snapshots.Add(snapshot);
        var file = new JsonObject { ["version"] = Version };
        foreach (var (key, value) in about)
            file[key] = value?.DeepClone();
        file["snapshots"] = new JsonArray(snapshots.Select(s => (JsonNode)s.DeepClone()).ToArray());
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(file.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n"));
    }
}

/// <summary>Takes the snapshots of one session of a run (see the file header); its buffers are allocated once.</summary>
internal sealed class SnapshotRecorder : IDisposable
{
    /// <summary>Bins of the logit histograms, over the range of both batches' logits.</summary>
    public const int HistogramBins = 24;

    /// <summary>|y| above this counts a Tanh output as saturated.</summary>
    public const double TanhSaturation = 0.99;

    readonly GanTrainer trainer;
    readonly Sequential<float> g, d;
    readonly MemoryBuffer1D<float, Stride1D.Dense> real, noise;
    readonly float[] host;
    readonly float[] gParams, dParams;
    readonly StepProfiler profiler;
    readonly AcceleratorStream stream;

    public SnapshotRecorder(ComputeDevice device, GanTrainer trainer, IImageDataset dataset)
    {
        this.trainer = trainer;
        stream = device.Accelerator.DefaultStream;
        var recipe = trainer.Recipe;
        int batch = trainer.BatchSize;
        g = DcganModels.Generator<float>(device, trainer.Config, batch, recipe.SpectralNormG);
        try
        {
            d = DcganModels.Discriminator<float>(device, trainer.Config, batch, recipe.DiscriminatorBatchNorm, recipe.SpectralNormD);
            var a = device.Accelerator;
            real = a.Allocate1D(RealBatch(dataset, batch));
            noise = a.Allocate1D<float>(g.InputShape.Aggregate(1, (x, y) => x * y));
            NormalRngOps.On(device).Normal(stream, trainer.StreamSeed('s'), 0, noise.View);
            stream.Synchronize();
        }
        catch
        {
            Dispose();
            throw;
        }
        long largest = g.Layers.Concat(d.Layers).Max(l => l.Output.Length);
        host = new float[largest];
        gParams = new float[g.Parameters.Length];
        dParams = new float[d.Parameters.Length];
        profiler = new StepProfiler(stream);
    }

    /// <summary>What the file says of how its snapshots were taken (the "about" of SnapshotsFile).</summary>
    public static JsonObject About(int batch) => new()
    {
        ["batch"] = batch,
        ["real_batch"] = "the data set's images at indices i·count/B, i = 0..B−1 (the same at every checkpoint)",
        ["noise"] = "B fixed noise vectors of the run's 's' stream",
        ["mode"] = "training mode, as the training step runs G and D (batch statistics), on copies of G and D",
        ["profile"] = "the iteration that ends at the checkpoint, a stream synchronize after each op (StepProfiler); ms are wall ms",
    };

    /// <summary>B real images spread over the data set (i·count/B), the loader's order untouched.</summary>
    static float[] RealBatch(IImageDataset dataset, int batch)
    {
        int length = dataset.ImageLength();
        var images = new float[batch * length];
        for (int i = 0; i < batch; i++)
            dataset.ReadImage((int)((long)i * dataset.Count / batch), images.AsSpan(i * length, length));
        return images;
    }

    /// <summary>
    /// Starts profiling the iteration the training loop is about to run (one that ends at a checkpoint); the loop
    /// calls <see cref="ProfiledOp"/> for its own work between the trainer's ops, and <see cref="EndProfile"/> after.
    /// </summary>
    public void BeginProfile()
    {
        profiler.Clear();
        profiler.Begin(trainer);
    }

    /// <summary>The training loop's own work (loading a batch) since the last op, while profiling.</summary>
    public void ProfiledOp(string op, string kind) => profiler.Op(op, kind);

    JsonObject? profile;

    /// <summary>Ends the profiled iteration; its breakdown goes into the next snapshot.</summary>
    /// <param name="firstOfSession">the session's first iteration: its times include ILGPU's kernel compilation.</param>
    public void EndProfile(int iteration, ComputeDevice device, bool firstOfSession)
    {
        profiler.End(trainer);
        var (perOp, perKind, total) = profiler.Result(1);
        // The peak is never measured here (KernelBench.KnownPeak): without one, % of peak is left out.
        var peak = KernelBench.KnownPeak(device);
        JsonObject Row(StepOpTime r) => new()
        {
            ["op"] = r.Op, ["kind"] = r.Kind, ["ms"] = Round(r.MsPerIteration), ["calls"] = r.CallsPerIteration,
            ["gflop"] = r.GflopPerIteration > 0 ? Round(r.GflopPerIteration) : null,
            ["gflops"] = r.Gflops is double x ? Round(x) : null,
            ["percent_of_peak"] = r.Gflops is double y && peak is not null ? Round(100 * y / peak.Gflops) : null,
        };
        profile = new JsonObject
        {
            ["iteration"] = iteration,
            ["total_ms"] = Round(total),
            ["includes_compilation"] = firstOfSession,
            ["peak_gflops"] = peak is null ? null : Round(peak.Gflops),
            ["peak_source"] = peak?.Source ?? $"none known for this device: dcgan bench kernels measures it once and caches it ({PeakCache.FilePath})",
            ["ops"] = new JsonArray(perOp.Select(r => (JsonNode)Row(r)).ToArray()),
            ["kinds"] = new JsonArray(perKind.Select(r => (JsonNode)Row(r)).ToArray()),
        };
    }

    /// <summary>The snapshot of the trainer's networks now, at the end of <paramref name="iteration"/>.</summary>
    public JsonObject Take(int iteration, int? epoch)
    {
        var clock = Stopwatch.StartNew();
        TrainingRun.CopyState(trainer.Generator, g, stream);
        TrainingRun.CopyState(trainer.Discriminator, d, stream);
        stream.Synchronize();
        trainer.Generator.Parameters.Values.CopyToCPU(gParams);
        trainer.Discriminator.Parameters.Values.CopyToCPU(dParams);

        g.Forward(stream, noise.View, training: true);
        var gLayers = LayerStats(g, gParams, "output");

        d.Forward(stream, real.View, training: true);
        var realLogits = Read(d.Output);
        var dLayers = LayerStats(d, dParams, "real");
        d.Forward(stream, g.Output, training: true);
        var fakeLogits = Read(d.Output);
        AddActivations(d, dLayers, "fake");

        var snapshot = new JsonObject
        {
            ["iteration"] = iteration,
            ["epoch"] = epoch,
            ["logits"] = Logits(realLogits, fakeLogits),
            ["layers"] = new JsonObject { ["G"] = gLayers, ["D"] = dLayers },
        };
        snapshot["snapshot_ms"] = Round(clock.Elapsed.TotalMilliseconds);
        if (profile is not null && (int)profile["iteration"]! == iteration)
            snapshot["profile"] = profile;
        profile = null;
        return snapshot;
    }

    float[] Read(ArrayView<float> view)
    {
        stream.Synchronize();
        var values = new float[view.Length];
        view.CopyToCPU(values);
        return values;
    }

    /// <summary>Per layer: name, description, its parameters' mean and std, and its output's statistics under <paramref name="key"/>.</summary>
    JsonArray LayerStats(Sequential<float> net, float[] parameters, string key)
    {
        var layers = new JsonArray();
        foreach (var layer in net.Layers)
        {
            var weights = new JsonArray();
            foreach (var p in net.Parameters.Parameters.Where(p => p.Name.StartsWith(layer.Name + ".", StringComparison.Ordinal)))
            {
                var (mean, std) = MeanStd(parameters.AsSpan(p.Offset, p.Length));
                weights.Add(new JsonObject { ["name"] = p.Name, ["mean"] = Round(mean), ["std"] = Round(std) });
            }
            layers.Add(new JsonObject
            {
                ["layer"] = layer.Name, ["type"] = layer.Describe(), ["kind"] = Kind(layer), ["weights"] = weights,
            });
        }
        AddActivations(net, layers, key);
        return layers;
    }

    /// <summary>Each layer's output statistics of the last forward, as property <paramref name="key"/> of its entry.</summary>
    void AddActivations(Sequential<float> net, JsonArray layers, string key)
    {
        stream.Synchronize();
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i];
            int length = (int)layer.Output.Length;
            // A span, not ILGPU's CopyToCPU(ref T, length): that one copies into the raw address without pinning,
            // so a GC that moves the array while the copy is queued gets it written over other objects.
            layer.Output.SubView(0, length).CopyToCPU(host.AsSpan(0, length));
            layers[i]![key] = OutputStats(host.AsSpan(0, length), layer.OutputShape[0], layer);
        }
    }

    static JsonObject OutputStats(ReadOnlySpan<float> y, int batch, Layer layer)
    {
        var (mean, std) = MeanStd(y);
        var stats = new JsonObject { ["mean"] = Round(mean), ["std"] = Round(std) };
        if (layer is not ActivationLayer<float> activation)
            return stats;
        switch (activation.Kind)
        {
            case ActivationKind.Relu:
                int units = y.Length / batch, dead = 0;
                long zero = 0;
                for (int j = 0; j < units; j++)
                {
                    int zeros = 0;
                    for (int n = 0; n < batch; n++)
                        if (y[n * units + j] == 0)
                            zeros++;
                    zero += zeros;
                    if (zeros == batch)
                        dead++;
                }
                stats["zero"] = Round((double)zero / y.Length);
                stats["dead"] = Round((double)dead / units);
                break;
            case ActivationKind.LeakyRelu:
                stats["negative"] = Round(Share(y, v => v < 0));
                break;
            case ActivationKind.Tanh:
                stats["saturated"] = Round(Share(y, v => Math.Abs(v) > TanhSaturation));
                break;
        }
        return stats;
    }

    static double Share(ReadOnlySpan<float> y, Func<float, bool> test)
    {
        long count = 0;
        foreach (float v in y)
            if (test(v))
                count++;
        return (double)count / y.Length;
    }

    static (double Mean, double Std) MeanStd(ReadOnlySpan<float> values)
    {
        if (values.Length == 0)
            return (double.NaN, double.NaN);
        double sum = 0;
        foreach (float v in values)
            sum += v;
        double mean = sum / values.Length, squares = 0;
        foreach (float v in values)
            squares += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(squares / values.Length));
    }

    /// <summary>The logits of both batches, and their counts over HistogramBins equal bins spanning both.</summary>
    static JsonObject Logits(float[] realLogits, float[] fakeLogits)
    {
        var all = realLogits.Concat(fakeLogits).Where(float.IsFinite).ToArray();
        double lo = all.Length == 0 ? -1 : all.Min(), hi = all.Length == 0 ? 1 : all.Max();
        if (hi - lo < 1e-6)
            (lo, hi) = (lo - 0.5, hi + 0.5);
        JsonArray Counts(float[] values)
        {
            var counts = new int[HistogramBins];
            foreach (float v in values.Where(float.IsFinite))
                counts[Math.Clamp((int)((v - lo) / (hi - lo) * HistogramBins), 0, HistogramBins - 1)]++;
            return new JsonArray(counts.Select(c => (JsonNode)c).ToArray());
        }
        return new JsonObject
        {
            ["real"] = new JsonArray(realLogits.Select(v => (JsonNode?)Round(v)).ToArray()),
            ["fake"] = new JsonArray(fakeLogits.Select(v => (JsonNode?)Round(v)).ToArray()),
            ["bins"] = new JsonObject
            {
                ["lo"] = Round(lo), ["hi"] = Round(hi),
                ["real"] = Counts(realLogits), ["fake"] = Counts(fakeLogits),
            },
        };
    }

    static string Kind(Layer layer) => layer switch
    {
        Conv2dLayer<float> => "conv2d",
        ConvTranspose2dLayer<float> => "conv-transpose2d",
        BatchNorm2dLayer<float> => "batchnorm",
        ActivationLayer<float> a => a.Kind switch
        {
            ActivationKind.Relu => "relu",
            ActivationKind.LeakyRelu => "leaky-relu",
            ActivationKind.Tanh => "tanh",
            _ => "sigmoid",
        },
        _ => "other",
    };

    /// <summary>A number as JSON keeps it: 6 significant digits, null when not finite.</summary>
    static JsonNode? Round(double v) =>
        double.IsFinite(v) ? JsonValue.Create(double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)) : null;

    public void Dispose()
    {
        g?.Dispose();
        d?.Dispose();
        real?.Dispose();
        noise?.Dispose();
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Dcgan.Nn.Bench;
using Dcgan.Nn.Devices;

namespace Dcgan.Cli.Verbs;

/// <summary>
/// `dcgan bench kernels`: validate, warm up and time every variant of every op at the DCGAN layer shapes
/// (Dcgan.Nn/Bench/KernelBench.cs); exit 0 when every timed variant validated, 1 when any FAILED validation.
/// `dcgan bench step`: time whole training iterations (Dcgan.Nn/Bench/StepBench.cs); exit 0, or 1 when the step
/// is not finite.
/// </summary>
public static class BenchVerb
{
    static readonly Option<string?> KernelsDevice = Options.Device();
    static readonly Option<string?> Op = Options.Text("--op", "NAME", "one op only (default: every op)");
    static readonly Option<string?> Variant = Options.Text("--variant", "N[,M...]",
        "these variants only, back to back per layer so that they compare within the same minutes (default: every variant)");
    static readonly Option<string?> Shape = Options.Text("--shape", "TEXT", "the layers whose label contains TEXT, e.g. 64px or D2");
    static readonly Option<int?> Runs = Options.Int("--runs", "N", "timed runs at most (fewer once a second has passed)", 3, 1000,
        fallback: 10);
    static readonly Option<string?> KernelsJson = Options.Text("--json", "FILE", "also write the results as JSON");

    static readonly Option<string?> StepDevice = Options.Device();
    static readonly Option<int?> BatchSize = Options.Int("--batch-size", "N", "images per iteration", 2, 4096, fallback: 64, aliases: "--batchSize");
    static readonly Option<int?> ImageSize = Options.Int("--image-size", "N", "16, 32, 64 or 128", 16, 128, fallback: 64, aliases: "--imageSize");
    static readonly Option<int?> Channels = Options.Int("--channels", "N", "image channels", 1, 4, fallback: 3);
    static readonly Option<int?> Nz = Options.Int("--nz", "N", "latent size", 1, 4096, fallback: 100);
    static readonly Option<int?> Ngf = Options.Int("--ngf", "N", "generator width", 1, 4096, fallback: 64);
    static readonly Option<int?> Ndf = Options.Int("--ndf", "N", "discriminator width", 1, 4096, fallback: 64);
    static readonly Option<int?> Iterations = Options.Int("--iterations", "N", "timed iterations", 1, 100_000, fallback: 5);
    static readonly Option<int?> Warmup = Options.Int("--warmup", "N", "untimed iterations first", 0, 100_000, fallback: 2);
    static readonly Option<bool> NoProfile = Options.Switch("--no-profile", "skip the per-op profiling pass");
    static readonly Option<int?> ConvVariant = Options.Int("--conv-variant", "N",
        "run every conv pass with variant N instead of the dispatch table", 1, Dcgan.Nn.Ops.Conv2dOps<float>.VariantCount);
    static readonly Option<int?> PairedVariant = Options.Int("--paired-variant", "N",
        "also time iterations with every conv pass on variant N, alternating with the others in this process: prints " +
        "the per-round ratio, which the machine's speed swings between runs do not reach", 1,
        Dcgan.Nn.Ops.Conv2dOps<float>.VariantCount);
    static readonly Option<string?> Recipe = Options.OneOf("--recipe", "NAME",
        "time that recipe's iteration (its critic steps, then G's step; no warm-up); images/s counts real images",
        Dcgan.Nn.Training.GanRecipe.Presets, "dcgan",
        (given, v) => $"unknown {given} '{v}' (one of {string.Join(", ", Dcgan.Nn.Training.GanRecipe.Presets)})");
    static readonly Option<string?> StepJson = Options.Text("--json", "FILE", "write the same fields as bench/pytorch_dcgan_step.py");

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var kernels = new Verb("kernels", "[--device D] [--op OP] [--variant N]",
            "validate, then time every kernel variant at the DCGAN layer shapes", """
            Every variant of every op (or --op NAME; --variant N or N,M,... picks) at the real DCGAN layer shapes
            (64x64 RGB and 32x32 grayscale nets at batch 64, and the default run's, labelled "32px b16", at batch 16;
            --shape keeps the layers whose label contains TEXT, e.g. b16).
            Each variant is first checked against variant 1 on the device (a wrong one is reported FAILED and not
            timed), warmed up, then timed --runs times at most (at least 3, fewer once a second has passed) on its
            own stream: median ms, GFLOP/s, GB/s (minimum bytes moved) and % of the device's FP32 peak (measured by a
            multiply-add probe, or the datasheet for H100/H200).
            """).With(KernelsDevice, Op, Variant, Shape, Runs, KernelsJson);
        kernels.SetAction(result => Kernels(result, result.InvocationConfiguration.Output));
        var step = new Verb("step", "[--device D] [--image-size N] ...",
            "time whole training iterations (images/s, per-op breakdown)", """
            Whole training iterations (D real + D fake + G, both Adam steps) on random data: the first step must be
            finite, then --warmup steps, then --iterations timed steps. Prints images/s, the median ms per iteration,
            the useful work (GFLOP of the conv passes per iteration, GFLOP/s, % of the FP32 peak probe), managed bytes
            allocated per iteration (must be ~0), device memory held, and a per-op breakdown from a separate profiling
            pass (a stream synchronize after every layer pass and op).
            """).With(StepDevice, BatchSize, ImageSize, Channels, Nz, Ngf, Ndf, Iterations, Warmup, NoProfile, ConvVariant,
            PairedVariant, Recipe, StepJson);
        step.SetAction(result => Step(result, result.InvocationConfiguration.Output));
        return Verb.Group("bench", "kernels|step [options]", "time the kernels or whole training iterations", kernels, step);
    }

    static int Kernels(ParseResult result, TextWriter stdout)
    {
        string deviceSpec = result.Value(KernelsDevice);
        string? op = result.GetValue(Op);
        string variantText = result.GetValue(Variant) ?? "0";
        var variantList = variantText.Split(',').Select(v => int.TryParse(v, out int n) && n >= 0 ? n
            : throw new UsageException($"dcgan bench kernels: --variant '{variantText}' must be N or N,M,...")).ToArray();
        int variant = variantList.Length == 1 ? variantList[0] : -1;
        string? shape = result.GetValue(Shape);
        int runs = result.Value(Runs);
        string? json = result.GetValue(KernelsJson);

        var ops = KernelBench.Ops.ToList();
        if (op is not null)
        {
            ops = ops.Where(o => o.Name == op).ToList();
            if (ops.Count == 0)
                throw new UsageException(
                    $"dcgan bench kernels: unknown --op '{op}' (ops: {string.Join(", ", KernelBench.Ops.Select(o => o.Name))})");
        }
        if (variantList.Any(v => v > 0 && ops.All(o => v > o.VariantNames.Count)))
            throw new UsageException($"dcgan bench kernels: --variant {variantText} does not exist for the chosen ops");

        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        string ilgpu = typeof(ILGPU.Context).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        string commit = GitCommit();
        var peak = KernelBench.Peak(device);
        stdout.WriteLine($"bench kernels on {device.Describe()}; ILGPU {ilgpu}; commit {commit}");
        stdout.WriteLine($"FP32 peak {peak.Gflops:F1} GFLOP/s ({peak.Source})");
        foreach (var o in ops)
            stdout.WriteLine($"{o.Name} variants: " + string.Join("; ", o.VariantNames.Select((n, i) => $"{i + 1} = {n}")));
        stdout.WriteLine();

        var header = new[] { "op", "layer", "conv shape", "v", "median ms", "GFLOP/s", "GB/s", "% peak", "runs", "result" };
        stdout.WriteLine(string.Join(" | ", header));
        var results = new List<KernelBenchResult>();
        var rows = new List<string[]> { header };
        KernelBench.Run(device, ops, c => shape is null || c.Label.Contains(shape, StringComparison.OrdinalIgnoreCase),
            v => variant == 0 || variantList.Contains(v), runs, peak.Gflops, r =>
            {
                results.Add(r);
                string[] row = r.Valid
                    ? [r.Op, r.Layer, r.Shape, r.Variant.ToString(), r.MedianMs.ToString("F3"), r.Gflops.ToString("F1"),
                        r.GBps.ToString("F2"), r.PercentOfPeak.ToString("F1"), r.Runs.ToString(), "ok"]
                    : [r.Op, r.Layer, r.Shape, r.Variant.ToString(), "-", "-", "-", "-", "0", $"FAILED validation: {r.Failure}"];
                rows.Add(row);
                stdout.WriteLine(string.Join(" | ", row));   // progress: one line per result as it finishes
                stdout.Flush();
            });
        stdout.WriteLine();
        Table.Write(stdout, rows, rightAligned: [3, 4, 5, 6, 7, 8]);
        int failed = results.Count(r => !r.Valid);
        stdout.WriteLine();
        stdout.WriteLine($"{results.Count} results, {failed} FAILED validation");

        if (json is not null)
        {
            var doc = new
            {
                device = device.Describe(), ilgpu, commit, date = DateTime.UtcNow.ToString("yyyy-MM-dd"),
                peakGflops = peak.Gflops, peakSource = peak.Source, results,
            };
            File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions
            {
                WriteIndented = true,
                NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
            }));
        }
        return failed == 0 ? 0 : 1;
    }

    static int Step(ParseResult result, TextWriter stdout)
    {
        string deviceSpec = result.Value(StepDevice);
        var options = new StepBenchOptions(
            BatchSize: result.Value(BatchSize),
            ImageSize: result.Value(ImageSize),
            Channels: result.Value(Channels),
            Nz: result.Value(Nz),
            Ngf: result.Value(Ngf),
            Ndf: result.Value(Ndf),
            Iterations: result.Value(Iterations),
            Warmup: result.Value(Warmup),
            Profile: !result.GetValue(NoProfile),
            ConvVariant: result.GetValue(ConvVariant),
            Recipe: result.Value(Recipe),
            PairedVariant: result.GetValue(PairedVariant));
        string? json = result.GetValue(StepJson);
        try
        {
            new Dcgan.Nn.Models.ModelConfig(options.ImageSize, options.Channels, options.Nz, options.Ngf, options.Ndf).Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"dcgan bench step: {e.Message}");
        }

        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        string ilgpu = typeof(ILGPU.Context).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        string commit = GitCommit();
        stdout.WriteLine($"bench step on {device.Describe()}; ILGPU {ilgpu}; commit {commit}");
        if (options.ConvVariant is int cv)
            stdout.WriteLine($"conv variant forced to {cv} ({Dcgan.Nn.Ops.Conv2dOps<float>.VariantNames[cv - 1]})");
        if (options.PairedVariant is int pv)
            stdout.WriteLine($"paired with conv variant {pv} ({Dcgan.Nn.Ops.Conv2dOps<float>.VariantNames[pv - 1]}), alternating iteration by iteration");
        stdout.WriteLine($"{options.ImageSize}x{options.ImageSize}x{options.Channels}, batch {options.BatchSize}, " +
            $"nz {options.Nz}, ngf {options.Ngf}, ndf {options.Ndf}; {options.Warmup} warm-up + {options.Iterations} timed iterations");
        StepBenchResult r;
        try
        {
            r = StepBench.Run(device, options, line => { stdout.WriteLine("  " + line); stdout.Flush(); });
        }
        catch (InvalidOperationException e)
        {
            stdout.WriteLine($"FAILED: {e.Message}");
            return 1;
        }
        stdout.WriteLine();
        stdout.WriteLine($"images/s                 {r.ImagesPerSecond:F1}");
        stdout.WriteLine($"ms/iteration (median)    {r.MsPerIterationMedian:F1}   (all: {string.Join(", ", r.MsPerIteration.Select(t => t.ToString("F1")))})");
        stdout.WriteLine(r.UsefulGflopPerIteration is double useful
            ? $"useful work              {useful:F3} GFLOP/iteration (conv passes), {r.UsefulGflops:F1} GFLOP/s, {r.PercentOfPeak:F0}% of the FP32 peak {r.PeakGflops:F1} GFLOP/s ({r.PeakSource})"
            : $"useful work              not counted for a recipe with a gradient penalty (FP32 peak {r.PeakGflops:F1} GFLOP/s)");
        if (r.PairedMsPerIteration is { } paired)
            stdout.WriteLine($"paired with variant {r.PairedVariant}    median {StepBench.Median(paired):F1} ms (all: " +
                $"{string.Join(", ", paired.Select(t => t.ToString("F1")))}); per round variant {r.PairedVariant} / this: " +
                $"median {r.PairedRatioMedian:F3}, faster in {r.PairedFasterRounds} of {paired.Length} rounds");
        stdout.WriteLine($"losses (last)            D {r.LossD:F4}  G {r.LossG:F4}");
        stdout.WriteLine($"device memory            {r.DeviceMemoryBytes / (1024.0 * 1024.0):F1} MiB ({r.DeviceMemoryNote})");
        stdout.WriteLine($"managed bytes/iteration  {r.ManagedBytesPerIteration:F0} (this thread), {r.ManagedBytesPerIterationAllThreads:F0} (all threads)");
        if (r.PerOp.Count > 0)
        {
            stdout.WriteLine();
            stdout.WriteLine($"per-op breakdown (profiled pass, {r.ProfiledMsPerIteration:F1} ms/iteration with a synchronize after each op):");
            if (double.IsFinite(r.ProfileSyncFloorMs))
                stdout.WriteLine($"  each row includes its synchronizes: an empty launch + synchronize takes {r.ProfileSyncFloorMs:F3} ms " +
                    $"here, {r.ProfiledSyncsPerIteration:G4} per iteration: ~{r.ProfileSyncFloorMsPerIteration:F1} ms of the " +
                    $"{r.ProfiledMsPerIteration:F1}, which the timed median ({r.MsPerIterationMedian:F1}) mostly does not pay");
            var kinds = new List<string[]> { new[] { "kind", "ms/it", "%", "calls/it" } };
            kinds.AddRange(r.PerKind.Select(k => new[] { k.Kind, k.MsPerIteration.ToString("F1"),
                (100 * k.MsPerIteration / r.ProfiledMsPerIteration).ToString("F1"), k.CallsPerIteration.ToString("G4") }));
            Table.Write(stdout, kinds, rightAligned: [1, 2, 3]);
            stdout.WriteLine();
            var rows = new List<string[]> { new[] { "op", "kind", "ms/it", "%", "calls/it" } };
            rows.AddRange(r.PerOp.Select(k => new[] { k.Op, k.Kind, k.MsPerIteration.ToString("F2"),
                (100 * k.MsPerIteration / r.ProfiledMsPerIteration).ToString("F1"), k.CallsPerIteration.ToString("G4") }));
            Table.Write(stdout, rows, rightAligned: [2, 3, 4]);
        }
        if (json is not null)
        {
            var doc = new Dictionary<string, object?>
            {
                ["implementation"] = r.Implementation, ["device"] = r.Device, ["ilgpu"] = ilgpu, ["commit"] = commit,
                ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd"),
                ["batch_size"] = r.BatchSize, ["image_size"] = r.ImageSize, ["channels"] = r.Channels, ["nz"] = r.Nz,
                ["ngf"] = r.Ngf, ["ndf"] = r.Ndf, ["iterations"] = r.Iterations, ["warmup"] = r.Warmup,
                ["ms_per_iteration"] = r.MsPerIteration, ["ms_per_iteration_median"] = r.MsPerIterationMedian,
                ["images_per_second"] = r.ImagesPerSecond, ["loss_d"] = r.LossD, ["loss_g"] = r.LossG,
                ["device_memory_bytes"] = r.DeviceMemoryBytes, ["device_memory_note"] = r.DeviceMemoryNote,
                ["managed_bytes_per_iteration"] = r.ManagedBytesPerIteration,
                ["managed_bytes_per_iteration_all_threads"] = r.ManagedBytesPerIterationAllThreads,
                ["profiled_ms_per_iteration"] = r.ProfiledMsPerIteration,
                ["profile_sync_floor_ms"] = double.IsFinite(r.ProfileSyncFloorMs) ? r.ProfileSyncFloorMs : null,
                ["profiled_syncs_per_iteration"] = r.PerOp.Count > 0 ? r.ProfiledSyncsPerIteration : null,
                ["useful_gflop_per_iteration"] = r.UsefulGflopPerIteration, ["useful_gflops"] = r.UsefulGflops,
                ["peak_gflops"] = r.PeakGflops, ["peak_source"] = r.PeakSource, ["percent_of_peak"] = r.PercentOfPeak,
                ["per_op"] = r.PerOp.Select(k => new { op = k.Op, kind = k.Kind, ms_per_iteration = k.MsPerIteration,
                    calls_per_iteration = k.CallsPerIteration }),
                ["per_kind"] = r.PerKind.Select(k => new { kind = k.Kind, ms_per_iteration = k.MsPerIteration,
                    calls_per_iteration = k.CallsPerIteration }),
                ["per_op_method"] = r.PerOpMethod,
                ["conv_variant"] = options.ConvVariant,
                ["paired_variant"] = r.PairedVariant,
                ["paired_ms_per_iteration"] = r.PairedMsPerIteration,
                ["paired_ratio_median"] = r.PairedRatioMedian,
            };
            File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions
            {
                WriteIndented = true,
                NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
            }));
        }
        return 0;
    }

    /// <summary>
    /// The commit benchmarked: DCGAN_COMMIT when set (scripts/gpu-bench.sh sets it from the archive it built, since
    /// the folder it runs in may hold another checkout), else the working directory's git HEAD.
    /// </summary>
    static string GitCommit()
    {
        if (Environment.GetEnvironmentVariable("DCGAN_COMMIT") is { Length: > 0 } fromBuild)
            return fromBuild;
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (git is null)
                return "unknown";
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && output.Length > 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

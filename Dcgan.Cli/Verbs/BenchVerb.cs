using System.Diagnostics;
using System.Text.Json;
using Dcgan.Nn.Bench;
using Dcgan.Nn.Devices;

namespace Dcgan.Cli.Verbs;

/// <summary>
/// `dcgan bench kernels`: validate, warm up and time every variant of every op at the DCGAN layer shapes
/// (Dcgan.Nn/Bench/KernelBench.cs). Sub-verbs: `kernels` (a `step` sub-verb for whole training steps belongs here
/// too). Exit 0 when every timed variant validated, 1 when any FAILED validation.
/// </summary>
public static class BenchVerb
{
    const string Help = """
        usage: dcgan bench kernels [--device auto|cuda[:i]|opencl[:i]|cpu] [--op NAME] [--variant N] [--shape TEXT]
                                   [--runs N] [--json FILE]

          kernels   every variant of every op (or --op NAME; --variant N picks one) at the real DCGAN layer shapes
                    (batch 64, 64x64 RGB and 32x32 grayscale nets; --shape keeps the layers whose label contains
                    TEXT, e.g. 64px or D2). Each variant is first checked against variant 1 on the device (a wrong
                    one is reported FAILED and not timed), warmed up, then timed --runs times at most (at least 3,
                    default 10, fewer once a second has passed) on its own stream: median ms, GFLOP/s, GB/s
                    (minimum bytes moved) and % of the device's FP32 peak (measured by a multiply-add probe, or the
                    datasheet for H100/H200). --json FILE also writes the results as JSON.
        """;

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            stdout.WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }
        return args[0] switch
        {
            "kernels" => Kernels(args[1..], stdout),
            _ => throw new UsageException($"dcgan bench: unknown sub-verb '{args[0]}' (sub-verbs: kernels)"),
        };
    }

    static int Kernels(string[] args, TextWriter stdout)
    {
        if (args.Contains("--help"))
        {
            stdout.WriteLine(Help);
            return 0;
        }
        var cl = new CommandLine("bench kernels", args, new HashSet<string>());
        string deviceSpec = cl.String("device", "auto");
        string? op = cl.OptionalString("op");
        int variant = cl.Int("variant", 0, min: 0);
        string? shape = cl.OptionalString("shape");
        int runs = cl.Int("runs", 10, min: 3, max: 1000);
        string? json = cl.OptionalString("json");
        cl.RejectUnknown();

        var ops = KernelBench.Ops.ToList();
        if (op is not null)
        {
            ops = ops.Where(o => o.Name == op).ToList();
            if (ops.Count == 0)
                throw new UsageException(
                    $"dcgan bench kernels: unknown --op '{op}' (ops: {string.Join(", ", KernelBench.Ops.Select(o => o.Name))})");
        }
        if (variant > 0 && ops.All(o => variant > o.VariantNames.Count))
            throw new UsageException($"dcgan bench kernels: --variant {variant} does not exist for the chosen ops");

        using var device = ComputeDevice.Open(deviceSpec);
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
            v => variant == 0 || v == variant, runs, peak.Gflops, r =>
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

    static string GitCommit()
    {
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

// The FP32 peaks measured on this machine (KernelBench.Peak's multiply-add probe), kept per device in the user's cache
// (~/.cache/dcgan/peaks.json, or $XDG_CACHE_HOME/dcgan): `dcgan bench kernels` and `dcgan bench step` write it when they
// measure, a training run's profile reads it (KernelBench.KnownPeak) instead of paying the probe (10–15 s on a 2-vCPU
// machine, mostly compiling it). The machines vary ~2× from one session to the next (docs/benchmarks.md), so a cached
// peak says when it was measured. Best effort: an unreadable or unwritable cache is no peak, never an error.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;

namespace Dcgan.Nn.Bench;

public static class PeakCache
{
    /// <summary>The cache file: $DCGAN_CACHE_DIR, else $XDG_CACHE_HOME/dcgan, else ~/.cache/dcgan; peaks.json in it.</summary>
    public static string FilePath
    {
        get
        {
            string? dir = Environment.GetEnvironmentVariable("DCGAN_CACHE_DIR");
            if (string.IsNullOrEmpty(dir))
            {
                string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                dir = Path.Combine(string.IsNullOrEmpty(xdg)
                    ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg, "dcgan");
            }
            return Path.Combine(dir, "peaks.json");
        }
    }

    /// <summary>The key of a device: its backend and name (the same kind of device gives the same key).</summary>
    static string Key(ComputeDevice device) => $"{device.Info.Backend}: {device.Info.Name}";

    public static PeakEstimate? Load(ComputeDevice device)
    {
        try
        {
            if (!File.Exists(FilePath) || JsonNode.Parse(File.ReadAllText(FilePath))?[Key(device)] is not JsonObject entry)
                return null;
            double gflops = (double)entry["gflops"]!;
            return double.IsFinite(gflops) && gflops > 0
                ? new PeakEstimate(gflops, $"{(string?)entry["source"]}; cached, measured {(string?)entry["utc"]} ({FilePath})")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The cache as a JSON object, or null when there is none or it is not one (a save then starts afresh).</summary>
    static JsonObject? Existing()
    {
        try
        {
            return File.Exists(FilePath) ? JsonNode.Parse(File.ReadAllText(FilePath)) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void Save(ComputeDevice device, PeakEstimate peak)
    {
        if (!peak.Source.StartsWith("measured", StringComparison.Ordinal))
            return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            var all = Existing() ?? new JsonObject();
            all[Key(device)] = new JsonObject
            {
                ["gflops"] = Math.Round(peak.Gflops, 1), ["source"] = peak.Source,
                ["utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            };
            AtomicFile.WriteAllBytes(FilePath, Encoding.UTF8.GetBytes(all.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
        }
    }
}

// One ComputeDevice per backend for the whole test run (opening a device creates an ILGPU context, and every
// kernel compiles on first load), disposed when the run ends.
//
// A missing backend skips its fixtures visibly (Assert.Ignore, shown as skipped with the reason), except
// OpenCL when DCGAN_REQUIRE_OPENCL=1 (set by .ci/run): CI must never pass by silently skipping PoCL.
//
// Commands started by tests (TrainingRun, and the CLI verbs run in-process) take these devices too, through
// DeviceLease.Shared: each opening its own would recompile every kernel on PoCL (~10-40 s a command).
using Dcgan.Nn.Devices;

namespace Dcgan.Tests;

[SetUpFixture]
public sealed class TestDevices
{
    static readonly Dictionary<string, ComputeDevice> Open = [];
    static readonly Dictionary<string, string> Missing = [];

    /// <summary>The run's own peak cache (PeakCache.FilePath), so that tests never write the user's ~/.cache/dcgan.</summary>
    static string? cacheDir;

    [OneTimeSetUp]
    public void ShareWithCommands()
    {
        DeviceLease.Shared = TryGet;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DCGAN_CACHE_DIR")))
        {
            cacheDir = Directory.CreateTempSubdirectory("dcgan-test-cache-").FullName;
            Environment.SetEnvironmentVariable("DCGAN_CACHE_DIR", cacheDir);
        }
    }

    /// <summary>The open device for a spec, or null when it cannot be opened (the caller then reports why).</summary>
    static ComputeDevice? TryGet(string spec)
    {
        lock (Open)
        {
            if (Open.TryGetValue(spec, out var device))
                return device;
            if (Missing.ContainsKey(spec))
                return null;
            try
            {
                return Open[spec] = ComputeDevice.Open(spec);
            }
            catch (DeviceSelectionException e)
            {
                Missing[spec] = e.Message;
                return null;
            }
        }
    }

    /// <summary>The open device for a spec; a missing backend skips the test (fails it for OpenCL when required).</summary>
    public static ComputeDevice Get(string spec)
    {
        if (TryGet(spec) is ComputeDevice device)
            return device;
        string reason;
        lock (Open)
            reason = Missing[spec];
        bool required = spec.StartsWith("opencl", StringComparison.Ordinal)
            && Environment.GetEnvironmentVariable("DCGAN_REQUIRE_OPENCL") == "1";
        if (required)
            Assert.Fail($"OpenCL is required (DCGAN_REQUIRE_OPENCL=1) but absent: {reason}");
        Assert.Ignore($"backend '{spec}' not present: {reason}");
        throw new InvalidOperationException("unreachable");
    }

    [OneTimeTearDown]
    public void DisposeAll()
    {
        DeviceLease.Shared = null;
        if (cacheDir is not null)
        {
            Environment.SetEnvironmentVariable("DCGAN_CACHE_DIR", null);
            Directory.Delete(cacheDir, recursive: true);
            cacheDir = null;
        }
        foreach (var device in Open.Values)
            device.Dispose();
        Open.Clear();
    }
}

/// <summary>
/// Base of every per-backend test: an abstract test class per op derives from this, and one sealed subclass
/// per backend (Cpu, OpenCl, Cuda) names the device.
/// </summary>
public abstract class BackendTest
{
    protected abstract string DeviceSpec { get; }

    protected ComputeDevice Device { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenDevice() => Device = TestDevices.Get(DeviceSpec);
}

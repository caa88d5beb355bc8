// One ComputeDevice per backend for the whole test run (opening a device creates an ILGPU context, and every
// kernel compiles on first load), disposed when the run ends.
//
// A missing backend skips its fixtures visibly (Assert.Ignore, shown as skipped with the reason), except
// OpenCL when DCGAN_REQUIRE_OPENCL=1 (set by .ci/run): CI must never pass by silently skipping PoCL.
using Dcgan.Nn.Devices;

namespace Dcgan.Tests;

[SetUpFixture]
public sealed class TestDevices
{
    static readonly Dictionary<string, ComputeDevice> Open = [];
    static readonly Dictionary<string, string> Missing = [];

    public static ComputeDevice Get(string spec)
    {
        lock (Open)
        {
            if (Open.TryGetValue(spec, out var device))
                return device;
            if (!Missing.TryGetValue(spec, out var reason))
            {
                try
                {
                    Open[spec] = device = ComputeDevice.Open(spec);
                    return device;
                }
                catch (DeviceSelectionException e)
                {
                    Missing[spec] = reason = e.Message;
                }
            }
            bool required = spec.StartsWith("opencl", StringComparison.Ordinal)
                && Environment.GetEnvironmentVariable("DCGAN_REQUIRE_OPENCL") == "1";
            if (required)
                Assert.Fail($"OpenCL is required (DCGAN_REQUIRE_OPENCL=1) but absent: {reason}");
            Assert.Ignore($"backend '{spec}' not present: {reason}");
            throw new InvalidOperationException("unreachable");
        }
    }

    [OneTimeTearDown]
    public void DisposeAll()
    {
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

// The device one command works on: `dcgan train`, `eval`, `sample` and `classifier train` take it from here.
// Normally a newly opened device, disposed with the lease. Tests register their shared devices (Shared), so that
// PoCL compiles each kernel once per test session instead of once per command (~10-40 s each).
namespace Dcgan.Nn.Devices;

public sealed class DeviceLease : IDisposable
{
    readonly bool owned;

    public ComputeDevice Device { get; }

    DeviceLease(ComputeDevice device, bool owned) => (Device, this.owned) = (device, owned);

    /// <summary>
    /// Test seam: an already open device for a --device spec (not disposed by the lease), or null to open one.
    /// </summary>
    internal static Func<string, ComputeDevice?>? Shared { get; set; }

    public static DeviceLease Open(string spec) =>
        Shared?.Invoke(spec) is ComputeDevice shared ? new(shared, owned: false) : new(ComputeDevice.Open(spec), owned: true);

    public void Dispose()
    {
        if (owned)
            Device.Dispose();
    }
}

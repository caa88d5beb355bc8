using ILGPU.Runtime;

namespace Dcgan.Nn.Devices;

/// <summary>
/// Per-accelerator cache of op launchers. ILGPU compiles a kernel when it is loaded, so each launcher (which
/// loads its kernels in its constructor) is created once per accelerator and element type, then reused.
/// </summary>
public sealed class KernelCache(Accelerator accelerator) : IDisposable
{
    readonly Dictionary<Type, object> launchers = [];

    public TLauncher Get<TLauncher>(Func<Accelerator, TLauncher> create) where TLauncher : class
    {
        lock (launchers)
        {
            if (!launchers.TryGetValue(typeof(TLauncher), out var launcher))
                launchers[typeof(TLauncher)] = launcher = create(accelerator);
            return (TLauncher)launcher;
        }
    }

    public void Dispose()
    {
        foreach (var launcher in launchers.Values)
            (launcher as IDisposable)?.Dispose();
        launchers.Clear();
    }
}

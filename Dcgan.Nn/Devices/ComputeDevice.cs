// One ILGPU context + one accelerator, chosen from a `--device` string, with every workaround this project
// needs to get a working device in one place.
//
//   auto      CUDA, then an OpenCL GPU, then OpenCL on the CPU (PoCL), then ILGPU's CPU accelerator
//   cuda[:i]  the i-th CUDA device            opencl[:i]  the i-th OpenCL device      cpu  ILGPU's CPU accelerator
//
// PoCL workaround (docs/architecture.md, "Devices"): PoCL before 4.0 does not report
// the generic-address-space capability, and ILGPU's default OpenCL filter drops such devices. For PoCL devices
// only, we set `CLCapabilityContext.GenericAddressSpace` (non-public setter) to true before the accelerator is
// created, and compile every kernel at OptimizationLevel.O2, whose address-space inference removes the
// `__generic` pointers PoCL 3.x's clang rejects. Other OpenCL devices keep ILGPU's own capability test.
using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using ILGPU.Backends.OpenCL;

namespace Dcgan.Nn.Devices;

public enum Backend { Cuda, OpenCL, Cpu }

/// <summary>
/// Thrown for a `--device` value that names no usable device; the message is one line for the user.
/// <see cref="IsBadSyntax"/> marks a value that is malformed (bad usage) rather than a device that is absent.
/// </summary>
public sealed class DeviceSelectionException(string message, bool isBadSyntax = false) : Exception(message)
{
    public bool IsBadSyntax { get; } = isBadSyntax;
}

/// <summary>Description of one device ILGPU found, for `dcgan devices`.</summary>
public sealed record DeviceInfo(
    string Id, Backend Backend, string Name, long MemoryBytes, int ComputeUnits,
    int WarpSize, int MaxGroupSize, bool IsCpuDevice, bool PoclWorkaround, bool SupportsDouble);

public sealed class ComputeDevice : IDisposable
{
    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public DeviceInfo Info { get; }
    /// <summary>The kernels of every op, loaded on first use and kept (loading compiles).</summary>
    public KernelCache Kernels { get; }

    ComputeDevice(Context context, Accelerator accelerator, DeviceInfo info)
    {
        Context = context;
        Accelerator = accelerator;
        Info = info;
        Kernels = new KernelCache(accelerator);
    }

    public string Describe() => $"{Info.Id} ({Info.Backend}: {Info.Name})";

    /// <summary>
    /// Creates the ILGPU context every part of this project uses: all backends, PoCL made acceptable, O2, and
    /// ILGPU.Algorithms enabled. PTX has no exp, log or tanh instructions: without EnableAlgorithms every kernel that
    /// calls them (BCE, tanh, sigmoid, the normal RNG) fails to compile on CUDA with NotSupportedIntrinsicException
    /// ("The function 'ExpF' does not have an intrinsic implementation"), found on the first CUDA run (H200).
    /// </summary>
    public static Context CreateContext() =>
        Context.Create(builder => builder
            .EnableAlgorithms()
            .Cuda()
            .OpenCL(AcceptOpenClDevice)
            .CPU(CPUDevice.Default)
            .Optimize(OptimizationLevel.O2)
            .Math(MathMode.Default));

    /// <summary>Every device the context can see, in `--device` id form, and the id `auto` picks (null if none).</summary>
    public static (IReadOnlyList<DeviceInfo> Devices, string? AutoId) List()
    {
        using var context = CreateContext();
        var infos = Describe(context);
        return (infos, PickAuto(infos)?.Id);
    }

    /// <summary>Opens the device named by a `--device` value: auto, cuda[:i], opencl[:i] or cpu.</summary>
    public static ComputeDevice Open(string spec)
    {
        var context = CreateContext();
        try
        {
            var infos = Describe(context);
            var chosen = Resolve(spec, infos);
            var device = context.Devices.First(d => IdOf(context, d) == chosen.Id);
            var accelerator = device.CreateAccelerator(context);
            return new ComputeDevice(context, accelerator, chosen);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    static DeviceInfo Resolve(string spec, IReadOnlyList<DeviceInfo> infos)
    {
        string s = spec.Trim().ToLowerInvariant();
        if (s == "auto")
            return PickAuto(infos) ?? throw new DeviceSelectionException("no ILGPU device found at all");
        if (s == "cpu")
            return infos.First(i => i.Backend == Backend.Cpu);
        string[] parts = s.Split(':');
        Backend? backend = parts[0] switch { "cuda" => Backend.Cuda, "opencl" => Backend.OpenCL, _ => null };
        if (backend is null || parts.Length > 2)
            throw new DeviceSelectionException($"--device '{spec}': expected auto, cpu, cuda[:i] or opencl[:i]", isBadSyntax: true);
        int index = 0;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out index) || index < 0))
            throw new DeviceSelectionException(
                $"--device '{spec}': the index after ':' must be a non-negative integer", isBadSyntax: true);
        var ofKind = infos.Where(i => i.Backend == backend).ToList();
        if (ofKind.Count == 0)
            throw new DeviceSelectionException(backend == Backend.Cuda
                ? $"--device '{spec}': no CUDA device found (is the NVIDIA driver installed?)"
                : $"--device '{spec}': no OpenCL device found; on Debian/Ubuntu install PoCL: " +
                  "apt-get install pocl-opencl-icd ocl-icd-opencl-dev");
        if (index >= ofKind.Count)
            throw new DeviceSelectionException(
                $"--device '{spec}': there are only {ofKind.Count} {backend} device(s) (indices 0..{ofKind.Count - 1})");
        return ofKind[index];
    }

    static DeviceInfo? PickAuto(IReadOnlyList<DeviceInfo> infos) =>
        infos.FirstOrDefault(i => i.Backend == Backend.Cuda)
        ?? infos.FirstOrDefault(i => i.Backend == Backend.OpenCL && !i.IsCpuDevice)
        ?? infos.FirstOrDefault(i => i.Backend == Backend.OpenCL)
        ?? infos.FirstOrDefault(i => i.Backend == Backend.Cpu);

    static List<DeviceInfo> Describe(Context context) =>
        context.Devices.Select(d => DescribeDevice(context, d)).ToList();

    static string IdOf(Context context, Device device) => device switch
    {
        CudaDevice => $"cuda:{context.Devices.OfType<CudaDevice>().ToList().IndexOf((CudaDevice)device)}",
        CLDevice => $"opencl:{context.Devices.OfType<CLDevice>().ToList().IndexOf((CLDevice)device)}",
        _ => "cpu",
    };

    static DeviceInfo DescribeDevice(Context context, Device device)
    {
        var backend = device switch { CudaDevice => Backend.Cuda, CLDevice => Backend.OpenCL, _ => Backend.Cpu };
        bool isCpu = device is CPUDevice || (device is CLDevice cl && cl.DeviceType == CLDeviceType.CL_DEVICE_TYPE_CPU);
        bool pocl = device is CLDevice c && ForcedGenericAddressSpace.Contains(c.DeviceId);
        // The CPU accelerator simulates threads; its "memory" is host memory.
        long memory = device is CPUDevice ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.MemorySize;
        bool fp64 = device switch
        {
            CLDevice d => d.Capabilities.Float64,
            _ => true,
        };
        return new DeviceInfo(IdOf(context, device), backend, device.Name.Trim(), memory, device.NumMultiprocessors,
            device.WarpSize, device.MaxNumThreadsPerGroup, isCpu, pocl, fp64);
    }

    static bool IsPocl(CLDevice device) =>
        device.PlatformName.Contains("Portable Computing Language", StringComparison.OrdinalIgnoreCase)
        || device.PlatformName.Contains("pocl", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// ILGPU's OpenCL device filter, plus the PoCL workaround: PoCL 3.x lacks the generic-address-space flag
    /// ILGPU requires, so for PoCL (only) the flag is forced on. Every kernel is compiled at O2, which removes
    /// the generic pointers PoCL's compiler would reject.
    /// </summary>
    static bool AcceptOpenClDevice(CLDevice device)
    {
        if (device.CLStdVersion < CLBackend.MinimumVersion)
            return false;
        if (device.Capabilities.GenericAddressSpace)
            return true;
        if (!IsPocl(device))
            return false;
        GenericAddressSpaceSetter.Invoke(device.Capabilities, [true]);
        lock (ForcedGenericAddressSpace)
            ForcedGenericAddressSpace.Add(device.DeviceId);
        return true;
    }

    /// <summary>OpenCL device ids whose generic-address-space flag was forced (reported by `dcgan devices`).</summary>
    static readonly HashSet<IntPtr> ForcedGenericAddressSpace = [];

    static readonly MethodInfo GenericAddressSpaceSetter =
        typeof(CLCapabilityContext).GetProperty(nameof(CLCapabilityContext.GenericAddressSpace))?.GetSetMethod(nonPublic: true)
        ?? throw new InvalidOperationException("ILGPU changed: CLCapabilityContext.GenericAddressSpace has no setter");

    public void Synchronize() => Accelerator.Synchronize();

    public void Dispose()
    {
        Kernels.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}

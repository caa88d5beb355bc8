// One loader for every "one work-item per output" kernel (the Index1D kernels of Dcgan.Kernels), so that the
// work-group size is chosen in one place.
//
// Why: ILGPU's auto-grouping asks the OpenCL driver for the kernel's largest work-group, and PoCL answers 4096.
// PoCL runs each work-group on one core, so every launch of at most 4096 work-items (a batchnorm kernel's C
// channels or N·C planes, a reduction's 256 partials, a small conv's packing) ran on ONE core, and launches of a
// few thousand more left the second core with the remainder. Measured on the 2-vCPU EPYC (a kernel of 4,096
// equal serial loops): auto-grouped 1,184 ms, groups of 16 594 ms. On PoCL these kernels are therefore loaded
// implicitly grouped with PoclGroupSize work-items per group (ILGPU then launches ⌈extent / size⌉ groups and
// masks the tail); CUDA and GPU OpenCL keep ILGPU's occupancy-based auto-grouping, and the CPU accelerator its
// own default.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;

namespace Dcgan.Nn.Devices;

public static class PerThreadKernels
{
    /// <summary>
    /// Work-items per group on PoCL, a multiple of the 16 float lanes PoCL vectorises a group's work-items into.
    /// Measured on whole training steps (32px, batch 32, 20 steps, three alternating rounds): groups of 16
    /// 147.5 / 141.6 / 145.2 ms, 32 142.2 / 145.0 / 143.4, 64 125.1 / 140.3 / 117.1; auto-grouped (4096) was
    /// ≈ 12% slower than 64 on the whole step.
    /// </summary>
    public const int PoclGroupSize = 64;

    // One overload per kernel arity (the Index1D plus 1 to 10 arguments), as ILGPU's own loaders are written.

    /// <summary>True for OpenCL on a CPU (PoCL), where the group size matters as explained above.</summary>
    public static bool IsCpuOpenCl(Accelerator accelerator) =>
        accelerator is CLAccelerator { DeviceType: CLDeviceType.CL_DEVICE_TYPE_CPU };

    public static Action<AcceleratorStream, TIndex, T1> LoadPerThreadKernel<TIndex, T1>(
        this Accelerator accelerator, Action<TIndex, T1> kernel)
        where TIndex : struct, IIndex
        where T1 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2> LoadPerThreadKernel<TIndex, T1, T2>(
        this Accelerator accelerator, Action<TIndex, T1, T2> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3> LoadPerThreadKernel<TIndex, T1, T2, T3>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4> LoadPerThreadKernel<TIndex, T1, T2, T3, T4>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5, T6>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5, T6> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5, T6, T7>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5, T6, T7> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);

    public static Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> LoadPerThreadKernel<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(
        this Accelerator accelerator, Action<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        where T10 : struct =>
        IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel(kernel, PoclGroupSize)
            : accelerator.LoadAutoGroupedKernel(kernel);
}

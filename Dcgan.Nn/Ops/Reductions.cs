// Host launchers for the deterministic reductions (kernels: Dcgan.Kernels/Tensor/ReductionKernels.cs):
// the L2 norm over a view (gradient norm) and the device-side "any non-finite?" flag.
using System.Numerics;
using Dcgan.Kernels.Tensor;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class ReductionOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The partition P of the norm's first pass when the caller has no reason to choose: 256 work-items is enough
    /// parallelism for a parameter arena on every backend here, and the serial second pass stays short.
    /// </summary>
    public const int DefaultPartials = 256;

    /// <summary>
    /// The partition for a device: DefaultPartials on CPUs (PoCL's two cores; earlier runs stay bitwise the same),
    /// 4096 on GPUs, where 256 work-items each summing ~14k elements of a 64px arena took milliseconds on an H200.
    /// </summary>
    public static int PartialsFor(Accelerator accelerator) =>
        accelerator.AcceleratorType == AcceleratorType.Cuda || IsGpuOpenCl(accelerator) ? 4096 : DefaultPartials;

    internal static bool IsGpuOpenCl(Accelerator accelerator) =>
        accelerator is ILGPU.Runtime.OpenCL.CLAccelerator { DeviceType: ILGPU.Runtime.OpenCL.CLDeviceType.CL_DEVICE_TYPE_GPU };

    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>> sumSquaresPartials;
    /// <summary>PoCL only (null elsewhere): pass 1 with the groups in lockstep, bitwise the same partials.</summary>
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>>? sumSquaresPartialsLockstep;

    /// <summary>
    /// Work-items per group of the lockstep pass 1 on PoCL (P must be a multiple). Measured on the default run's
    /// step (PoCL, 2 vCPUs): the weight norms after both optimizer steps took 3.2 ms per iteration with each
    /// work-item walking its own stride-P sequence; see docs/benchmarks.md for the lockstep figure.
    /// </summary>
    public const int LockstepGroup = PerThreadKernels.PoclGroupSize;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>> sqrtOfSum;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>> flagNonFinite;
    readonly Action<AcceleratorStream, Index1D, int, ArrayView<int>> fillInt;

    public static ReductionOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new ReductionOps<T>(a));

    ReductionOps(Accelerator accelerator)
    {
        sumSquaresPartials = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>>(
            ReductionKernels.SumSquaresPartials);
        if (PerThreadKernels.IsCpuOpenCl(accelerator))
            sumSquaresPartialsLockstep = accelerator.LoadKernel<ArrayView<T>, ArrayView<T>>(
                ReductionKernels.SumSquaresPartialsLockstep);
        sqrtOfSum = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>>(ReductionKernels.SqrtOfSum);
        flagNonFinite = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<int>>(
            ReductionKernels.FlagNonFinite);
        fillInt = accelerator.LoadPerThreadKernel<Index1D, int, ArrayView<int>>(TensorKernels.Fill);
    }

    /// <summary>
    /// norm[0] = √(Σ x²), bitwise reproducible: the partition is fixed by partials.Length (P, scratch owned by
    /// the caller, e.g. <see cref="DefaultPartials"/> elements), never by the device. The same data and P give
    /// the same bits on every run. partials is overwritten.
    /// </summary>
    public void L2Norm(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> partials, ArrayView<T> norm)
    {
        if (partials.Length == 0)
            throw new ArgumentException("partials must hold at least one element");
        if (norm.Length != 1)
            throw new ArgumentException($"norm must be a 1-element view, has {norm.Length} elements");
        if (sumSquaresPartialsLockstep is not null && partials.Length % LockstepGroup == 0)
            sumSquaresPartialsLockstep(stream, new KernelConfig((int)partials.Length / LockstepGroup, LockstepGroup), x, partials);
        else
            sumSquaresPartials(stream, (int)partials.Length, x, partials);
        sqrtOfSum(stream, 1, partials, norm);
    }

    /// <summary>Sets flag[0] = 1 if any element of x is NaN or ±Inf; never clears it (see <see cref="ClearFlag"/>).</summary>
    public void FlagNonFinite(AcceleratorStream stream, ArrayView<T> x, ArrayView<int> flag)
    {
        if (flag.Length != 1)
            throw new ArgumentException($"flag must be a 1-element view, has {flag.Length} elements");
        if (x.Length > 0)
            flagNonFinite(stream, (int)x.Length, x, flag);
    }

    /// <summary>flag[0] = 0 (an int fill), before one or more <see cref="FlagNonFinite"/> launches.</summary>
    public void ClearFlag(AcceleratorStream stream, ArrayView<int> flag)
    {
        if (flag.Length != 1)
            throw new ArgumentException($"flag must be a 1-element view, has {flag.Length} elements");
        fillInt(stream, 1, 0, flag);
    }
}

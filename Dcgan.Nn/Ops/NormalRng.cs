// Host launcher for the seeded counter-based normal generator (kernel: Dcgan.Kernels/Rng/NormalRngKernels.cs;
// host twin: Dcgan.Nn/Reference/NormalRngReference.cs). Output float32; element i of a launch is the number at
// position offset + i of the seed's sequence, identical on every backend, so any slice can be regenerated.
using Dcgan.Kernels.Rng;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class NormalRngOps
{
    readonly Action<AcceleratorStream, Index1D, ulong, long, double, double, ArrayView<float>> normal;
    readonly Action<AcceleratorStream, Index1D, ulong, long, ArrayView<float>> uniform;

    public static NormalRngOps On(ComputeDevice device) => device.Kernels.Get(a => new NormalRngOps(a));

    NormalRngOps(Accelerator accelerator)
    {
        normal = accelerator.LoadPerThreadKernel<Index1D, ulong, long, double, double, ArrayView<float>>(
            NormalRngKernels.Normal);
        uniform = accelerator.LoadPerThreadKernel<Index1D, ulong, long, ArrayView<float>>(NormalRngKernels.Uniform);
    }

    /// <summary>y[i] = (float)(mean + std·N_{seed}(offset + i)). Overwrites y. offset ≥ 0.</summary>
    public void Normal(AcceleratorStream stream, ulong seed, long offset, ArrayView<float> y, double mean = 0, double std = 1)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset must be non-negative");
        if (y.Length > 0)
            normal(stream, (int)y.Length, seed, offset, mean, std, y);
    }

    /// <summary>y[i] = (float)U_{seed}(offset + i), uniform in (0, 1]. Overwrites y. offset ≥ 0.</summary>
    public void Uniform(AcceleratorStream stream, ulong seed, long offset, ArrayView<float> y)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset must be non-negative");
        if (y.Length > 0)
            uniform(stream, (int)y.Length, seed, offset, y);
    }
}

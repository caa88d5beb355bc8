// Host launchers for the element-wise helpers (kernels: Dcgan.Kernels/Tensor/TensorKernels.cs): fill, copy,
// scale (in place allowed). Every output is overwritten.
using System.Numerics;
using Dcgan.Kernels.Tensor;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class TensorOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, T, ArrayView<T>> fill;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>> copy;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, ArrayView<T>> scale;

    public static TensorOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new TensorOps<T>(a));

    TensorOps(Accelerator accelerator)
    {
        fill = accelerator.LoadPerThreadKernel<Index1D, T, ArrayView<T>>(TensorKernels.Fill);
        copy = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>>(TensorKernels.Copy);
        scale = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(TensorKernels.Scale);
    }

    /// <summary>y[i] = value.</summary>
    public void Fill(AcceleratorStream stream, T value, ArrayView<T> y)
    {
        if (y.Length > 0)
            fill(stream, (int)y.Length, value, y);
    }

    /// <summary>y[i] = x[i]. x and y must not overlap unless they are the same view.</summary>
    public void Copy(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> y)
    {
        RequireSameLength(x, y);
        if (x.Length > 0)
            copy(stream, (int)x.Length, x, y);
    }

    /// <summary>y[i] = α·x[i]; x and y may be the same view.</summary>
    public void Scale(AcceleratorStream stream, T alpha, ArrayView<T> x, ArrayView<T> y)
    {
        RequireSameLength(x, y);
        if (x.Length > 0)
            scale(stream, (int)x.Length, x, alpha, y);
    }

    static void RequireSameLength(ArrayView<T> a, ArrayView<T> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"element counts differ: {a.Length} vs {b.Length}");
    }
}

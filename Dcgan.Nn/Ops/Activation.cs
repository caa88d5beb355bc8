// Host launchers for the element-wise activations (kernels: Dcgan.Kernels/Activations/ActivationKernels.cs).
// Backward takes the forward output y, so a forward may run in place (x and y the same view).
using System.Numerics;
using Dcgan.Kernels.Activations;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public enum ActivationKind { Relu, LeakyRelu, Tanh, Sigmoid }

public sealed class ActivationOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, ArrayView<T>>[] forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>[] backward;

    public static ActivationOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new ActivationOps<T>(a));

    ActivationOps(Accelerator accelerator)
    {
        // Indexed by ActivationKind.
        forward =
        [
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.ReluForward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.LeakyReluForward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.TanhForward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.SigmoidForward),
        ];
        backward =
        [
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.ReluBackward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.LeakyReluBackward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.TanhBackward),
            accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(ActivationKernels.SigmoidBackward),
        ];
    }

    /// <summary>y = f(x). <paramref name="slope"/> is used by LeakyReLU only.</summary>
    public void Forward(AcceleratorStream stream, ActivationKind kind, T slope, ArrayView<T> x, ArrayView<T> y)
    {
        RequireSameLength(x, y);
        forward[(int)kind](stream, (int)x.Length, x, slope, y);
    }

    /// <summary>dX = dY · f'(x), computed from the forward output y. Overwrites dX.</summary>
    public void Backward(AcceleratorStream stream, ActivationKind kind, T slope, ArrayView<T> y, ArrayView<T> dY, ArrayView<T> dX)
    {
        RequireSameLength(y, dY);
        RequireSameLength(y, dX);
        backward[(int)kind](stream, (int)y.Length, y, dY, slope, dX);
    }

    static void RequireSameLength(ArrayView<T> a, ArrayView<T> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"element counts differ: {a.Length} vs {b.Length}");
    }
}

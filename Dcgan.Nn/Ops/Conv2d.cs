// Host launchers for Conv2d (kernels: Dcgan.Kernels/Conv/Conv2dKernels.cs; derivations: docs/kernels/conv2d.md).
// x [N,C,H,W], w [OC,C,K,K], y [N,OC,OH,OW], described by one ConvShape.
// Gradients: Forward overwrites y, BackwardData overwrites dX, BackwardWeight ACCUMULATES into dW.
// ConvTranspose2dOps launches these same kernels (Dcgan.Nn/Ops/ConvTranspose2d.cs).
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class Conv2dOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>> forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>> backwardData;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>> backwardWeight;

    public static Conv2dOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new Conv2dOps<T>(a));

    Conv2dOps(Accelerator accelerator)
    {
        forward = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.Forward);
        backwardData = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardData);
        backwardWeight = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardWeight);
    }

    /// <summary>y = conv2d(x, w). Overwrites y.</summary>
    public void Forward(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y)
    {
        Require(x, shape.InputLength, "x", shape);
        Require(w, shape.WeightLength, "w", shape);
        Require(y, shape.OutputLength, "y", shape);
        forward(stream, (int)shape.OutputLength, x, w, shape, y);
    }

    /// <summary>dX = ∂L/∂x from dY = ∂L/∂y. Overwrites dX.</summary>
    public void BackwardData(AcceleratorStream stream, ConvShape shape, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX)
    {
        Require(dY, shape.OutputLength, "dY", shape);
        Require(w, shape.WeightLength, "w", shape);
        Require(dX, shape.InputLength, "dX", shape);
        backwardData(stream, (int)shape.InputLength, dY, w, shape, dX);
    }

    /// <summary>dW += ∂L/∂w from x and dY = ∂L/∂y. ACCUMULATES into dW (the optimizer clears it).</summary>
    public void BackwardWeight(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW)
    {
        Require(x, shape.InputLength, "x", shape);
        Require(dY, shape.OutputLength, "dY", shape);
        Require(dW, shape.WeightLength, "dW", shape);
        backwardWeight(stream, (int)shape.WeightLength, x, dY, shape, dW);
    }

    static void Require(ArrayView<T> view, long expected, string name, ConvShape shape)
    {
        if (view.Length != expected)
            throw new ArgumentException($"conv {shape}: {name} has {view.Length} elements, expected {expected}");
    }
}

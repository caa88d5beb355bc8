// Element-wise helpers on flat views: fill, copy, scale.
//
//   fill   y[i] = value
//   copy   y[i] = x[i]
//   scale  y[i] = α · x[i]          (x and y may be the same view: each work-item reads then writes its own i)
//
// Legend: i = flat element index over any shape. One work-item per element. Every output is overwritten.
// Fill and copy need no arithmetic, so they take any unmanaged element type (fill also clears int flags).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Tensor;

public static class TensorKernels
{
    public static void Fill<T>(Index1D i, T value, ArrayView<T> y) where T : unmanaged =>
        y[i] = value;

    public static void Copy<T>(Index1D i, ArrayView<T> x, ArrayView<T> y) where T : unmanaged =>
        y[i] = x[i];

    public static void Scale<T>(Index1D i, ArrayView<T> x, T alpha, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        y[i] = alpha * x[i];
}

// Element-wise activations: ReLU, LeakyReLU(slope), Tanh, Sigmoid, forward and backward.
//
//   forward   y[i] = f(x[i])
//   backward  dX[i] = dY[i] · f'(x[i]), written from the forward *output* y (never x), so forward may run in place:
//             ReLU      f' = y > 0 ? 1 : 0              (y > 0 exactly when x > 0)
//             LeakyReLU f' = y > 0 ? 1 : slope          (slope > 0, so sign(y) = sign(x))
//             Tanh      f' = 1 − y²
//             Sigmoid   f' = y · (1 − y)
//
// Legend: i = flat element index over any shape. One thread per element.
// Gradients: dX is overwritten (activation gradients never accumulate).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.ReLU.html (and LeakyReLU, Tanh, Sigmoid).
// Generic in T so the same kernels run in float (training) and double (finite-difference checks).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Activations;

public static class ActivationKernels
{
    public static void ReluForward<T>(Index1D i, ArrayView<T> x, T slope, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = x[i];
        y[i] = v > T.Zero ? v : T.Zero;
    }

    public static void ReluBackward<T>(Index1D i, ArrayView<T> y, ArrayView<T> dY, T slope, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        dX[i] = y[i] > T.Zero ? dY[i] : T.Zero;

    public static void LeakyReluForward<T>(Index1D i, ArrayView<T> x, T slope, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = x[i];
        y[i] = v > T.Zero ? v : v * slope;
    }

    public static void LeakyReluBackward<T>(Index1D i, ArrayView<T> y, ArrayView<T> dY, T slope, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        dX[i] = y[i] > T.Zero ? dY[i] : dY[i] * slope;

    public static void TanhForward<T>(Index1D i, ArrayView<T> x, T slope, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        y[i] = T.Tanh(x[i]);

    public static void TanhBackward<T>(Index1D i, ArrayView<T> y, ArrayView<T> dY, T slope, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = y[i];
        dX[i] = dY[i] * (T.One - v * v);
    }

    public static void SigmoidForward<T>(Index1D i, ArrayView<T> x, T slope, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // exp of a non-positive number only: no overflow for any x.
        T v = x[i];
        T e = T.Exp(-T.Abs(v));
        y[i] = v >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
    }

    public static void SigmoidBackward<T>(Index1D i, ArrayView<T> y, ArrayView<T> dY, T slope, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = y[i];
        dX[i] = dY[i] * v * (T.One - v);
    }
}

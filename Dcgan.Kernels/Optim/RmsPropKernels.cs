// RMSprop (PyTorch semantics: not centered, no momentum, no weight decay) as ONE fused kernel over a flat
// parameter arena.
//
//   v[i] = α·v[i] + (1 − α)·g[i]²
//   p[i] = p[i] − lr · g[i] / (√v[i] + eps)
//   g[i] = 0
//
// Legend: i = flat index into the arena; v = square_avg (starts at zero). One work-item per element.
// Gradients: this step is the one place that clears them (g is read, then overwritten with 0), as Adam's.
// Semantics: https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html (defaults α 0.99, eps 1e-8).
// Derivation: docs/kernels/optimizers.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Optim;

public static class RmsPropKernels
{
    /// <summary>One RMSprop step for element i of the arena; clears g[i].</summary>
    public static void Step<T>(Index1D i, ArrayView<T> g, T alpha, T oneMinusAlpha, T lr, T eps, ArrayView<T> p, ArrayView<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T grad = g[i];
        T vi = alpha * v[i] + oneMinusAlpha * (grad * grad);
        v[i] = vi;
        p[i] -= lr * (grad / (T.Sqrt(vi) + eps));
        g[i] = T.Zero;
    }
}

// Adam (PyTorch semantics, no weight decay, no amsgrad) as ONE fused kernel over a flat parameter arena.
//
//   m[i] = β1·m[i] + (1 − β1)·g[i]
//   v[i] = β2·v[i] + (1 − β2)·g[i]²
//   p[i] = p[i] − stepSize · m[i] / (√v[i] / √bc2 + eps),   stepSize = lr / bc1,  bc1 = 1 − β1^t,  bc2 = 1 − β2^t
//   g[i] = 0
//
// Legend: i = flat index into the arena (every parameter of one network, back to back); t = step count from 1.
// Threads: one work-item per element. The bias corrections depend on t only, so the host computes them in
// float64 and passes them in AdamStep (rounded to T once); the kernel never converts t.
// Gradients: parameter gradients ACCUMULATE everywhere else (+=, over the real and the fake batch); this step
// is the one place that clears them: g is read, then overwritten with 0, so the next step starts from zero.
// Semantics: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html (the "denom = v.sqrt() /
// bias_correction2_sqrt + eps; p -= step_size · m / denom" form of torch's single-tensor Adam).
// Derivation and the t = 1 special case: docs/kernels/adam.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Optim;

/// <summary>The per-step constants of one Adam update, computed on the host in float64 and rounded to T.</summary>
public readonly struct AdamStep<T>(T beta1, T oneMinusBeta1, T beta2, T oneMinusBeta2, T stepSize, T sqrtBiasCorrection2, T eps)
    where T : unmanaged
{
    public readonly T Beta1 = beta1;
    public readonly T OneMinusBeta1 = oneMinusBeta1;
    public readonly T Beta2 = beta2;
    public readonly T OneMinusBeta2 = oneMinusBeta2;
    /// <summary>lr / (1 − β1^t).</summary>
    public readonly T StepSize = stepSize;
    /// <summary>√(1 − β2^t).</summary>
    public readonly T SqrtBiasCorrection2 = sqrtBiasCorrection2;
    public readonly T Eps = eps;
}

public static class AdamKernels
{
    /// <summary>One Adam step for element i of the arena; clears g[i].</summary>
    public static void Step<T>(Index1D i, ArrayView<T> g, AdamStep<T> s, ArrayView<T> p, ArrayView<T> m, ArrayView<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T grad = g[i];
        T mi = s.Beta1 * m[i] + s.OneMinusBeta1 * grad;
        T vi = s.Beta2 * v[i] + s.OneMinusBeta2 * (grad * grad);
        m[i] = mi;
        v[i] = vi;
        p[i] -= s.StepSize * (mi / (T.Sqrt(vi) / s.SqrtBiasCorrection2 + s.Eps));
        g[i] = T.Zero;
    }
}

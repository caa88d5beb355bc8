// The gradient penalties of a critic D on its input gradient g = ∂(Σ_n D(x)_n)/∂x: one row g_n of L = C·H·W values
// per sample n (the critic scores each sample alone: no batchnorm), N rows.
//
//   WGAN-GP (Gulrajani et al. 2017)   P = λ · (1/N) Σ_n (‖g_n‖ − 1)²   at x̂_n = x_n + α_n (f_n − x_n), one α_n per sample
//   R1      (Mescheder et al. 2018)   P = (γ/2) · (1/N) Σ_n ‖g_n‖²      at the real x
//   as one form:                      P = w · (1/N) Σ_n (‖g_n‖ − c)²,   c = 1, w = λ (GP);  c = 0, w = γ/2 (R1)
//
//   interpolate   x̂[i] = x[i] + α[i / L] · (f[i] − x[i])
//   sampleNorms   r[n] = √(Σ_j g[n, j]²)
//   penalty       P[0] = w · (1/N) Σ_n (r[n] − c)²
//   gradient      u[i] = ∂P/∂g[i] = (2w/N) · (r[n] − c)/r[n] · g[i],  n = i / L;  0 where r[n] = 0 (torch.norm's
//                 backward masks a zero norm to 0; R1's ‖g‖² has gradient 2g = 0 there anyway)
//
// u is the tangent the critic's double backward starts from (docs/kernels/double-backward.md).
// Legend: i = flat index into [N, C, H, W], n = sample, j = index within a sample, L = C·H·W.
// Threads: interpolate and gradient one work-item per element; sampleNorms one work-item per sample (its sum in
// index order); penalty ONE work-item (sum over n in order). Deterministic, no atomics.
// Every output is overwritten. Host launchers: Dcgan.Nn/Ops/GradientPenalty.cs.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Penalty;

public static class GradientPenaltyKernels
{
    public static void Interpolate<T>(Index1D i, ArrayView<T> x, ArrayView<T> f, ArrayView<T> alpha, int sampleLength,
        ArrayView<T> xHat) where T : unmanaged, IFloatingPointIeee754<T> =>
        xHat[i] = x[i] + alpha[i / sampleLength] * (f[i] - x[i]);

    public static void SampleNorms<T>(Index1D n, ArrayView<T> g, int sampleLength, ArrayView<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long start = (long)(int)n * sampleLength;
        T sum = T.Zero;
        for (int j = 0; j < sampleLength; j++)
        {
            T v = g[start + j];
            sum += v * v;
        }
        r[n] = T.Sqrt(sum);
    }

    /// <summary>Launch with extent 1: P[0] = w·invN·Σ_n (r[n] − c)², summed in index order.</summary>
    public static void Penalty<T>(Index1D i, ArrayView<T> r, T c, T w, T invN, ArrayView<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int n = 0; n < r.IntLength; n++)
        {
            T d = r[n] - c;
            sum += d * d;
        }
        p[0] = w * invN * sum;
    }

    /// <summary>u[i] = twoWInvN·(r[n] − c)/r[n]·g[i], 0 where r[n] = 0.</summary>
    public static void Gradient<T>(Index1D i, ArrayView<T> g, ArrayView<T> r, int sampleLength, T c, T twoWInvN,
        ArrayView<T> u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T norm = r[i / sampleLength];
        u[i] = norm > T.Zero ? twoWInvN * ((norm - c) / norm) * g[i] : T.Zero;
    }
}

// BatchNorm2d over NCHW, training and eval mode, forward and backward.
//
//   train forward   mean[c]   = Σ x / M                                   (saved for backward)
//                   var_b[c]  = Σ (x − mean)² / M                          (biased: used to normalise)
//                   invstd[c] = 1 / √(var_b + eps)                         (saved for backward)
//                   y         = γ[c] · (x − mean) · invstd + β[c]
//                   running_mean[c] = (1 − m) · running_mean + m · mean                (updated in place)
//                   running_var[c]  = (1 − m) · running_var  + m · var_b · M / (M − 1)  (unbiased; in place)
//   eval forward    y  = γ[c] · (x − running_mean) / √(running_var + eps) + β[c]
//   train backward  x̂  = (x − mean) · invstd,  Σdy[c] = Σ dY,  Σdyx̂[c] = Σ dY · x̂   (saved: dX needs them)
//                   dβ[c] += Σdy
//                   dγ[c] += Σdyx̂
//                   dX  = γ[c] · invstd / M · (M · dY − Σdy − x̂ · Σdyx̂)
//   eval backward   x̂  = (x − running_mean) / √(running_var + eps)
//                   dβ[c] += Σ dY
//                   dγ[c] += Σ dY · x̂
//                   dX  = dY · γ[c] / √(running_var + eps)
//
// Legend: n, c, h, w = sample, channel, row, column of an NCHW tensor; s = h·W + w; hw = H·W;
// M = N·H·W, the number of elements each channel's statistics run over; element (n, c, s) sits at (n·C + c)·hw + s.
// Threads: the per-channel kernels (*Stats, *Sums) run one thread per channel with a fixed-order loop over its
// M elements (summed per sample, then over samples, to keep float32 rounding down at large M; within a sample in
// four interleaved partial sums, so the adds do not wait on each other): no float atomics, so every run is bitwise
// reproducible. The element-wise kernels run one thread per (n, c) plane, looping over its H·W contiguous
// elements: the channel is known once per plane (one thread per element paid two integer divisions per element to
// find it), and the loop is a plain strided-free loop LLVM vectorises.
// Derivation and mapping: docs/kernels/batchnorm2d.md.
// Gradients: dγ, dβ accumulate (+=; the optimizer step clears them); dX is overwritten; the saved mean, invstd,
// Σdy, Σdyx̂ are overwritten.
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html (momentum 0.1, eps 1e-5 there).
// Constants (1/M, M/(M − 1), m, eps) arrive as T arguments computed on the host: no int → T conversion here.
// Generic in T so the same kernels run in float (training) and double (finite-difference checks).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.BatchNorm;

/// <summary>Shape of a BatchNorm2d input: N samples of C channels of H×W.</summary>
public readonly struct BatchNormShape(int n, int c, int h, int w)
{
    public readonly int N = n;
    public readonly int C = c;
    public readonly int H = h;
    public readonly int W = w;

    public int HW => H * W;

    /// <summary>Elements per channel: N·H·W.</summary>
    public int M => N * H * W;

    public int Length => N * C * H * W;

    public override string ToString() => $"[{N}, {C}, {H}, {W}]";
}

public static class BatchNormKernels
{
    /// <summary>Train forward, one thread per channel: mean, invstd (saved), running stats (updated in place).</summary>
    public static void TrainStats<T>(
        Index1D c, ArrayView<T> x, BatchNormShape s, T invM, T unbiasedScale, T momentum, T eps,
        ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> runningMean, ArrayView<T> runningVar)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = c.X;
        int hw = s.HW;

        // Pass 1: the mean. Two-level sum (per sample, then over samples): rounding grows with H·W + N, not M.
        T sum = T.Zero;
        int body = hw & ~3; // the 4-way part; the tail (H·W mod 4 elements) goes into p0
        for (int n = 0; n < s.N; n++)
        {
            int start = (n * s.C + ch) * hw;
            T p0 = T.Zero, p1 = T.Zero, p2 = T.Zero, p3 = T.Zero;
            for (int k = 0; k < body; k += 4)
            {
                p0 += x[start + k];
                p1 += x[start + k + 1];
                p2 += x[start + k + 2];
                p3 += x[start + k + 3];
            }
            for (int k = body; k < hw; k++)
                p0 += x[start + k];
            sum += (p0 + p1) + (p2 + p3);
        }
        T mu = sum * invM;

        // Pass 2: the biased variance around that mean (no E[x²] − E[x]² cancellation).
        T squares = T.Zero;
        for (int n = 0; n < s.N; n++)
        {
            int start = (n * s.C + ch) * hw;
            T p0 = T.Zero, p1 = T.Zero, p2 = T.Zero, p3 = T.Zero;
            for (int k = 0; k < body; k += 4)
            {
                T d0 = x[start + k] - mu, d1 = x[start + k + 1] - mu, d2 = x[start + k + 2] - mu, d3 = x[start + k + 3] - mu;
                p0 += d0 * d0;
                p1 += d1 * d1;
                p2 += d2 * d2;
                p3 += d3 * d3;
            }
            for (int k = body; k < hw; k++)
            {
                T d = x[start + k] - mu;
                p0 += d * d;
            }
            squares += (p0 + p1) + (p2 + p3);
        }
        T varBiased = squares * invM;

        mean[ch] = mu;
        invstd[ch] = T.One / T.Sqrt(varBiased + eps);

        // Running stats take the unbiased variance, as PyTorch does.
        T keep = T.One - momentum;
        runningMean[ch] = keep * runningMean[ch] + momentum * mu;
        runningVar[ch] = keep * runningVar[ch] + momentum * (varBiased * unbiasedScale);
    }

    /// <summary>Train forward, one thread per (n, c) plane: y = γ · (x − mean) · invstd + β.</summary>
    public static void TrainNormalize<T>(
        Index1D plane, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> gamma, ArrayView<T> beta,
        BatchNormShape s, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = plane.X % s.C;
        int start = plane.X * s.HW, end = start + s.HW;
        T g = gamma[ch], mu = mean[ch], inv = invstd[ch], b = beta[ch];
        for (int i = start; i < end; i++)
            y[i] = g * ((x[i] - mu) * inv) + b;
    }

    /// <summary>Eval forward, one thread per (n, c) plane: y = γ · (x − running_mean) / √(running_var + eps) + β.</summary>
    public static void EvalNormalize<T>(
        Index1D plane, ArrayView<T> x, ArrayView<T> runningMean, ArrayView<T> runningVar, ArrayView<T> gamma,
        ArrayView<T> beta, BatchNormShape s, T eps, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = plane.X % s.C;
        int start = plane.X * s.HW, end = start + s.HW;
        T inv = T.One / T.Sqrt(runningVar[ch] + eps);
        T g = gamma[ch], mu = runningMean[ch], b = beta[ch];
        for (int i = start; i < end; i++)
            y[i] = g * ((x[i] - mu) * inv) + b;
    }

    /// <summary>
    /// Train backward, one thread per channel: Σdy and Σdy·x̂ (saved for <see cref="TrainBackwardInput"/>),
    /// then dβ += Σdy, dγ += Σdy·x̂.
    /// </summary>
    public static void TrainBackwardSums<T>(
        Index1D c, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> mean, ArrayView<T> invstd, BatchNormShape s,
        ArrayView<T> sumDy, ArrayView<T> sumDyXhat, ArrayView<T> dGamma, ArrayView<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = c.X;
        T mu = mean[ch], inv = invstd[ch];
        var (sDy, sDyXhat) = GradientSums(x, dY, s, ch, mu, inv);
        sumDy[ch] = sDy;
        sumDyXhat[ch] = sDyXhat;
        dBeta[ch] += sDy;
        dGamma[ch] += sDyXhat;
    }

    /// <summary>Train backward, one thread per (n, c) plane: dX = γ · invstd · (dY − Σdy / M − x̂ · Σdyx̂ / M).</summary>
    public static void TrainBackwardInput<T>(
        Index1D plane, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> gamma,
        ArrayView<T> sumDy, ArrayView<T> sumDyXhat, BatchNormShape s, T invM, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = plane.X % s.C;
        int start = plane.X * s.HW, end = start + s.HW;
        T inv = invstd[ch], mu = mean[ch];
        T scale = gamma[ch] * inv, meanDy = sumDy[ch] * invM, meanDyXhat = sumDyXhat[ch] * invM;
        for (int i = start; i < end; i++)
        {
            T xhat = (x[i] - mu) * inv;
            dX[i] = scale * (dY[i] - meanDy - xhat * meanDyXhat);
        }
    }

    /// <summary>Eval backward, one thread per channel: dβ += Σdy, dγ += Σdy·x̂ with x̂ from the running stats.</summary>
    public static void EvalBackwardSums<T>(
        Index1D c, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> runningMean, ArrayView<T> runningVar,
        BatchNormShape s, T eps, ArrayView<T> dGamma, ArrayView<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = c.X;
        T mu = runningMean[ch];
        T inv = T.One / T.Sqrt(runningVar[ch] + eps);
        var (sDy, sDyXhat) = GradientSums(x, dY, s, ch, mu, inv);
        dBeta[ch] += sDy;
        dGamma[ch] += sDyXhat;
    }

    /// <summary>Eval backward, one thread per (n, c) plane: dX = dY · γ / √(running_var + eps).</summary>
    public static void EvalBackwardInput<T>(
        Index1D plane, ArrayView<T> dY, ArrayView<T> runningVar, ArrayView<T> gamma, BatchNormShape s, T eps,
        ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = plane.X % s.C;
        int start = plane.X * s.HW, end = start + s.HW;
        T scale = gamma[ch] / T.Sqrt(runningVar[ch] + eps);
        for (int i = start; i < end; i++)
            dX[i] = dY[i] * scale;
    }

    /// <summary>
    /// Σdy and Σdy·x̂ over channel ch, x̂ = (x − mu)·inv, for both backward kernels: two-level sums as in TrainStats
    /// (per sample, then over samples), each sample's run in two interleaved partials.
    /// </summary>
    static (T Dy, T DyXhat) GradientSums<T>(ArrayView<T> x, ArrayView<T> dY, BatchNormShape s, int ch, T mu, T inv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hw = s.HW;
        int body = hw & ~1;
        T sDy = T.Zero, sDyXhat = T.Zero;
        for (int n = 0; n < s.N; n++)
        {
            int start = (n * s.C + ch) * hw;
            T dy0 = T.Zero, dy1 = T.Zero, dyx0 = T.Zero, dyx1 = T.Zero;
            for (int k = 0; k < body; k += 2)
            {
                T a = dY[start + k], b = dY[start + k + 1];
                dy0 += a;
                dy1 += b;
                dyx0 += a * ((x[start + k] - mu) * inv);
                dyx1 += b * ((x[start + k + 1] - mu) * inv);
            }
            if (body < hw)
            {
                T a = dY[start + body];
                dy0 += a;
                dyx0 += a * ((x[start + body] - mu) * inv);
            }
            sDy += dy0 + dy1;
            sDyXhat += dyx0 + dyx1;
        }
        return (sDy, sDyXhat);
    }
}

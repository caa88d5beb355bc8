// BatchNorm2d's kernels laid out for GPUs: the same math as BatchNormKernels (see its header for the formulas),
// with the parallelism a GPU needs. BatchNormKernels runs one thread per channel for the statistics and one per
// (n, c) plane for the element-wise passes, sized for PoCL's two cores: on the first CUDA run (H200, 64px batch
// 64) that kept a 64-channel layer's statistics on 64 threads and batchnorm took 56 ms of a 161 ms step.
//
//   *Group kernels     one thread GROUP per channel (grid = C groups of G threads, G a power of two ≤ 256):
//                      each thread sums a strided share of the channel's M elements (consecutive threads read
//                      consecutive addresses within a plane), then the group adds the G partial sums in a
//                      fixed-shape tree in shared memory. Deterministic (no atomics, a fixed order for a given G).
//   *Flat kernels      one thread per element; the channel is (i / H·W) mod C.
//
// Legend as in BatchNormKernels: n, c, s = sample, channel, position in the H·W plane; M = N·H·W; element (n, c, s)
// at (n·C + c)·H·W + s; j = n·H·W + s runs over a channel's M elements.
// Gradients: dγ, dβ accumulate (+=); dX is overwritten; the saved mean, invstd, Σdy, Σdyx̂ are overwritten.
// Every barrier is a reduction step: all partial sums of one tree level are written before the next level reads.
using System.Numerics;
using Dcgan.Kernels.Tensor;
using ILGPU;

namespace Dcgan.Kernels.BatchNorm;

public static class BatchNormGpuKernels
{
    /// <summary>Largest group the *Group kernels take (the size of their shared arrays).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Train forward statistics, one group per channel: mean, invstd (saved), running stats (in place).</summary>
    public static void TrainStatsGroup<T>(
        ArrayView<T> x, BatchNormShape s, T invM, T unbiasedScale, T momentum, T eps,
        ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> runningMean, ArrayView<T> runningVar)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int ch = Grid.IdxX, t = Group.IdxX, g = Group.DimX, hw = s.HW, m = s.M;

        T sum = T.Zero;
        for (int j = t; j < m; j += g)
            sum += x[Offset(s, ch, j, hw)];
        T mu = GroupReduce.Sum(partial, sum, t, g) * invM;

        T squares = T.Zero;
        for (int j = t; j < m; j += g)
        {
            T d = x[Offset(s, ch, j, hw)] - mu;
            squares += d * d;
        }
        T varBiased = GroupReduce.Sum(partial, squares, t, g) * invM;

        if (t == 0)
        {
            mean[ch] = mu;
            invstd[ch] = T.One / T.Sqrt(varBiased + eps);
            T keep = T.One - momentum;
            runningMean[ch] = keep * runningMean[ch] + momentum * mu;
            runningVar[ch] = keep * runningVar[ch] + momentum * (varBiased * unbiasedScale);
        }
    }

    /// <summary>Train backward sums, one group per channel: Σdy, Σdy·x̂ (saved), dβ += Σdy, dγ += Σdy·x̂.</summary>
    public static void TrainBackwardSumsGroup<T>(
        ArrayView<T> x, ArrayView<T> dY, ArrayView<T> mean, ArrayView<T> invstd, BatchNormShape s,
        ArrayView<T> sumDy, ArrayView<T> sumDyXhat, ArrayView<T> dGamma, ArrayView<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = Grid.IdxX;
        var (sDy, sDyXhat) = GradientSums(x, dY, s, ch, mean[ch], invstd[ch]);
        if (Group.IdxX == 0)
        {
            sumDy[ch] = sDy;
            sumDyXhat[ch] = sDyXhat;
            dBeta[ch] += sDy;
            dGamma[ch] += sDyXhat;
        }
    }

    /// <summary>Eval backward sums, one group per channel: dβ += Σdy, dγ += Σdy·x̂ with x̂ from the running stats.</summary>
    public static void EvalBackwardSumsGroup<T>(
        ArrayView<T> x, ArrayView<T> dY, ArrayView<T> runningMean, ArrayView<T> runningVar, BatchNormShape s, T eps,
        ArrayView<T> dGamma, ArrayView<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = Grid.IdxX;
        var (sDy, sDyXhat) = GradientSums(x, dY, s, ch, runningMean[ch], T.One / T.Sqrt(runningVar[ch] + eps));
        if (Group.IdxX == 0)
        {
            dBeta[ch] += sDy;
            dGamma[ch] += sDyXhat;
        }
    }

    /// <summary>Train forward, one thread per element: y = γ · (x − mean) · invstd + β.</summary>
    public static void TrainNormalizeFlat<T>(
        Index1D i, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> gamma, ArrayView<T> beta,
        BatchNormShape s, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = i / s.HW % s.C;
        y[i] = gamma[ch] * ((x[i] - mean[ch]) * invstd[ch]) + beta[ch];
    }

    /// <summary>Eval forward, one thread per element: y = γ · (x − running_mean) / √(running_var + eps) + β.</summary>
    public static void EvalNormalizeFlat<T>(
        Index1D i, ArrayView<T> x, ArrayView<T> runningMean, ArrayView<T> runningVar, ArrayView<T> gamma,
        ArrayView<T> beta, BatchNormShape s, T eps, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = i / s.HW % s.C;
        T inv = T.One / T.Sqrt(runningVar[ch] + eps);
        y[i] = gamma[ch] * ((x[i] - runningMean[ch]) * inv) + beta[ch];
    }

    /// <summary>Train backward, one thread per element: dX = γ · invstd · (dY − Σdy / M − x̂ · Σdyx̂ / M).</summary>
    public static void TrainBackwardInputFlat<T>(
        Index1D i, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> gamma,
        ArrayView<T> sumDy, ArrayView<T> sumDyXhat, BatchNormShape s, T invM, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = i / s.HW % s.C;
        T inv = invstd[ch];
        T xhat = (x[i] - mean[ch]) * inv;
        dX[i] = gamma[ch] * inv * (dY[i] - sumDy[ch] * invM - xhat * (sumDyXhat[ch] * invM));
    }

    /// <summary>Eval backward, one thread per element: dX = dY · γ / √(running_var + eps).</summary>
    public static void EvalBackwardInputFlat<T>(
        Index1D i, ArrayView<T> dY, ArrayView<T> runningVar, ArrayView<T> gamma, BatchNormShape s, T eps,
        ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ch = i / s.HW % s.C;
        dX[i] = dY[i] * (gamma[ch] / T.Sqrt(runningVar[ch] + eps));
    }

    /// <summary>Element j (0 ≤ j &lt; M) of channel ch: sample j / H·W, position j mod H·W.</summary>
    static int Offset(BatchNormShape s, int ch, int j, int hw)
    {
        int n = j / hw;
        return (n * s.C + ch) * hw + (j - n * hw);
    }

    /// <summary>Σdy and Σdy·x̂ over channel ch, x̂ = (x − mu)·inv, reduced over the group; every thread gets the sums.</summary>
    static (T Dy, T DyXhat) GradientSums<T>(ArrayView<T> x, ArrayView<T> dY, BatchNormShape s, int ch, T mu, T inv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int t = Group.IdxX, g = Group.DimX, hw = s.HW, m = s.M;
        T dy = T.Zero, dyx = T.Zero;
        for (int j = t; j < m; j += g)
        {
            int k = Offset(s, ch, j, hw);
            T d = dY[k];
            dy += d;
            dyx += d * ((x[k] - mu) * inv);
        }
        T sDy = GroupReduce.Sum(partial, dy, t, g);
        T sDyXhat = GroupReduce.Sum(partial, dyx, t, g);
        return (sDy, sDyXhat);
    }
}

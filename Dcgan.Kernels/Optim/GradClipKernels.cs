// Per-parameter gradient norms and gradient clipping by the global norm (PyTorch's clip_grad_norm_), both
// deterministic and sync-free: the norms stay in device memory and the clip reads its norm from there.
//
//   segment norms   norms[s] = √(Σ_{k < len[s]} g[off[s] + k]²)                 one norm per parameter tensor
//   clip            coef = maxNorm / (norm[0] + 1e−6);  g[i] = coef < 1 ? g[i]·coef : g[i]
//
// Legend: s = segment (parameter tensor) index, S = segment count, off/len = each segment's arena slice,
// P = parts per segment (the fixed partition), q = part index, j = s·P + q, k = element within a segment,
// i = flat arena index.
// Segment norms use two passes with a FIXED partition (as ReductionKernels' norm), so every float result is
// bitwise identical run to run whatever the device's scheduling; no atomics:
//   pass 1 (S·P work-items)  partials[s·P + q] = Σ_{k = q, q+P, q+2P, … < len[s]} g[off[s] + k]²   (increasing k)
//   pass 2 (S work-items)    norms[s] = √(Σ_{q = 0..P−1} partials[s·P + q])                        (increasing q)
// Clip matches torch.nn.utils.clip_grad_norm_ (https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html):
// PyTorch multiplies by min(coef, 1); multiplying by exactly 1 is the identity, so scaling only when coef < 1
// gives the same bits. A norm is non-finite only when a gradient is, and the trainer raises its non-finite flag
// over the gradients before the clip, so what the clip does with such a norm never matters (device compilers
// may treat a NaN comparison either way). Gradients are OVERWRITTEN in place (scaled); nothing accumulates.
// Derivation, thread mapping and where the trainer uses them: docs/reliability.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Optim;

public static class GradClipKernels
{
    /// <summary>Pass 1, extent S·P: partials[s·P + q] = Σ g[off[s] + k]² over k ≡ q (mod P), in increasing k.</summary>
    public static void SegmentSumSquaresPartials<T>(Index1D j, ArrayView<T> g, ArrayView<int> offsets,
        ArrayView<int> lengths, int parts, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = j / parts;
        int q = j - s * parts;
        int off = offsets[s];
        int len = lengths[s];
        T sum = T.Zero;
        for (int k = q; k < len; k += parts)
        {
            T v = g[off + k];
            sum += v * v;
        }
        partials[j] = sum;
    }

    /// <summary>
    /// Pass 1 as SegmentSumSquaresPartials computes it, bitwise, for CPU OpenCL (PoCL): one group of P work-items per
    /// segment (group s, work-item q), a barrier every ReductionKernels.LockstepSteps steps so that PoCL walks the
    /// segment with the whole group in step (ReductionKernels.SumSquaresPartialsLockstep says why); past the segment's
    /// end a work-item adds 0².
    /// </summary>
    public static void SegmentSumSquaresPartialsLockstep<T>(ArrayView<T> g, ArrayView<int> offsets, ArrayView<int> lengths,
        ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = Grid.IdxX, q = Group.IdxX, parts = Group.DimX;
        int off = offsets[s];
        int len = lengths[s];
        const int steps = Tensor.ReductionKernels.LockstepSteps;
        int rounds = (len + steps * parts - 1) / (steps * parts);
        T sum = T.Zero;
        int k = q;
        for (int r = 0; r < rounds; r++)
        {
            for (int step = 0; step < steps; step++)
            {
                T v = g[k < len ? off + k : off];
                v = k < len ? v : T.Zero;
                sum += v * v;
                k += parts;
            }
            // Not for data sharing: it keeps the group's work-items in step.
            Group.Barrier();
        }
        partials[s * parts + q] = sum;
    }

    /// <summary>Pass 2, extent S: norms[s] = √(Σ partials[s·P + q]), in increasing q.</summary>
    public static void SegmentNorms<T>(Index1D s, ArrayView<T> partials, int parts, ArrayView<T> norms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        int begin = s * parts;
        for (int q = 0; q < parts; q++)
            sum += partials[begin + q];
        norms[s] = T.Sqrt(sum);
    }

    /// <summary>
    /// One work-item: total[0] = √(Σ_s norms[s]²), in increasing s: the global norm of the segments together (a
    /// network's gradient norm from its tensors' norms; rounding aside, the norm of all their elements).
    /// </summary>
    public static void NormOfNorms<T>(Index1D i, ArrayView<T> norms, ArrayView<T> total)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int s = 0; s < norms.Length; s++)
            sum += norms[s] * norms[s];
        total[0] = T.Sqrt(sum);
    }

    /// <summary>
    /// One work-item per element: g[i] ·= maxNorm / (norm[0] + eps) when that coefficient is below 1. The norm is
    /// read from device memory (computed by an earlier launch on the same stream), so the host never waits.
    /// </summary>
    public static void ClipByNorm<T>(Index1D i, ArrayView<T> norm, T maxNorm, T eps, ArrayView<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T coef = maxNorm / (norm[0] + eps);
        if (coef < T.One)
            g[i] *= coef;
    }
}

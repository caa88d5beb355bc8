// Deterministic reductions over a flat view: the L2 norm (gradient norm) and the "any non-finite?" flag.
//
//   norm       norm[0] = √(Σ_k x[k]²)
//   nonfinite  flag[0] = 1 if some x[k] is NaN, +Inf or −Inf; otherwise flag[0] is left as it was
//
// Legend: k = flat element index, n = x.Length, P = partials.Length (the fixed partition), j = partial index.
// Norm, two passes with a FIXED partition, so the float result is bitwise identical run to run and does not
// depend on how the device schedules work-items (no atomics, no tree whose shape follows the group size):
//   pass 1 (P work-items)  partials[j] = Σ_{k = j, j+P, j+2P, … < n} x[k]²   (in increasing k)
//   pass 2 (1 work-item)   norm[0] = √(Σ_{j = 0..P−1} partials[j])           (in increasing j)
// Neighbouring work-items read neighbouring elements on every iteration, so pass 1's loads coalesce on a GPU.
// Non-finite flag: one work-item per element; each offender stores the same 1 (a benign race, no atomics
// needed). The caller clears the flag (fill with 0) before the launch. Details: docs/kernels/helpers.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Tensor;

public static class ReductionKernels
{
    /// <summary>Pass 1 of the norm, extent P: partials[j] = Σ x[k]² over k ≡ j (mod P), in increasing k.</summary>
    public static void SumSquaresPartials<T>(Index1D j, ArrayView<T> x, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int stride = partials.IntLength;
        T sum = T.Zero;
        for (int k = j; k < x.IntLength; k += stride)
        {
            T v = x[k];
            sum += v * v;
        }
        partials[j] = sum;
    }

    /// <summary>Element steps each work-item of the lockstep kernels takes between two group barriers.</summary>
    public const int LockstepSteps = 16;

    /// <summary>
    /// Pass 1 of the norm as SumSquaresPartials computes it, bitwise (each partial adds the same squares in the same
    /// order; past the end it adds 0², which leaves a sum of squares unchanged), for CPU OpenCL (PoCL): explicitly
    /// grouped (P a multiple of the group size), with a barrier every LockstepSteps steps. PoCL runs the code
    /// between two barriers as a loop over the group's work-items, so a group walks x in lockstep — 64 neighbouring
    /// elements per step, one vector load — where SumSquaresPartials' work-items each walk their own strided
    /// sequence (a cache line per element, 16 times over). Every work-item takes the same number of steps, as a
    /// barrier requires.
    /// </summary>
    public static void SumSquaresPartialsLockstep<T>(ArrayView<T> x, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = Grid.GlobalIndex.X;
        int stride = partials.IntLength, n = x.IntLength;
        int rounds = (n + LockstepSteps * stride - 1) / (LockstepSteps * stride);
        T sum = T.Zero;
        int k = j;
        for (int r = 0; r < rounds; r++)
        {
            for (int step = 0; step < LockstepSteps; step++)
            {
                T v = x[k < n ? k : 0];
                v = k < n ? v : T.Zero;
                sum += v * v;
                k += stride;
            }
            // Not for data sharing: it keeps the group's work-items in step (see the summary).
            Group.Barrier();
        }
        partials[j] = sum;
    }

    /// <summary>Pass 2 of the norm, extent 1: norm[0] = √(Σ partials[j]), in increasing j.</summary>
    public static void SqrtOfSum<T>(Index1D i, ArrayView<T> partials, ArrayView<T> norm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int j = 0; j < partials.IntLength; j++)
            sum += partials[j];
        norm[0] = T.Sqrt(sum);
    }

    /// <summary>One work-item per element: flag[0] = 1 if x[k] is NaN or ±Inf (never writes 0).</summary>
    public static void FlagNonFinite<T>(Index1D k, ArrayView<T> x, ArrayView<int> flag)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = x[k];
        if (T.IsNaN(v) || T.IsInfinity(v))
            flag[0] = 1;
    }
}

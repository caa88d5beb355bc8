// Version 10's split-K plan and reduction (the GEMM kernels are generated: ConvGemm.SplitK.g.cs).
// A launch of SplitK{128,64,16} runs Tiles × Splits groups; split s sums k in [s·KPerSplit, (s + 1)·KPerSplit).
// With one split the kernel writes C itself; with more, each split writes a dense M × Ncols partial product and
// SplitKReduce adds the splits in order (split 0 first) into C: the same bits on every run, no atomics.
// Legend: i row of C, j column of C, s split.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

/// <summary>How one version-10 GEMM launch divides its reduction; passed by value to the kernels.</summary>
public readonly struct SplitK
{
    /// <summary>Blocks of C (RowTiles × column tiles).</summary>
    public readonly int Tiles;
    /// <summary>Splits of the reduction (1: no partial products).</summary>
    public readonly int Splits;
    /// <summary>k per split, a multiple of the kernel's k slice.</summary>
    public readonly int KPerSplit;

    SplitK(int tiles, int splits, int kPerSplit)
    {
        Tiles = tiles; Splits = splits; KPerSplit = kPerSplit;
    }

    /// <summary>
    /// The plan for g on a kernel of block side `side` and k slice `depth`: as many splits as it takes to give the
    /// device about targetGroups groups, at most maxSplits, each split at least minSliceRuns slices deep (a short
    /// split pays its staging and its partial block for little work), and the partial products within
    /// maxPartialElements. splitsOverride, when positive, replaces the choice (tests force both paths).
    /// </summary>
    public static SplitK Plan(GemmShape g, int side, int depth, int targetGroups, int maxSplits, int minSliceRuns,
        long maxPartialElements, int splitsOverride = 0)
    {
        int tiles = g.Tiles(side);
        int k = g.Ko * g.Ki;
        int slices = (k + depth - 1) / depth;
        int splits = splitsOverride > 0 ? splitsOverride
            : Math.Min((targetGroups + tiles - 1) / tiles, Math.Min(maxSplits, Math.Max(1, slices / minSliceRuns)));
        splits = Math.Max(1, Math.Min(splits, slices));
        if (splits > 1 && (long)splits * g.M * g.Ncols > maxPartialElements)
            splits = (int)Math.Max(1, maxPartialElements / ((long)g.M * g.Ncols));
        // Slices per split rounded up, then the splits that still have work (the last may be shorter).
        int perSplit = (slices + splits - 1) / splits * depth;
        splits = (k + perSplit - 1) / perSplit;
        return new SplitK(tiles, splits, perSplit);
    }

    /// <summary>Groups to launch.</summary>
    public int Groups => Tiles * Splits;

    /// <summary>Elements of the partial products (0 with one split).</summary>
    public long PartialLength(GemmShape g) => Splits > 1 ? (long)Splits * g.M * g.Ncols : 0;
}

public static partial class ConvGemm
{
    /// <summary>
    /// One work-item per element of C (index i·Ncols + j): the splits' partial products summed in split order, then
    /// written (or, with g.Accumulate, added) to C at g's addressing.
    /// </summary>
    public static void SplitKReduce<T>(Index1D idx, ArrayView<T> partial, GemmShape g, int splits, ArrayView<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long mn = (long)g.M * g.Ncols;
        T sum = partial[idx];
        for (int s = 1; s < splits; s++)
            sum += partial[s * mn + idx];
        int i = idx / g.Ncols, j = idx - i * g.Ncols;
        int ci = i * g.CRow + j / g.Panel * g.CBatch + j % g.Panel;
        c[ci] = g.Accumulate != 0 ? c[ci] + sum : sum;
    }
}

// Pairwise dot products of feature vectors on the host, vectorised (System.Numerics.Vector<double>) and blocked:
// the one hot loop of the quality statistics (QualityStatistics.cs): the kernel inception distance's kernel
// matrices, precision/recall's pairwise distances and a Gaussian fit's covariance.
//
//   tile[r, c] = Σ_k x[i0 + r, k] · y[j0 + c, k]        i0 = I·Block, j0 = J·Block; r, c < Block
//
// Legend: N rows (feature vectors) of a set, d their length (the sum runs over k < d), I / J a row block of x /
// of y, Block = 64 rows per block, W = Vector<double>.Count lanes.
//
// A set is held twice, both zero-padded to whole blocks: row-major (when it gives a tile's rows) and packed in
// panels of Block rows, transposed (when it gives a tile's columns), so that a tile is an outer-product GEMM:
// each step broadcasts one x and multiplies it by a vector of W y's, with no horizontal sums. The micro-kernel
// holds a 4 × 2W corner of the tile in 8 accumulators.
//
// Every dot product is one chain of fused multiply-adds over k = 0, 1, .. d−1 in order, whichever the tile, the
// lane and the thread. Norms below are computed by the same chain, so Norms[i] is bitwise x_i·x_i as a tile gives
// it: ‖x_i‖² + ‖x_i‖² − 2 x_i·x_i is exactly 0 (a point lies in its own ball), and x·y == y·x bitwise (products
// commute), so distances are symmetric to the bit.
//
// Output is written, never accumulated; rows and columns beyond the sets' ends hold garbage the callers skip.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dcgan.Nn.Evaluation;

internal sealed class FeatureBlocks
{
    public const int Block = 64;
    const int MicroRows = 4;

    public int Count { get; }
    public int Dim { get; }
    public int Blocks => (Count + Block - 1) / Block;

    /// <summary>Blocks·Block × Dim, row-major; the padding rows are zero.</summary>
    readonly double[] rows;
    /// <summary>Blocks × Dim × Block: panels[(J·Dim + k)·Block + c] = x[J·Block + c, k]; the padding is zero.</summary>
    readonly double[] panels;

    /// <summary>x_i · x_i, by the same fused chain as a tile.</summary>
    public double[] Norms { get; }

    FeatureBlocks(int count, int dim, double[] rows)
    {
        Count = count;
        Dim = dim;
        this.rows = rows;
        panels = new double[Blocks * dim * Block];
        Norms = new double[count];
        for (int i = 0; i < count; i++)
        {
            int J = i / Block, c = i % Block;
            double norm = 0;
            for (int k = 0; k < dim; k++)
            {
                double v = rows[i * dim + k];
                panels[(J * dim + k) * Block + c] = v;
                norm = Math.FusedMultiplyAdd(v, v, norm);
            }
            Norms[i] = norm;
        }
    }

    /// <summary>The rows of <paramref name="features"/> (count × dim floats) named by <paramref name="indices"/>, in
    /// that order, or all of them when it is null.</summary>
    public static FeatureBlocks FromFloats(ReadOnlySpan<float> features, int dim, int[]? indices = null)
    {
        int count = indices?.Length ?? features.Length / dim;
        var rows = new double[Padded(count) * dim];
        for (int i = 0; i < count; i++)
        {
            var source = features.Slice((indices?[i] ?? i) * dim, dim);
            for (int k = 0; k < dim; k++)
                rows[i * dim + k] = source[k];
        }
        return new FeatureBlocks(count, dim, rows);
    }

    /// <summary>count × dim doubles, row-major.</summary>
    public static FeatureBlocks FromDoubles(ReadOnlySpan<double> values, int count, int dim)
    {
        var rows = new double[Padded(count) * dim];
        values[..(count * dim)].CopyTo(rows);
        return new FeatureBlocks(count, dim, rows);
    }

    static int Padded(int count) => (count + Block - 1) / Block * Block;

    /// <summary>The rows of block I that exist.</summary>
    public int RowsIn(int I) => Math.Min(Block, Count - I * Block);

    /// <summary>
    /// tile[r·Block + c] = x[I·Block + r] · y[J·Block + c] for r &lt; x.RowsIn(I), c &lt; y.RowsIn(J) (rounded up to the
    /// micro-kernel's 4 × 2W; the rest of the tile is left as it was).
    /// </summary>
    public static void Dots(FeatureBlocks x, int I, FeatureBlocks y, int J, Span<double> tile)
    {
        if (x.Dim != y.Dim)
            throw new ArgumentException($"feature lengths differ: {x.Dim} and {y.Dim}");
        if (tile.Length < Block * Block)
            throw new ArgumentException($"a tile holds {Block * Block} values", nameof(tile));
        if ((uint)I >= (uint)x.Blocks || (uint)J >= (uint)y.Blocks)
            throw new ArgumentOutOfRangeException(nameof(I), $"block ({I}, {J}) of ({x.Blocks}, {y.Blocks})");
        int W = Vector<double>.Count;
        if (Block % (2 * W) != 0)
            throw new PlatformNotSupportedException($"Vector<double> of {W} lanes does not tile {Block} columns");

        int d = x.Dim;
        int rowEnd = RoundUp(x.RowsIn(I), MicroRows), colEnd = RoundUp(y.RowsIn(J), 2 * W);
        ref double xBase = ref MemoryMarshal.GetArrayDataReference(x.rows);
        xBase = ref Unsafe.Add(ref xBase, (nint)I * Block * d);
        ref double yBase = ref MemoryMarshal.GetArrayDataReference(y.panels);
        yBase = ref Unsafe.Add(ref yBase, (nint)J * d * Block);
        ref double t = ref MemoryMarshal.GetReference(tile);

        // Column strips outside, rows inside: a strip of 2W columns × d (8 KB at d = 128) stays in L1 while the
        // block's row quads pass over it.
        for (int c = 0; c < colEnd; c += 2 * W)
        {
            for (int r = 0; r < rowEnd; r += MicroRows)
            {
                ref double x0 = ref Unsafe.Add(ref xBase, (nint)r * d);
                ref double x1 = ref Unsafe.Add(ref x0, d);
                ref double x2 = ref Unsafe.Add(ref x1, d);
                ref double x3 = ref Unsafe.Add(ref x2, d);
                ref double yStrip = ref Unsafe.Add(ref yBase, c);
                Vector<double> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector<double> c20 = default, c21 = default, c30 = default, c31 = default;
                for (int k = 0; k < d; k++)
                {
                    ref double yk = ref Unsafe.Add(ref yStrip, (nint)k * Block);
                    var b0 = Vector.LoadUnsafe(ref yk);
                    var b1 = Vector.LoadUnsafe(ref yk, (nuint)W);
                    var a = new Vector<double>(Unsafe.Add(ref x0, k));
                    c00 = Vector.FusedMultiplyAdd(a, b0, c00);
                    c01 = Vector.FusedMultiplyAdd(a, b1, c01);
                    a = new Vector<double>(Unsafe.Add(ref x1, k));
                    c10 = Vector.FusedMultiplyAdd(a, b0, c10);
                    c11 = Vector.FusedMultiplyAdd(a, b1, c11);
                    a = new Vector<double>(Unsafe.Add(ref x2, k));
                    c20 = Vector.FusedMultiplyAdd(a, b0, c20);
                    c21 = Vector.FusedMultiplyAdd(a, b1, c21);
                    a = new Vector<double>(Unsafe.Add(ref x3, k));
                    c30 = Vector.FusedMultiplyAdd(a, b0, c30);
                    c31 = Vector.FusedMultiplyAdd(a, b1, c31);
                }
                ref double out0 = ref Unsafe.Add(ref t, (nint)r * Block + c);
                c00.StoreUnsafe(ref out0);
                c01.StoreUnsafe(ref out0, (nuint)W);
                c10.StoreUnsafe(ref out0, (nuint)Block);
                c11.StoreUnsafe(ref out0, (nuint)(Block + W));
                c20.StoreUnsafe(ref out0, (nuint)(2 * Block));
                c21.StoreUnsafe(ref out0, (nuint)(2 * Block + W));
                c30.StoreUnsafe(ref out0, (nuint)(3 * Block));
                c31.StoreUnsafe(ref out0, (nuint)(3 * Block + W));
            }
        }
    }

    static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;
}

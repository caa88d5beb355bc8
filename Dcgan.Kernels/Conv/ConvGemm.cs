// The matrix product behind the fast conv variants (Conv2d<Pass>Variants.cs, versions 2 to 5, 8 and 10):
//
//   C[i, j] (+)= Σ_{ko, ki} A(i, ko, ki) · B(ko, ki, j)      0 ≤ i < M, 0 ≤ j < Ncols
//
// with strided, batch-aware addressing so that one kernel serves all three conv passes without copies:
//   A(i, ko, ki) = a[i·ARow + ko·AKo + ki·AKi]
//   B(ko, ki, j) = b[ko·BKo + ki·BKi + Col(j, BBatch)]
//   C(i, j)      = c[i·CRow + Col(j, CBatch)]          Col(j, batch) = (j / Panel)·batch + j mod Panel
// A column index j therefore walks Panel consecutive elements, then jumps by the operand's batch stride: that is
// how a GEMM column runs over (sample n, output pixel p) of an NCHW tensor. The reduction is split into
// (ko, ki) for the same reason (backward-weight reduces over n and p). GemmShape.Create fills the fields for each
// conv pass (docs/kernels/conv2d.md, "Fast variants").
//
// Kernels: RegisterTile8x16 (generated, ConvGemm.RegisterTile.g.cs; one work-item per 8×16 tile, group size 1:
// the PoCL/CPU winner) and SharedTiled (one thread per C element, TS×TS tiles of A and B staged in shared
// memory: the GPU-style variant), and BlockTiled64/BlockTiled16 (version 8, generated, ConvGemm.BlockTile.g.cs: 2D
// block tiles in shared memory and 8×8 (4×4) outputs per thread, the CUDA SGEMM way), and SplitK128/64/16 (version 10,
// generated, ConvGemm.SplitK.g.cs: version 8's tiles with coalesced staging and split-K; ConvGemm.SplitK.cs). All sum
// in a fixed order in one register per output (no atomics) and either overwrite C or add to it (Accumulate); version
// 10's splits write partial blocks that SplitKReduce adds in split order.
// Legend: i row of C, j column of C, ko/ki outer/inner reduction index, TS tile size.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

/// <summary>Addressing of one C (+)= A·B product; see the header of ConvGemm.cs. Passed by value to kernels.</summary>
public readonly struct GemmShape
{
    public readonly int M, Ncols, Ko, Ki;
    public readonly int ARow, AKo, AKi;
    public readonly int BKo, BKi, BBatch;
    public readonly int CRow, CBatch;
    public readonly int Panel;
    /// <summary>1: C += A·B; 0: C = A·B (C is never read).</summary>
    public readonly int Accumulate;
    /// <summary>
    /// ⌈M / TileRows⌉ for RegisterTile8x16, ⌈M / TS⌉ for SharedTiled, ⌈M / side⌉ for BlockTiled*: the
    /// fastest-varying tile index.
    /// </summary>
    public readonly int RowTiles;
    /// <summary>1 when every tile of TileCols columns is contiguous in both B and C (the fast path is allowed).</summary>
    public readonly int Contiguous;

    GemmShape(int m, int ncols, int ko, int ki, int aRow, int aKo, int aKi, int bKo, int bKi, int bBatch,
        int cRow, int cBatch, int panel, bool accumulate, int rowTile)
    {
        M = m; Ncols = ncols; Ko = ko; Ki = ki;
        ARow = aRow; AKo = aKo; AKi = aKi;
        BKo = bKo; BKi = bKi; BBatch = bBatch;
        CRow = cRow; CBatch = cBatch; Panel = panel;
        Accumulate = accumulate ? 1 : 0;
        RowTiles = (m + rowTile - 1) / rowTile;
        Contiguous = panel % ConvGemm.TileCols == 0 || (bBatch == panel && cBatch == panel) ? 1 : 0;
    }

    /// <summary>
    /// Builds the addressing; rowTile is the kernel's tile height (ConvGemm.TileRows, the shared tile size or the
    /// BlockTiled* block side).
    /// </summary>
    public static GemmShape Create(int m, int ncols, int ko, int ki, int aRow, int aKo, int aKi, int bKo, int bKi,
        int bBatch, int cRow, int cBatch, int panel, bool accumulate, int rowTile) =>
        m <= 0 || ncols <= 0 || ko <= 0 || ki <= 0 || panel <= 0 || rowTile <= 0
            ? throw new ArgumentException($"gemm sizes must be positive: M={m} N={ncols} Ko={ko} Ki={ki} panel={panel}")
            : new GemmShape(m, ncols, ko, ki, aRow, aKo, aKi, bKo, bKi, bBatch, cRow, cBatch, panel, accumulate, rowTile);

    /// <summary>The same product for a kernel of another tile height (RowTiles recomputed).</summary>
    public GemmShape WithRowTile(int rowTile) =>
        new(M, Ncols, Ko, Ki, ARow, AKo, AKi, BKo, BKi, BBatch, CRow, CBatch, Panel, Accumulate != 0, rowTile);

    /// <summary>
    /// Work-items (RegisterTile8x16) or groups (SharedTiled, BlockTiled*) to launch for a tile of rowTile × colTile.
    /// </summary>
    public int Tiles(int colTile) => RowTiles * ((Ncols + colTile - 1) / colTile);
}

public static partial class ConvGemm
{
    /// <summary>Largest tile size SharedTiled supports (its shared memory is sized for it).</summary>
    public const int MaxSharedTile = 16;

    /// <summary>Address offset of GEMM column j in an operand whose panels of Panel columns lie batch apart.</summary>
    static int Col(int j, int panel, int batch) => j / panel * batch + j % panel;

    /// <summary>
    /// Explicitly grouped: group g → tile (g mod RowTiles, g / RowTiles) of TS×TS outputs, TS² threads (1-D group,
    /// thread → row tid / TS, column tid mod TS). Shared memory holds one TS×TS tile of A and one of B
    /// (2·TS² elements; TS ≤ MaxSharedTile). Overwrites or accumulates C (g.Accumulate).
    /// </summary>
    public static void SharedTiled<T>(ArrayView<T> a, ArrayView<T> b, GemmShape g, int ts, ArrayView<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // [0, TS²): A tile, row-major; [TS², 2·TS²): B tile. Static (sized for the largest TS): ILGPU 1.5.3 emits
        // dynamic shared memory as a program-scope variable, which PoCL 3.1 rejects.
        var tileA = SharedMemory.Allocate<T>(2 * MaxSharedTile * MaxSharedTile);
        int tid = Group.IdxX;
        int ty = tid / ts, tx = tid % ts;
        int i = (Grid.IdxX % g.RowTiles) * ts + ty;
        int j = (Grid.IdxX / g.RowTiles) * ts + tx;
        int kTotal = g.Ko * g.Ki;
        int aRow = Math.Min(i, g.M - 1) * g.ARow;
        bool colValid = j < g.Ncols;
        int bColA = 0;  // column offset of the B element this thread loads (its column is j)
        if (colValid)
            bColA = Col(j, g.Panel, g.BBatch);
        T sum = T.Zero;
        for (int k0 = 0; k0 < kTotal; k0 += ts)
        {
            // Each thread stages A(i, k0 + tx) and B(k0 + ty, j); out-of-range elements are zero.
            int ka = k0 + tx;
            T av = T.Zero;
            if (i < g.M && ka < kTotal)
                av = a[aRow + ka / g.Ki * g.AKo + ka % g.Ki * g.AKi];
            tileA[ty * ts + tx] = av;
            int kb = k0 + ty;
            T bv = T.Zero;
            if (colValid && kb < kTotal)
                bv = b[kb / g.Ki * g.BKo + kb % g.Ki * g.BKi + bColA];
            tileA[ts * ts + ty * ts + tx] = bv;
            // Barrier: the whole tile must be staged before anyone reads it.
            Group.Barrier();
            for (int kk = 0; kk < ts; kk++)
                sum += tileA[ty * ts + kk] * tileA[ts * ts + kk * ts + tx];
            // Barrier: everyone must be done reading before the next iteration overwrites the tile.
            Group.Barrier();
        }
        if (i < g.M && colValid)
        {
            int ci = i * g.CRow + Col(j, g.Panel, g.CBatch);
            if (g.Accumulate != 0)
                c[ci] += sum;
            else
                c[ci] = sum;
        }
    }
}

// The panel GEMM behind conv version 6 (Conv2d<Pass>Variants.cs), the PoCL winner:
//
//   C[i, j] (+)= Σ_k A(i, k) · B(k, j)      0 ≤ i < M, 0 ≤ j < N, 0 ≤ k < K
//
// with both operands first copied into panels (zero-padded to whole panels and to Kp = K rounded up to
// PanelUnroll):
//   Ap[(it·Kp + k)·16 + r] = A(it·16 + r, k)        one panel per 16 rows of C: 16 consecutive floats per k
//   Bp[(jt·Kp + k)·16 + l] = B(k, jt·16 + l)        one panel per 16 columns of C: likewise
// so the GEMM kernel (PanelGemm16, generated: ConvGemm.Panel.g.cs) streams both panels of its tile
// sequentially: no strided row walks (which aliased in L1 and missed the TLB in versions 2–5) and no bounds tests
// in the hot loop. The packing costs one pass over each operand; the B pass replaces the im2col copy that
// versions 2–5 make anyway (Im2colPanels writes the panels directly), and A is the small weight matrix (or dY).
//
// Why work-groups of 16 with a barrier inside the k loop: PoCL runs a work-group as a loop over its work-items,
// and a barrier cuts the kernel into regions that each run as such a loop. Between two barriers the 16×16 block of
// B (the same for every work-item) is loaded once into 16 vector registers, and each work-item's 16 accumulators
// (one per column of the tile) are one 16-wide vector, updated by a multiply with its A value broadcast and an add
// per k. Measured on a 1024×… GEMM (docs/benchmarks.md, version 6): 150–260 GFLOP/s, against 52–64 for the
// straight-line 8×16 tile of versions 2–5, whose scalar code LLVM's SLP vectoriser packed into mixed 2- and 4-wide
// pieces. Until 2026-12-05 the work-items owned columns and the vector ran down a column of C (A's panel as the
// vector, B broadcast): the same arithmetic, but every C a conv passes is contiguous along its columns, so the
// epilogue wrote 16 rows one float at a time; owning rows, it writes 16 neighbours (docs/kernels/conv2d.md, "The panel
// GEMM's tile turned").
//
// C's addressing is GemmShape's: C(i, j) = c[i·CRow + (j / Panel)·CBatch + j mod Panel].
// Legend: i row of C, j column of C, k reduction index, it/jt row/column panel, r/l row/lane within a panel.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

/// <summary>Sizes of one panel GEMM and the addressing of its C; see the header of ConvGemm.Panel.cs.</summary>
public readonly struct PanelGemmShape
{
    public readonly int M, N, K;
    /// <summary>K rounded up to a multiple of ConvGemm.PanelUnroll: the packed panels' length.</summary>
    public readonly int Kp;
    /// <summary>⌈M / PanelRows⌉ and ⌈N / PanelLanes⌉: the panels of A and of B.</summary>
    public readonly int RowTiles, ColTiles;
    public readonly int CRow, CBatch, Panel;
    /// <summary>1: C += A·B; 0: C = A·B.</summary>
    public readonly int Accumulate;

    PanelGemmShape(int m, int n, int k, int cRow, int cBatch, int panel, bool accumulate)
    {
        M = m; N = n; K = k;
        Kp = (k + ConvGemm.PanelUnroll - 1) / ConvGemm.PanelUnroll * ConvGemm.PanelUnroll;
        RowTiles = (m + ConvGemm.PanelRows - 1) / ConvGemm.PanelRows;
        ColTiles = (n + ConvGemm.PanelLanes - 1) / ConvGemm.PanelLanes;
        CRow = cRow; CBatch = cBatch; Panel = panel;
        Accumulate = accumulate ? 1 : 0;
    }

    /// <summary>C(i, j) at c[i·cRow + (j / panel)·cBatch + j mod panel]; panel = int.MaxValue for a plain matrix.</summary>
    public static PanelGemmShape Create(int m, int n, int k, int cRow, int cBatch, int panel, bool accumulate) =>
        m <= 0 || n <= 0 || k <= 0 || panel <= 0
            ? throw new ArgumentException($"panel gemm sizes must be positive: M={m} N={n} K={k} panel={panel}")
            : new PanelGemmShape(m, n, k, cRow, cBatch, panel, accumulate);

    /// <summary>Elements of the packed A (RowTiles panels of Kp × PanelRows).</summary>
    public long PackedALength => (long)RowTiles * Kp * ConvGemm.PanelRows;

    /// <summary>Elements of the packed B (ColTiles panels of Kp × PanelLanes).</summary>
    public long PackedBLength => (long)ColTiles * Kp * ConvGemm.PanelLanes;

    /// <summary>Work-groups of PanelRows work-items to launch.</summary>
    public int Groups => RowTiles * ColTiles;

    /// <summary>How to pack A (rows of C across the panel) from a strided source.</summary>
    public PackShape PackA(int iStride, int kStride, int iPanel = int.MaxValue, int iBatch = 0,
        int kPanel = int.MaxValue, int kBatch = 0) =>
        new(M, K, Kp, iStride, iPanel, iBatch, kStride, kPanel, kBatch);

    /// <summary>How to pack B (columns of C across the panel) from a strided source.</summary>
    public PackShape PackB(int jStride, int kStride, int jPanel = int.MaxValue, int jBatch = 0,
        int kPanel = int.MaxValue, int kBatch = 0) =>
        new(N, K, Kp, jStride, jPanel, jBatch, kStride, kPanel, kBatch);
}

/// <summary>
/// A strided operand to pack into 16-wide panels: element (i, k), i across the panel (a row of A or a column of
/// B), at src[(i / IPanel)·IBatch + (i mod IPanel)·IStride + (k / KPanel)·KBatch + (k mod KPanel)·KStride].
/// The Panel/Batch pairs let i or k run over (sample, pixel) of an NCHW tensor; int.MaxValue means "no batch".
/// </summary>
public readonly struct PackShape(int extent, int k, int kp, int iStride, int iPanel, int iBatch, int kStride,
    int kPanel, int kBatch)
{
    public readonly int Extent = extent, K = k, Kp = kp;
    public readonly int IStride = iStride, IPanel = iPanel, IBatch = iBatch;
    public readonly int KStride = kStride, KPanel = kPanel, KBatch = kBatch;

    /// <summary>Elements of the packed operand: whole 16-wide panels of Kp.</summary>
    public long Length => (long)((Extent + ConvGemm.PanelLanes - 1) / ConvGemm.PanelLanes) * Kp * ConvGemm.PanelLanes;
}

/// <summary>Which packer copies a PackShape: ConvGemm.PackBlockKind's answer.</summary>
public enum PackKind { Rows, BlocksKContiguous, BlocksIContiguous, EdgeBlocksKContiguous, EdgeBlocksIContiguous }

public static partial class ConvGemm
{
    /// <summary>
    /// The block packers (ConvGemm.PanelPack.g.cs) apply when every 16×16 block lies inside one source panel (IPanel
    /// and KPanel multiples of 16, or none), Kp is K rounded up to 16, and one stride is 1: the plain ones when every
    /// block is full (Extent and K multiples of 16), the Edge ones (zeros past Extent and K) otherwise. Any other
    /// shape goes to PackPanels (Rows), one 16-lane row per work-item.
    /// </summary>
    public static PackKind PackBlockKind(PackShape p)
    {
        bool blocks = p.Kp == (p.K + PanelLanes - 1) / PanelLanes * PanelLanes
            && (p.IPanel == int.MaxValue || p.IPanel % PanelLanes == 0)
            && (p.KPanel == int.MaxValue || p.KPanel % PanelLanes == 0);
        bool full = p.Extent % PanelLanes == 0 && p.K % PanelLanes == 0;
        return !blocks ? PackKind.Rows
            : p.KStride == 1 ? (full ? PackKind.BlocksKContiguous : PackKind.EdgeBlocksKContiguous)
            : p.IStride == 1 ? (full ? PackKind.BlocksIContiguous : PackKind.EdgeBlocksIContiguous)
            : PackKind.Rows;
    }

    /// <summary>
    /// One thread per packed row q = t·Kp + k (panel t, reduction index k): dst[q·16 + l] = element (t·16 + l, k)
    /// of the source for the 16 lanes l, 0 beyond Extent or K. The lanes walk i with running indices, so the
    /// divisions are paid once per 16 elements (per element they made packing cost more than the GEMM).
    /// Overwrites dst.
    /// </summary>
    public static void PackPanels<T>(Index1D q, ArrayView<T> src, PackShape p, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = q.X;
        int k = row % p.Kp, t = row / p.Kp;
        int i = t * PanelLanes;
        int o = row * PanelLanes;
        int lanes = k < p.K ? Math.Min(PanelLanes, p.Extent - i) : 0;
        int kOffset = k / p.KPanel * p.KBatch + k % p.KPanel * p.KStride;
        int iq = i / p.IPanel, ir = i % p.IPanel;
        for (int l = 0; l < PanelLanes; l++)
        {
            T v = T.Zero;
            if (l < lanes)
                v = src[iq * p.IBatch + ir * p.IStride + kOffset];
            dst[o + l] = v;
            ir++;
            if (ir == p.IPanel)
            {
                ir = 0;
                iq++;
            }
        }
    }
}

// Conv2d forward, numbered variants (benchmarked by `dcgan bench kernels --op conv2d-forward`; the production
// choice per backend is the table in Dcgan.Nn/Ops/Conv2d.cs).
//
//   y[n,oc,oh,ow] = Σ_{ic,kh,kw} x[n,ic,oh·s−p+kh, ow·s−p+kw] · w[oc,ic,kh,kw]       (y overwritten)
//
// Versions:
//   1  naive: one thread per y element, whole dot product in a register (Conv2dKernels.Forward, kept as the
//      on-device reference forever).
//   2  im2col into a workspace, then Y_n[OC, P] = W[OC, C·K²] · col[C·K², P] with the straight-line 8×16
//      register-tile GEMM (ConvGemm.RegisterTile8x16, group size 1): vectorised by PoCL. Batch in chunks.
//   3  same im2col, GEMM with TS×TS shared-memory tiles (ConvGemm.SharedTiled): the GPU-style variant.
//   4  version 2 with the GEMM run by ConvGemm.FastTile8x16 (the fast path alone: one flat k loop, no clamps or
//      guards) where every tile is full and contiguous; version 2's kernel otherwise.
//   5  version 4 with col's row stride padded from cn·P to cn·P + 16 floats when cn·P is a multiple of 256 (the
//      big layers): the 16-column B strip of a tile (one 64-byte line per k) then hit the same L1 sets (4 KiB
//      aliasing); the pad spreads them (Conv2dOps.Pad).
//   6  panel GEMM: im2col written straight into 16-column panels (Im2colPixelPanels), the weights packed into
//      16-row panels (ConvGemm.PackPanels), then ConvGemm.PanelGemm16 (work-groups of 16 with a barrier per
//      16 k-steps, each work-item's 16 accumulators one 16-wide vector; ConvGemm.Panel.cs).
//   8  version 3's im2col, GEMM with 2D block tiles (ConvGemm.BlockTiled64: 64×64 blocks of Y per group, 16-deep
//      slices of W and col in shared memory, 8×8 outputs per thread in registers): the CUDA SGEMM way. Untimed.
//   10 version 8 with ConvGemm.SplitK128/64 (coalesced staging: W along k, col along its columns; 128×128 blocks
//      where Y is that big; split-K with SplitKReduce) and the whole batch's col staged at once. Untimed.
//
// The im2col layout (versions 2 and 3), for the cn samples of one chunk starting at sample n0 (x is viewed from
// n0): col[(ic·K + kh)·K + kw, nl·P + oh·OW + ow] = x[n0+nl, ic, oh·s−p+kh, ow·s−p+kw] (0 in the padding),
// P = OH·OW. GEMM columns run over (nl, p), so one launch covers the chunk.
// Legend: n/nl batch (absolute/in chunk), ic input channel, oc output channel, oh/ow output pixel, kh/kw tap,
// s stride, p padding, P = OH·OW; sizes in ConvShape. Derivation: docs/kernels/conv2d.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

public static class Conv2dForwardVariants
{
    /// <summary>
    /// One thread per col element (i over C·K² × ld, row-major; row stride ld ≥ cn·P, version 5 pads it): col =
    /// im2col of the cn samples of x (x viewed from the chunk's first sample); the ld − cn·P pad columns get 0.
    /// Overwrites col.
    /// </summary>
    public static void Im2col<T>(Index1D i, ArrayView<T> x, ConvShape s, int cn, int ld, ArrayView<T> col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int idx = i.X;
        int p = s.OH * s.OW;
        int row = idx / ld, j = idx - row * ld;
        int nl = j / p, pix = j - nl * p;
        int oh = pix / s.OW, ow = pix - oh * s.OW;
        int kw = row % s.K;
        int t = row / s.K;
        int kh = t % s.K, ic = t / s.K;
        int ih = oh * s.Stride - s.Pad + kh, iw = ow * s.Stride - s.Pad + kw;
        T v = T.Zero;
        if (nl < cn && ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
            v = x[((nl * s.C + ic) * s.H + ih) * s.W + iw];
        col[idx] = v;
    }

    /// <summary>
    /// Version 6, forward's B: im2col of the chunk's cn samples written as 16-column panels (ConvGemm.Panel.cs:
    /// element (i, k) = col[k, i], i = nl·P + oh·OW + ow across the panel, k = the tap (ic·K + kh)·K + kw). One
    /// thread per (sample nl, k) — q = nl·kp + k, so neighbouring threads fill neighbouring 64-byte lines — walking
    /// all P pixels of the sample. Each output row is cut into runs that stay inside one panel; a run is a zero
    /// fill, a plain strided copy (the ow range with 0 ≤ iw &lt; W is computed once per thread) and a zero fill,
    /// with no test per element, so LLVM vectorises the copy (2.7–3.5× the per-element version on 64px D2/D3).
    /// Rows k ≥ C·K² (the k padding) and columns ≥ cn·P (the last panel's padding) are written as 0. Launch
    /// cn·kp threads, plus kp more when cn·P is not a multiple of 16 (they zero the last panel's tail).
    /// Overwrites dst.
    /// </summary>
    public static void Im2colPixelPanels<T>(Index1D q, ArrayView<T> x, ConvShape s, int cn, int kp, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int lanes = ConvGemm.PanelLanes;
        int k = q.X % kp, nl = q.X / kp;
        int p = s.OH * s.OW;
        int i = nl * p;
        int t = i / lanes, l = i - t * lanes;
        if (nl >= cn)
        {
            // Tail thread: zero the lanes of the last panel past cn·P.
            for (int z = l; z < lanes; z++)
                dst[(t * kp + k) * lanes + z] = T.Zero;
            return;
        }
        bool tap = k < s.C * s.K * s.K;
        int kw = k % s.K;
        int kh = k / s.K % s.K, ic = k / (s.K * s.K);
        int xPlane = (nl * s.C + ic) * s.H * s.W;
        int o = (t * kp + k) * lanes + l;
        int panelStride = (kp - 1) * lanes;   // from lane 15 of a panel to lane 0 of the next
        // Output columns ow whose input column iw = iw0 + ow·s lies in [0, W): [owLo, owHi).
        int iw0 = kw - s.Pad;
        int owLo = iw0 < 0 ? (s.Stride - 1 - iw0) / s.Stride : 0;
        int span = s.W - 1 - iw0;
        int owHi = span < 0 ? 0 : Math.Min(s.OW, span / s.Stride + 1);
        for (int oh = 0; oh < s.OH; oh++)
        {
            int ih = oh * s.Stride - s.Pad + kh;
            bool rowIn = tap && ih >= 0 && ih < s.H;
            int xRow = xPlane + ih * s.W + iw0;
            int ow = 0;
            while (ow < s.OW)
            {
                // One run: pixels [ow, end) of this row that fall in the current panel.
                int end = ow + Math.Min(lanes - l, s.OW - ow);
                int lo = rowIn ? Math.Min(Math.Max(owLo, ow), end) : end;
                int hi = rowIn ? Math.Max(Math.Min(owHi, end), lo) : end;
                int d = o - ow;   // dst index of pixel w of the run is d + w
                for (int w = ow; w < lo; w++)
                    dst[d + w] = T.Zero;
                if (s.Stride == 2)
                {
                    // The DCGAN case, with the stride a literal so the copy vectorises as an interleaved load.
                    for (int w = lo; w < hi; w++)
                        dst[d + w] = x[xRow + 2 * w];
                }
                else
                {
                    for (int w = lo; w < hi; w++)
                        dst[d + w] = x[xRow + s.Stride * w];
                }
                for (int w = hi; w < end; w++)
                    dst[d + w] = T.Zero;
                o += end - ow;
                l += end - ow;
                ow = end;
                if (l == lanes)
                {
                    l = 0;
                    o += panelStride;
                }
            }
        }
    }

    /// <summary>
    /// GEMM addressing of version 2/3 for one chunk: A = w [OC, C·K²], B = col [C·K², cn·P], C = y viewed from the
    /// chunk's first sample ([cn, OC, P]: column (nl, p) at nl·OC·P + p, row oc at oc·P).
    /// </summary>
    public static GemmShape Gemm(ConvShape s, int cn, int rowTile) => Gemm(s, cn, cn * s.OH * s.OW, rowTile);

    /// <summary>As <see cref="Gemm(ConvShape, int, int)"/>, with col's row stride ld (version 5 pads it).</summary>
    public static GemmShape Gemm(ConvShape s, int cn, int ld, int rowTile)
    {
        int p = s.OH * s.OW, ckk = s.C * s.K * s.K;
        return GemmShape.Create(m: s.OC, ncols: cn * p, ko: 1, ki: ckk,
            aRow: ckk, aKo: 0, aKi: 1,
            bKo: 0, bKi: ld, bBatch: p,
            cRow: p, cBatch: s.OC * p, panel: p, accumulate: false, rowTile: rowTile);
    }

    /// <summary>
    /// Version 6 for one chunk: A = w [OC, C·K²] (packed), B = im2col panels, C = y viewed from the chunk's first
    /// sample ([cn, OC, P]).
    /// </summary>
    public static PanelGemmShape PanelGemm(ConvShape s, int cn)
    {
        int p = s.OH * s.OW;
        return PanelGemmShape.Create(m: s.OC, n: cn * p, k: s.C * s.K * s.K, cRow: p, cBatch: s.OC * p, panel: p,
            accumulate: false);
    }
}

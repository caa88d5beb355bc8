// Conv2d backward-data (the input gradient), numbered variants (benchmarked by `dcgan bench kernels
// --op conv2d-backward-data`; the production choice per backend is the table in Dcgan.Nn/Ops/Conv2d.cs).
// ConvTranspose2d's FORWARD is this pass (Dcgan.Nn/Ops/ConvTranspose2d.cs).
//
//   dX[n,ic,ih,iw] = Σ_{oc,kh,kw} dY[n,oc,oh,ow] · w[oc,ic,kh,kw]   over oh·s−p+kh = ih, ow·s−p+kw = iw
//                                                                     (dX overwritten)
// Versions:
//   1  naive: one thread per dX element, gathering over (oc, kh, kw) (Conv2dKernels.BackwardData, kept as the
//      on-device reference forever).
//   2  colGrad[C·K², cn·P] = Wᵀ · dY_chunk with the 8×16 register-tile GEMM (ConvGemm.RegisterTile8x16), then a
//      deterministic gather col2im (one thread per dX element, no atomics). Batch in chunks.
//   3  same, GEMM with shared-memory tiles (ConvGemm.SharedTiled): the GPU-style variant.
//   4  version 2 with the GEMM run by ConvGemm.FastTile8x16 (the fast path alone: one flat k loop, no clamps or
//      guards) where every tile is full and contiguous; version 2's kernel otherwise.
//   5  version 4 with colGrad's row stride padded from cn·P to cn·P + 16 floats when cn·P is a multiple of 256
//      (no 4 KiB aliasing of C's rows; Conv2dOps.Pad).
//   6  panel GEMM: Wᵀ and the chunk of dY packed into panels (ConvGemm.PackPanels), colGrad = ConvGemm.PanelGemm16
//      (ConvGemm.Panel.cs), then Col2imRows (one thread per dX row, one strided pass per tap).
//   8  version 3 with the GEMM run by ConvGemm.BlockTiled64 (64×64 blocks of colGrad per group, 16-deep slices in
//      shared memory, 8×8 outputs per thread in registers): the CUDA SGEMM way. Untimed.
//   10 version 8 with ConvGemm.SplitK128/64 (coalesced staging: Wᵀ along i, dY along its columns; 128×128 blocks
//      where colGrad is that big; split-K with SplitKReduce) and the whole batch's colGrad at once. Untimed.
//
// colGrad has im2col's layout (Conv2dForwardVariants): row (ic·K + kh)·K + kw, column nl·P + oh·OW + ow.
// Legend: n/nl batch (absolute/in chunk), ic input channel, oc output channel, ih/iw input pixel, oh/ow output
// pixel, kh/kw tap, s stride, p padding, P = OH·OW; sizes in ConvShape. Derivation: docs/kernels/conv2d.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

public static class Conv2dBackwardDataVariants
{
    /// <summary>
    /// One thread per dX element of the chunk (dX viewed from its first sample, NCHW order): the sum of the colGrad
    /// entries that im2col would have copied this element into, in (kh, kw) order. Overwrites dX.
    /// </summary>
    public static void Col2im<T>(Index1D i, ArrayView<T> colGrad, ConvShape s, int cn, int ld, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int idx = i.X;
        int iw = idx % s.W;
        int t = idx / s.W;
        int ih = t % s.H;
        t /= s.H;
        int ic = t % s.C;
        int nl = t / s.C;
        int p = s.OH * s.OW;
        int colsPerRow = ld; // row stride of colGrad (≥ cn·P; version 5 pads it)
        T sum = T.Zero;
        for (int kh = 0; kh < s.K; kh++)
        {
            // Same tap test as Conv2dKernels.BackwardData: sign first, then divisibility, then range.
            int ohs = ih + s.Pad - kh;
            if (ohs < 0 || ohs % s.Stride != 0)
                continue;
            int oh = ohs / s.Stride;
            if (oh >= s.OH)
                continue;
            for (int kw = 0; kw < s.K; kw++)
            {
                int ows = iw + s.Pad - kw;
                if (ows < 0 || ows % s.Stride != 0)
                    continue;
                int ow = ows / s.Stride;
                if (ow >= s.OW)
                    continue;
                sum += colGrad[((ic * s.K + kh) * s.K + kw) * colsPerRow + nl * p + oh * s.OW + ow];
            }
        }
        dX[idx] = sum;
    }

    /// <summary>
    /// Version 6's col2im: one thread per dX row (nl, ic, ih) of the chunk (q = (nl·C + ic)·H + ih). The row is
    /// zeroed, then each tap (kh, kw) that lands on it adds its colGrad row segment in one pass: only kh ≡ ih + p
    /// (mod s) land on row ih (kh starts at (ih + p) mod s and steps by s while oh steps down by one), and tap kw
    /// covers iw = ow·s − p + kw for the ow range computed up front, so the inner loop is a plain strided add with
    /// no test (LLVM vectorises it; 3–4× the per-element gather it replaced). Every dX element still receives its
    /// taps in (kh, kw) order starting from 0, as in Col2im: the same colGrad gives bitwise the same dX.
    /// Overwrites dX.
    /// </summary>
    public static void Col2imRows<T>(Index1D q, ArrayView<T> colGrad, ConvShape s, int cn, int ld, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ih = q.X % s.H;
        int t = q.X / s.H;
        int ic = t % s.C, nl = t / s.C;
        int p = s.OH * s.OW;
        int o = q.X * s.W;
        for (int iw = 0; iw < s.W; iw++)
            dX[o + iw] = T.Zero;
        int oh = (ih + s.Pad) / s.Stride;
        for (int kh = (ih + s.Pad) % s.Stride; kh < s.K; kh += s.Stride)
        {
            if (oh >= 0 && oh < s.OH)
            {
                int rowBase = (ic * s.K + kh) * s.K * ld + nl * p + oh * s.OW;
                for (int kw = 0; kw < s.K; kw++)
                {
                    // Tap kw writes iw = iw0 + ow·s; keep the ow with 0 ≤ iw < W.
                    int iw0 = kw - s.Pad;
                    int owLo = iw0 < 0 ? (s.Stride - 1 - iw0) / s.Stride : 0;
                    int span = s.W - 1 - iw0;
                    int owHi = span < 0 ? 0 : Math.Min(s.OW, span / s.Stride + 1);
                    int src = rowBase + kw * ld;
                    int d = o + iw0 + owLo * s.Stride;
                    if (s.Stride == 2)
                    {
                        // The DCGAN case, with the stride a literal so the loop vectorises as an interleaved access.
                        for (int ow = owLo; ow < owHi; ow++)
                            dX[d + 2 * (ow - owLo)] += colGrad[src + ow];
                    }
                    else
                    {
                        for (int ow = owLo; ow < owHi; ow++)
                        {
                            dX[d] += colGrad[src + ow];
                            d += s.Stride;
                        }
                    }
                }
            }
            oh--;
        }
    }

    /// <summary>
    /// GEMM addressing of version 2/3 for one chunk: A = Wᵀ (w [OC, C·K²] read transposed), B = dY viewed from the
    /// chunk's first sample ([cn, OC, P]), C = colGrad [C·K², cn·P].
    /// </summary>
    public static GemmShape Gemm(ConvShape s, int cn, int rowTile) => Gemm(s, cn, cn * s.OH * s.OW, rowTile);

    /// <summary>As <see cref="Gemm(ConvShape, int, int)"/>, with colGrad's row stride ld (version 5 pads it).</summary>
    public static GemmShape Gemm(ConvShape s, int cn, int ld, int rowTile)
    {
        int p = s.OH * s.OW, ckk = s.C * s.K * s.K;
        return GemmShape.Create(m: ckk, ncols: cn * p, ko: 1, ki: s.OC,
            aRow: 1, aKo: 0, aKi: ckk,
            bKo: 0, bKi: p, bBatch: s.OC * p,
            cRow: ld, cBatch: p, panel: p, accumulate: false, rowTile: rowTile);
    }

    /// <summary>
    /// Version 6 for one chunk: A = Wᵀ (A(ckk, oc) = w[oc·C·K² + ckk]), B = dY of the chunk (B(oc, (nl, p)) =
    /// dY[nl·OC·P + oc·P + p]), C = colGrad [C·K², ld].
    /// </summary>
    public static PanelGemmShape PanelGemm(ConvShape s, int cn, int ld)
    {
        int p = s.OH * s.OW;
        return PanelGemmShape.Create(m: s.C * s.K * s.K, n: cn * p, k: s.OC, cRow: ld, cBatch: 0, panel: int.MaxValue,
            accumulate: false);
    }

    /// <summary>Version 6's packing of A = Wᵀ from w [OC, C·K²].</summary>
    public static PackShape PackWeightsTransposed(ConvShape s, PanelGemmShape g) =>
        g.PackA(iStride: 1, kStride: s.C * s.K * s.K);

    /// <summary>Version 6's packing of B = the chunk of dY ([cn, OC, P]; k = oc, j = (nl, p)).</summary>
    public static PackShape PackOutputGrad(ConvShape s, PanelGemmShape g)
    {
        int p = s.OH * s.OW;
        return g.PackB(jStride: 1, kStride: p, jPanel: p, jBatch: s.OC * p);
    }
}

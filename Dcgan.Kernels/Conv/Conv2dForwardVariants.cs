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
}

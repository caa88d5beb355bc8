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
    /// One thread per col element (i over C·K² × cn·P, row-major): col = im2col of the cn samples of x
    /// (x viewed from the chunk's first sample). Overwrites col.
    /// </summary>
    public static void Im2col<T>(Index1D i, ArrayView<T> x, ConvShape s, int cn, ArrayView<T> col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int idx = i.X;
        int p = s.OH * s.OW;
        int colsPerRow = cn * p;
        int row = idx / colsPerRow, j = idx - row * colsPerRow;
        int nl = j / p, pix = j - nl * p;
        int oh = pix / s.OW, ow = pix - oh * s.OW;
        int kw = row % s.K;
        int t = row / s.K;
        int kh = t % s.K, ic = t / s.K;
        int ih = oh * s.Stride - s.Pad + kh, iw = ow * s.Stride - s.Pad + kw;
        T v = T.Zero;
        if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
            v = x[((nl * s.C + ic) * s.H + ih) * s.W + iw];
        col[idx] = v;
    }

    /// <summary>
    /// GEMM addressing of version 2/3 for one chunk: A = w [OC, C·K²], B = col [C·K², cn·P], C = y viewed from the
    /// chunk's first sample ([cn, OC, P]: column (nl, p) at nl·OC·P + p, row oc at oc·P).
    /// </summary>
    public static GemmShape Gemm(ConvShape s, int cn, int rowTile)
    {
        int p = s.OH * s.OW, ckk = s.C * s.K * s.K;
        return GemmShape.Create(m: s.OC, ncols: cn * p, ko: 1, ki: ckk,
            aRow: ckk, aKo: 0, aKi: 1,
            bKo: 0, bKi: cn * p, bBatch: p,
            cRow: p, cBatch: s.OC * p, panel: p, accumulate: false, rowTile: rowTile);
    }
}

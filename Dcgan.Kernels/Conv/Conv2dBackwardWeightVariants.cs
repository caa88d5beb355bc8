// Conv2d backward-weight (the weight gradient), numbered variants (benchmarked by `dcgan bench kernels
// --op conv2d-backward-weight`; the production choice per backend is the table in Dcgan.Nn/Ops/Conv2d.cs).
// ConvTranspose2d's weight gradient is this pass with x and dY swapped (Dcgan.Nn/Ops/ConvTranspose2d.cs).
//
//   dW[oc,ic,kh,kw] += Σ_{n,oh,ow} dY[n,oc,oh,ow] · x[n,ic,oh·s−p+kh, ow·s−p+kw]     (dW ACCUMULATES)
//
// Versions:
//   1  naive: one thread per dW element, summing over (n, oh, ow) (Conv2dKernels.BackwardWeight, kept as the
//      on-device reference forever).
//   2  transposed im2col colT[cn·P, C·K²] of a chunk of samples, then dW[OC, C·K²] += dY_chunk · colT with the
//      8×16 register-tile GEMM (ConvGemm.RegisterTile8x16), reducing over (nl, p). Chunks run in order, each
//      adding its partial sums to dW: deterministic, no atomics.
//   3  same, GEMM with shared-memory tiles (ConvGemm.SharedTiled): the GPU-style variant.
//   4  version 2 with dY_chunk first transposed to dYt[OC, cn·P] (TransposeOutputGrad), so the reduction over
//      (nl, p) is one flat loop, and the GEMM run by ConvGemm.FastTile8x16 (fast path only) where every tile is
//      full; version 2's kernel otherwise.
//   5  version 4 with colT's row stride padded from C·K² to C·K² + 16 floats when C·K² is a multiple of 256
//      (C·K² = 16·C is a power of two on the DCGAN layers: the B strip's lines aliased in L1; Conv2dOps.Pad).
//   6  panel GEMM: dY of the chunk packed into 16-row panels (ConvGemm.PackPanels, reduction over (nl, p)), colT
//      written straight into panels (Im2colTapPanels), dW += ConvGemm.PanelGemm16.
//   8  version 3 with the GEMM run by ConvGemm.BlockTiled64 (64×64 blocks of dW per group, 16-deep slices of
//      (nl, p) in shared memory, 8×8 outputs per thread in registers; the (ko, ki) = (nl, p) split walked by a
//      counter, no dY transpose): the CUDA SGEMM way. Untimed.
//   10 version 8 with ConvGemm.SplitK128/64 (coalesced staging: dY along (nl, p), colT along its columns; split-K
//      over (nl, p), the splits' partial dW summed in order by SplitKReduce and added to dW). Untimed.
//
// colT layout: colT[nl·P + oh·OW + ow, (ic·K + kh)·K + kw] = x[n0+nl, ic, oh·s−p+kh, ow·s−p+kw] (0 in the padding)
// — rows are output pixels, so the GEMM's 16 contiguous columns are 16 consecutive dW entries.
// Legend: n/nl batch (absolute/in chunk), ic input channel, oc output channel, oh/ow output pixel, kh/kw tap,
// s stride, p padding, P = OH·OW; sizes in ConvShape. Derivation: docs/kernels/conv2d.md.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

public static class Conv2dBackwardWeightVariants
{
    /// <summary>
    /// One thread per colT element (i over cn·P × C·K², row-major): the transposed im2col of the chunk's cn samples
    /// (x viewed from the chunk's first sample). Overwrites colT.
    /// </summary>
    public static void Im2colTransposed<T>(Index1D i, ArrayView<T> x, ConvShape s, int cn, int ld, ArrayView<T> colT)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // ld: colT's row stride (≥ C·K²; version 5 pads it); the pad columns get 0.
        int idx = i.X;
        int ckk = s.C * s.K * s.K;
        int row = idx / ld, r = idx - row * ld;
        int p = s.OH * s.OW;
        int nl = row / p, pix = row - nl * p;
        int oh = pix / s.OW, ow = pix - oh * s.OW;
        int kw = r % s.K;
        int t = r / s.K;
        int kh = t % s.K, ic = t / s.K;
        int ih = oh * s.Stride - s.Pad + kh, iw = ow * s.Stride - s.Pad + kw;
        T v = T.Zero;
        if (r < ckk && ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
            v = x[((nl * s.C + ic) * s.H + ih) * s.W + iw];
        colT[idx] = v;
    }

    /// <summary>
    /// Version 6, backward-weight's B: im2col of the chunk's cn samples written as 16-row panels across taps
    /// (element (i, k) = col[i, k]: i = the tap (ic·K + kh)·K + kw across the panel, k = nl·P + oh·OW + ow). One
    /// thread per (panel t, sample nl, output row oh) — q = (t·cn + nl)·OH + oh — filling that row's OW·16
    /// consecutive floats one lane (tap) at a time: per tap, the ow range whose input column lies in [0, W) is
    /// computed once, so each lane is a zero fill, a strided copy and a zero fill with no test per element (1.6–3.3×
    /// the per-element version on the 64px layers). Taps ≥ C·K² are 0; the k padding past cn·P is zeroed by the
    /// threads with nl = cn (launch ⌈C·K²/16⌉·(cn + 1)·OH threads). Overwrites dst.
    /// </summary>
    public static void Im2colTapPanels<T>(Index1D q, ArrayView<T> x, ConvShape s, int cn, int kp, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int lanes = ConvGemm.PanelLanes;
        int oh = q.X % s.OH;
        int rest = q.X / s.OH;
        int nl = rest % (cn + 1), t = rest / (cn + 1);
        int p = s.OH * s.OW;
        if (nl == cn)
        {
            // Padding thread (one per panel, the oh = 0 one): zero rows k in [cn·P, kp).
            if (oh == 0)
                for (int z = (t * kp + cn * p) * lanes; z < (t + 1) * kp * lanes; z++)
                    dst[z] = T.Zero;
            return;
        }
        int ckk = s.C * s.K * s.K;
        int tap0 = t * lanes;
        int kw = tap0 % s.K, kh = tap0 / s.K % s.K, ic = tap0 / (s.K * s.K);
        int o = (t * kp + nl * p + oh * s.OW) * lanes;
        int ihBase = oh * s.Stride - s.Pad;
        int sampleBase = nl * s.C * s.H * s.W;
        for (int l = 0; l < lanes; l++)
        {
            int ih = ihBase + kh;
            // Output columns ow whose input column iw = iw0 + ow·s lies in [0, W): [owLo, owHi); none off the image.
            int iw0 = kw - s.Pad;
            int owLo = iw0 < 0 ? (s.Stride - 1 - iw0) / s.Stride : 0;
            int span = s.W - 1 - iw0;
            int owHi = span < 0 ? 0 : Math.Min(s.OW, span / s.Stride + 1);
            if (tap0 + l >= ckk || ih < 0 || ih >= s.H)
            {
                owLo = s.OW;
                owHi = s.OW;
            }
            int xRow = sampleBase + (ic * s.H + ih) * s.W + iw0;
            int d = o + l;
            for (int ow = 0; ow < owLo; ow++)
                dst[d + ow * lanes] = T.Zero;
            if (s.Stride == 2)
            {
                for (int ow = owLo; ow < owHi; ow++)
                    dst[d + ow * lanes] = x[xRow + 2 * ow];
            }
            else
            {
                for (int ow = owLo; ow < owHi; ow++)
                    dst[d + ow * lanes] = x[xRow + s.Stride * ow];
            }
            for (int ow = owHi; ow < s.OW; ow++)
                dst[d + ow * lanes] = T.Zero;
            // Next lane: the next tap.
            kw++;
            if (kw == s.K)
            {
                kw = 0;
                kh++;
                if (kh == s.K)
                {
                    kh = 0;
                    ic++;
                }
            }
        }
    }

    /// <summary>
    /// Version 4: one thread per dYt element (i over OC × cn·P, row-major): dYt[oc, nl·P + p] = dY[n0+nl, oc, p]
    /// (dY viewed from the chunk's first sample). Overwrites dYt.
    /// </summary>
    public static void TransposeOutputGrad<T>(Index1D i, ArrayView<T> dY, ConvShape s, int cn, ArrayView<T> dYt)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int idx = i.X;
        int p = s.OH * s.OW;
        int cols = cn * p;
        int oc = idx / cols, j = idx - oc * cols;
        int nl = j / p, pix = j - nl * p;
        dYt[idx] = dY[(nl * s.OC + oc) * p + pix];
    }

    /// <summary>
    /// GEMM addressing of version 4 for one chunk: A = dYt [OC, cn·P], B = colT [cn·P, C·K²], C = dW [OC, C·K²],
    /// accumulated; one flat reduction over cn·P.
    /// </summary>
    public static GemmShape GemmTransposed(ConvShape s, int cn, int ld, int rowTile)
    {
        int p = s.OH * s.OW, ckk = s.C * s.K * s.K;
        return GemmShape.Create(m: s.OC, ncols: ckk, ko: 1, ki: cn * p,
            aRow: cn * p, aKo: 0, aKi: 1,
            bKo: 0, bKi: ld, bBatch: ckk,
            cRow: ckk, cBatch: ckk, panel: ckk, accumulate: true, rowTile: rowTile);
    }

    /// <summary>
    /// GEMM addressing of version 2/3 for one chunk: A = dY viewed from the chunk's first sample (A(oc, nl, p) at
    /// nl·OC·P + oc·P + p), B = colT [cn·P, C·K²], C = dW [OC, C·K²], accumulated.
    /// </summary>
    public static GemmShape Gemm(ConvShape s, int cn, int rowTile)
    {
        int p = s.OH * s.OW, ckk = s.C * s.K * s.K;
        return GemmShape.Create(m: s.OC, ncols: ckk, ko: cn, ki: p,
            aRow: p, aKo: s.OC * p, aKi: 1,
            bKo: p * ckk, bKi: ckk, bBatch: ckk,
            cRow: ckk, cBatch: ckk, panel: ckk, accumulate: true, rowTile: rowTile);
    }

    /// <summary>
    /// Version 6 for one chunk: A = dY of the chunk (A(oc, (nl, p)) = dY[nl·OC·P + oc·P + p]), B = colT panels
    /// (B((nl, p), ckk)), C = dW [OC, C·K²], accumulated.
    /// </summary>
    public static PanelGemmShape PanelGemm(ConvShape s, int cn)
    {
        int ckk = s.C * s.K * s.K;
        return PanelGemmShape.Create(m: s.OC, n: ckk, k: cn * s.OH * s.OW, cRow: ckk, cBatch: 0, panel: int.MaxValue,
            accumulate: true);
    }

    /// <summary>Version 6's packing of A = the chunk of dY ([cn, OC, P]; i = oc, k = (nl, p)).</summary>
    public static PackShape PackOutputGrad(ConvShape s, PanelGemmShape g)
    {
        int p = s.OH * s.OW;
        return g.PackA(iStride: p, kStride: 1, kPanel: p, kBatch: s.OC * p);
    }
}

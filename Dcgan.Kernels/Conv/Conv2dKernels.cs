// 2-D convolution (NCHW, square kernel, no bias), forward and both backward passes. Naive: one thread per
// output element, each summing its whole dot product in a register (no atomics, deterministic).
//
//   Forward         y[n,oc,oh,ow]  = Σ_{ic,kh,kw} x[n,ic,oh·s−p+kh, ow·s−p+kw] · w[oc,ic,kh,kw]    (x outside = 0)
//   BackwardData    dX[n,ic,ih,iw] = Σ_{oc,kh,kw} dY[n,oc,oh,ow] · w[oc,ic,kh,kw]
//                                    over oh = (ih+p−kh)/s, ow = (iw+p−kw)/s where exact and in range
//   BackwardWeight  dW[oc,ic,kh,kw] += Σ_{n,oh,ow} dY[n,oc,oh,ow] · x[n,ic,oh·s−p+kh, ow·s−p+kw]
//
// Legend: n batch, c/ic input channel, oc output channel, h/w (ih/iw) input row/column, oh/ow output
// row/column, kh/kw kernel row/column, s stride, p padding; sizes in ConvShape (N, C, H, W, OC, OH, OW, K).
// Layouts: x [N,C,H,W], w [OC,C,K,K], y [N,OC,OH,OW], all dense row-major.
// Gradients: y and dX are overwritten; dW ACCUMULATES (+=, parameter gradient; the optimizer clears it).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html (dilation 1, groups 1, bias off).
// ConvTranspose2d has no kernels of its own: its forward is BackwardData, its input gradient is Forward and its
// weight gradient is BackwardWeight with x and dY swapped (Dcgan.Nn/Ops/ConvTranspose2d.cs,
// docs/kernels/conv-transpose2d.md).
// Derivations and the thread mapping: docs/kernels/conv2d.md.
// Generic in T so the same kernels run in float (training) and double (finite-difference checks).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

public static class Conv2dKernels
{
    /// <summary>One thread per y element; i enumerates y in NCHW order. Overwrites y.</summary>
    public static void Forward<T>(Index1D i, ArrayView<T> x, ArrayView<T> w, ConvShape s, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Unflatten i into (n, oc, oh, ow).
        int idx = i.X;
        int ow = idx % s.OW;
        int t = idx / s.OW;
        int oh = t % s.OH;
        t /= s.OH;
        int oc = t % s.OC;
        int n = t / s.OC;

        T sum = T.Zero;
        for (int ic = 0; ic < s.C; ic++)
        {
            int xPlane = (n * s.C + ic) * s.H;
            int wPlane = (oc * s.C + ic) * s.K;
            for (int kh = 0; kh < s.K; kh++)
            {
                // Rows in the zero padding contribute nothing.
                int ih = oh * s.Stride - s.Pad + kh;
                if (ih < 0 || ih >= s.H)
                    continue;
                for (int kw = 0; kw < s.K; kw++)
                {
                    int iw = ow * s.Stride - s.Pad + kw;
                    if (iw < 0 || iw >= s.W)
                        continue;
                    sum += x[(xPlane + ih) * s.W + iw] * w[(wPlane + kh) * s.K + kw];
                }
            }
        }
        y[idx] = sum;
    }

    /// <summary>One thread per dX element (gather); i enumerates dX in NCHW order. Overwrites dX.</summary>
    public static void BackwardData<T>(Index1D i, ArrayView<T> dY, ArrayView<T> w, ConvShape s, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Unflatten i into (n, ic, ih, iw).
        int idx = i.X;
        int iw = idx % s.W;
        int t = idx / s.W;
        int ih = t % s.H;
        t /= s.H;
        int ic = t % s.C;
        int n = t / s.C;

        T sum = T.Zero;
        for (int oc = 0; oc < s.OC; oc++)
        {
            int dyPlane = (n * s.OC + oc) * s.OH;
            int wPlane = (oc * s.C + ic) * s.K;
            for (int kh = 0; kh < s.K; kh++)
            {
                // Input row ih was read by output row oh with oh·s − p + kh = ih, i.e. oh = (ih + p − kh)/s.
                // Test the sign first: C#'s % of a negative number is negative, so it must not decide alone.
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
                    sum += dY[(dyPlane + oh) * s.OW + ow] * w[(wPlane + kh) * s.K + kw];
                }
            }
        }
        dX[idx] = sum;
    }

    /// <summary>One thread per dW element; i enumerates dW in [OC,C,K,K] order. ACCUMULATES into dW.</summary>
    public static void BackwardWeight<T>(Index1D i, ArrayView<T> x, ArrayView<T> dY, ConvShape s, ArrayView<T> dW)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Unflatten i into (oc, ic, kh, kw).
        int idx = i.X;
        int kw = idx % s.K;
        int t = idx / s.K;
        int kh = t % s.K;
        t /= s.K;
        int ic = t % s.C;
        int oc = t / s.C;

        T sum = T.Zero;
        for (int n = 0; n < s.N; n++)
        {
            int xPlane = (n * s.C + ic) * s.H;
            int dyPlane = (n * s.OC + oc) * s.OH;
            for (int oh = 0; oh < s.OH; oh++)
            {
                // Output rows whose tap kh lands in the zero padding contribute nothing.
                int ih = oh * s.Stride - s.Pad + kh;
                if (ih < 0 || ih >= s.H)
                    continue;
                for (int ow = 0; ow < s.OW; ow++)
                {
                    int iw = ow * s.Stride - s.Pad + kw;
                    if (iw < 0 || iw >= s.W)
                        continue;
                    sum += dY[(dyPlane + oh) * s.OW + ow] * x[(xPlane + ih) * s.W + iw];
                }
            }
        }
        dW[idx] += sum;
    }
}

// Plain C# float64 reference of Conv2d and ConvTranspose2d (NCHW, square kernel, no bias): readable, slow,
// authoritative. Every pass is written as the one loop nest of its forward definition, scattering into its
// outputs; the kernels gather instead, and ConvTranspose2d's kernels are conv's. The transposed conv here is
// written from its own definition, independent of conv, so the tests prove that reuse rather than assume it.
//
//   conv2d            y[n,oc,oh,ow] += x[n,ic,oh·s−p+kh, ow·s−p+kw] · w[oc,ic,kh,kw]          w [OC,C,K,K]
//   conv-transpose2d  y[n,co,h·s−p+kh, w·s−p+kw] += x[n,ci,h,w] · w[ci,co,kh,kw]              w [Cin,Cout,K,K]
//   each backward: the same loop nest, dX[...] += dY[...]·w[...] and dW[...] += dY[...]·x[...]
//
// Legend: n batch, ic/ci input channel, oc/co output channel, h/w rows/columns, kh/kw kernel taps, s stride,
// p padding; terms that fall into the padding are skipped.
// Gradients: returned as fresh arrays (the kernels' accumulate rule is tested separately).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html and
// https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html
using Dcgan.Kernels.Conv;

namespace Dcgan.Nn.Reference;

/// <summary>ConvTranspose2d geometry in its own terms: x [N,InC,H,W], w [InC,OutC,K,K], y [N,OutC,OutH,OutW].</summary>
public sealed record ConvTransposeGeometry(int N, int InC, int H, int W, int OutC, int K, int Stride, int Pad)
{
    public int OutH => (H - 1) * Stride - 2 * Pad + K;
    public int OutW => (W - 1) * Stride - 2 * Pad + K;
    public int InputLength => N * InC * H * W;
    public int WeightLength => InC * OutC * K * K;
    public int OutputLength => N * OutC * OutH * OutW;
}

public static class ConvReference
{
    // ---- conv2d ----

    public static double[] Conv2dForward(ConvShape s, double[] x, double[] w)
    {
        var y = new double[s.OutputLength];
        ForEachConvTerm(s, (xi, wi, yi) => y[yi] += x[xi] * w[wi]);
        return y;
    }

    public static double[] Conv2dBackwardData(ConvShape s, double[] dY, double[] w)
    {
        var dX = new double[s.InputLength];
        ForEachConvTerm(s, (xi, wi, yi) => dX[xi] += dY[yi] * w[wi]);
        return dX;
    }

    public static double[] Conv2dBackwardWeight(ConvShape s, double[] x, double[] dY)
    {
        var dW = new double[s.WeightLength];
        ForEachConvTerm(s, (xi, wi, yi) => dW[wi] += dY[yi] * x[xi]);
        return dW;
    }

    /// <summary>Calls term(x index, w index, y index) for every product of the conv2d definition.</summary>
    static void ForEachConvTerm(ConvShape s, Action<int, int, int> term)
    {
        for (int n = 0; n < s.N; n++)
        for (int oc = 0; oc < s.OC; oc++)
        for (int oh = 0; oh < s.OH; oh++)
        for (int ow = 0; ow < s.OW; ow++)
        for (int ic = 0; ic < s.C; ic++)
        for (int kh = 0; kh < s.K; kh++)
        for (int kw = 0; kw < s.K; kw++)
        {
            int ih = oh * s.Stride - s.Pad + kh, iw = ow * s.Stride - s.Pad + kw;
            if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W)
                continue;
            term(((n * s.C + ic) * s.H + ih) * s.W + iw,
                 ((oc * s.C + ic) * s.K + kh) * s.K + kw,
                 ((n * s.OC + oc) * s.OH + oh) * s.OW + ow);
        }
    }

    // ---- conv-transpose2d ----

    public static double[] ConvTranspose2dForward(ConvTransposeGeometry g, double[] x, double[] w)
    {
        var y = new double[g.OutputLength];
        ForEachTransposeTerm(g, (xi, wi, yi) => y[yi] += x[xi] * w[wi]);
        return y;
    }

    public static double[] ConvTranspose2dBackwardData(ConvTransposeGeometry g, double[] dY, double[] w)
    {
        var dX = new double[g.InputLength];
        ForEachTransposeTerm(g, (xi, wi, yi) => dX[xi] += dY[yi] * w[wi]);
        return dX;
    }

    public static double[] ConvTranspose2dBackwardWeight(ConvTransposeGeometry g, double[] x, double[] dY)
    {
        var dW = new double[g.WeightLength];
        ForEachTransposeTerm(g, (xi, wi, yi) => dW[wi] += x[xi] * dY[yi]);
        return dW;
    }

    /// <summary>
    /// Calls term(x index, w index, y index) for every product of the transposed-conv definition: input pixel
    /// (h, w) scatters its K×K window into the output at (h·s − p + kh, w·s − p + kw); cropped where outside.
    /// </summary>
    static void ForEachTransposeTerm(ConvTransposeGeometry g, Action<int, int, int> term)
    {
        int outH = g.OutH, outW = g.OutW;
        for (int n = 0; n < g.N; n++)
        for (int ci = 0; ci < g.InC; ci++)
        for (int h = 0; h < g.H; h++)
        for (int w = 0; w < g.W; w++)
        for (int co = 0; co < g.OutC; co++)
        for (int kh = 0; kh < g.K; kh++)
        for (int kw = 0; kw < g.K; kw++)
        {
            int oh = h * g.Stride - g.Pad + kh, ow = w * g.Stride - g.Pad + kw;
            if (oh < 0 || oh >= outH || ow < 0 || ow >= outW)
                continue;
            term(((n * g.InC + ci) * g.H + h) * g.W + w,
                 ((ci * g.OutC + co) * g.K + kh) * g.K + kw,
                 ((n * g.OutC + co) * outH + oh) * outW + ow);
        }
    }
}

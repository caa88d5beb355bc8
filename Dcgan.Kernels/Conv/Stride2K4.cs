// The data movement around conv versions 6 and 7's panel GEMM for DCGAN's strided layers (K = 4, stride 2, output
// sides powers of two), written so that PoCL vectorises it: one work-item per element, no loop and no division, the
// 16 lanes of a packed panel (or the columns of a dX row) along the group's x, so that PoCL's loop over the
// work-items of a group becomes one AVX-512 gather from x (or colGrad) and one contiguous store per 16 elements.
// The general kernels they stand in for (Im2colPixelPanels, Im2colBlocks, Im2colTapPanels, Col2imRows) walk runs of
// OW pixels per work-item: at batch 16 those runs are 4–8 long, and the loop overheads, not memory, bound them
// (docs/benchmarks.md, "Strided layers' data movement"). Same elements, same summation order: bitwise the same
// outputs (Dcgan.Tests/Kernels/Stride2K4Tests.cs).
//
//   PixelLanes  forward's B:          panel t, lane l = pixel t·16 + l, k = (ic, tap)   group (16, rows of k)
//   TapLanes    weight gradient's B:  panel ic, lane = tap (kh, kw) = (l >> 2, l & 3), k = pixel
//   Col2im      input gradient:       dX[n, ic, ih, iw] = the colGrad taps that land on it, (kh, kw) in order
// A pixel index i = (n, oh, ow) decodes with shifts: ow = i & (OW − 1), oh = (i >> log2 OW) & (OH − 1),
// n = i >> log2(OH·OW). Legend as in Conv2dForwardVariants.cs.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

public static class Stride2K4
{
    /// <summary>Taps of one input channel (K·K), one packed panel's width.</summary>
    public const int Taps = 16;

    /// <summary>
    /// True where these kernels apply: K = 4, stride 2, OH and OW powers of two (so pixels decode with shifts), and
    /// W a multiple of the col2im group width (<paramref name="maxGroup"/> threads at most).
    /// </summary>
    public static bool Applies(ConvShape s, int maxGroup) =>
        s.K == 4 && s.Stride == 2 && IsPowerOfTwo(s.OH) && IsPowerOfTwo(s.OW) && maxGroup >= Taps
        && s.W % Col2imGroupWidth(s, maxGroup) == 0 && s.H % Col2imGroupHeight(s, maxGroup) == 0;

    /// <summary>Col2im's group: up to maxGroup columns of a dX row, then as many rows as fit.</summary>
    public static int Col2imGroupWidth(ConvShape s, int maxGroup) => Math.Min(s.W, maxGroup);

    public static int Col2imGroupHeight(ConvShape s, int maxGroup) =>
        Math.Max(1, Math.Min(s.H, maxGroup / Col2imGroupWidth(s, maxGroup)));

    static bool IsPowerOfTwo(int v) => v > 0 && (v & (v - 1)) == 0;

    /// <summary>log2 of a power of two.</summary>
    public static int Log2(int powerOfTwo) => BitOperations.Log2((uint)powerOfTwo);

    /// <summary>
    /// Forward's B (Im2colPixelPanels' layout, kp = C·16): dst[((t·kp + ic·16 + tap)·16 + l] = x[n, ic, 2·oh − p + kh,
    /// 2·ow − p + kw] for pixel t·16 + l = (n, oh, ow), 0 in the padding and past the chunk's cn·P pixels. Group
    /// (16, rows), grid (panels, C·16 / rows): lane = Group.IdxX, k = ic·16 + tap = Grid.IdxY·rows + Group.IdxY.
    /// Overwrites dst.
    /// </summary>
    public static void PixelLanes<T>(ArrayView<T> x, ConvShape s, int cn, int owBits, int pixelBits, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lane = Group.IdxX, t = Grid.IdxX;
        int k = Grid.IdxY * Group.DimY + Group.IdxY;
        int kp = s.C * Taps;
        int i = t * Taps + lane;
        int n = i >> pixelBits, oh = (i >> owBits) & (s.OH - 1), ow = i & (s.OW - 1);
        int tap = k & (Taps - 1), ic = k >> 4;
        int ih = 2 * oh - s.Pad + (tap >> 2), iw = 2 * ow - s.Pad + (tap & 3);
        T v = T.Zero;
        if (n < cn && (uint)ih < (uint)s.H && (uint)iw < (uint)s.W)
            v = x[((n * s.C + ic) * s.H + ih) * s.W + iw];
        dst[(t * kp + k) * Taps + lane] = v;
    }

    /// <summary>
    /// The weight gradient's B (Im2colTapPanels' layout, kp = cn·P rounded up to 16): dst[(ic·kp + k)·16 + tap] =
    /// x[n, ic, 2·oh − p + kh, 2·ow − p + kw] for pixel k = (n, oh, ow), 0 in the padding and for k ≥ cn·P. Group
    /// (16, rows), grid (C, kp / rows): tap = Group.IdxX, k = Grid.IdxY·rows + Group.IdxY. Overwrites dst.
    /// </summary>
    public static void TapLanes<T>(ArrayView<T> x, ConvShape s, int cn, int kp, int owBits, int pixelBits, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tap = Group.IdxX, ic = Grid.IdxX;
        int k = Grid.IdxY * Group.DimY + Group.IdxY;
        int n = k >> pixelBits, oh = (k >> owBits) & (s.OH - 1), ow = k & (s.OW - 1);
        int ih = 2 * oh - s.Pad + (tap >> 2), iw = 2 * ow - s.Pad + (tap & 3);
        T v = T.Zero;
        if (n < cn && (uint)ih < (uint)s.H && (uint)iw < (uint)s.W)
            v = x[((n * s.C + ic) * s.H + ih) * s.W + iw];
        dst[(ic * kp + k) * Taps + tap] = v;
    }

    /// <summary>
    /// Col2imRows' result (colGrad [C·16, ld], columns n·P + oh·OW + ow): each dX element gets the two kh and two kw
    /// whose parity matches ih + p and iw + p — kh0 = (ih + p) mod 2 with oh = (ih + p) / 2, and kh0 + 2 with oh − 1,
    /// likewise kw — added from 0 in (kh, kw) order as Col2imRows adds them; a tap outside the output adds +0, which
    /// leaves every sum as it was (a sum from +0 is never −0). Group (gw, gh) over (iw, ih), grid (cn·C·W / gw, H /
    /// gh). Overwrites dX (the chunk's).
    /// </summary>
    public static void Col2im<T>(ArrayView<T> colGrad, ConvShape s, int ld, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columnBlocks = s.W / Group.DimX;
        int plane = Grid.IdxX / columnBlocks;
        int iw = (Grid.IdxX - plane * columnBlocks) * Group.DimX + Group.IdxX;
        int ih = Grid.IdxY * Group.DimY + Group.IdxY;
        int ic = plane % s.C, n = plane / s.C;
        int kh0 = (ih + s.Pad) & 1, oh = (ih + s.Pad) >> 1;
        int kw0 = (iw + s.Pad) & 1, ow = (iw + s.Pad) >> 1;
        bool h0 = oh < s.OH, h2 = oh >= 1;
        bool w0 = ow < s.OW, w2 = ow >= 1;
        int src = (ic * Taps + kh0 * 4 + kw0) * ld + n * s.OH * s.OW + oh * s.OW + ow;
        int kwStep = 2 * ld - 1, khStep = 8 * ld - s.OW;   // tap (kh, kw + 2) at ow − 1; (kh + 2, kw) at oh − 1
        T sum = T.Zero;
        T v = T.Zero;
        if (h0 && w0)
            v = colGrad[src];
        sum += v;
        v = T.Zero;
        if (h0 && w2)
            v = colGrad[src + kwStep];
        sum += v;
        v = T.Zero;
        if (h2 && w0)
            v = colGrad[src + khStep];
        sum += v;
        v = T.Zero;
        if (h2 && w2)
            v = colGrad[src + khStep + kwStep];
        sum += v;
        dX[(plane * s.H + ih) * s.W + iw] = sum;
    }
}

// DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"), its translation and
// cutout, fused: per sample n, with the sample's integer parameters drawn from four uniforms u[4n..4n+3] in (0, 1],
//
//   translation  y₁[n,c,r,q] = x[n,c,r+ty,q+tx] where 0 ≤ r+ty < H and 0 ≤ q+tx < W, else 0 (zero fill)
//                ty = min(⌊u₀·(2·sH+1)⌋, 2·sH) − sH,  tx likewise from u₁ and sW   (shift s = ⌊size/8 + ½⌋)
//   cutout       y[n,c,r,q] = 0 where oy − ⌊cH/2⌋ ≤ r < oy − ⌊cH/2⌋ + cH and the same for q, else y₁[n,c,r,q]
//                oy = min(⌊u₂·(H + 1 − cH mod 2)⌋, H − cH mod 2),  ox likewise from u₃   (square c = ⌊size/2 + ½⌋)
//
// which is the official code's DiffAugment(x, 'translation,cutout') (its torch.randint(−s, s + 1) and
// torch.randint(0, H + 1 − cH mod 2) as ⌊u·count⌋; its padded gather and clamped mask give the same zeros). A
// policy without translation has sH = sW = 0, one without cutout cH = cW = 0.
//
// y is linear in x for fixed u, so the backward is the transpose, again a gather (no atomics):
//   dX[n,c,r',q'] = dY[n,c,r'−ty,q'−tx] where (r'−ty, q'−tx) is inside the image and not cut out, else 0.
// Legend: n sample, c channel, (r, q) = (row, column); NCHW, contiguous. The uniforms are float32 whatever T is
// (the trainer's uniform generator, NormalRngKernels.Uniform), so float32 and float64 launches draw the same
// integers. Threads: one work-item per element of y (forward) or dX (backward). dX is overwritten.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Augment;

/// <summary>A DiffAugment launch's image shape and strengths (0 turns a part off).</summary>
public readonly struct DiffAugmentShape
{
    /// <summary>Uniforms per sample: row and column shift, cutout row and column.</summary>
    public const int UniformsPerSample = 4;

    public readonly int Channels, Height, Width;
    /// <summary>Largest translation in rows and columns (0: no translation).</summary>
    public readonly int ShiftH, ShiftW;
    /// <summary>The cut-out square's height and width (0: no cutout).</summary>
    public readonly int CutH, CutW;

    DiffAugmentShape(int channels, int height, int width, int shiftH, int shiftW, int cutH, int cutW)
    {
        Channels = channels; Height = height; Width = width; ShiftH = shiftH; ShiftW = shiftW; CutH = cutH; CutW = cutW;
    }

    /// <summary>
    /// The official code's strengths for a C×H×W image: translation by up to ⌊size/8 + ½⌋ pixels, a cut-out square of
    /// ⌊size/2 + ½⌋ (its ratios 0.125 and 0.5).
    /// </summary>
    public static DiffAugmentShape Create(int channels, int height, int width, bool translation, bool cutout)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image sizes must be positive: C={channels} H={height} W={width}");
        static int Part(int size, double ratio) => (int)(size * ratio + 0.5);
        return new(channels, height, width, translation ? Part(height, 0.125) : 0, translation ? Part(width, 0.125) : 0,
            cutout ? Part(height, 0.5) : 0, cutout ? Part(width, 0.5) : 0);
    }

    public int PerSample => Channels * Height * Width;
}

public static class DiffAugmentKernels
{
    public static void Forward<T>(Index1D i, ArrayView<T> x, ArrayView<float> u, DiffAugmentShape s, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Decode(i, s, out int n, out int r, out int q);
        Parameters(u, n, s, out int ty, out int tx, out int cy, out int cx);
        int sr = r + ty, sq = q + tx;
        bool inside = sr >= 0 && sr < s.Height && sq >= 0 && sq < s.Width;
        y[i] = inside && !CutOut(r, q, cy, cx, s) ? x[i + ty * s.Width + tx] : T.Zero;
    }

    public static void Backward<T>(Index1D i, ArrayView<float> u, DiffAugmentShape s, ArrayView<T> dY, ArrayView<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Decode(i, s, out int n, out int r, out int q);
        Parameters(u, n, s, out int ty, out int tx, out int cy, out int cx);
        int dr = r - ty, dq = q - tx;
        bool inside = dr >= 0 && dr < s.Height && dq >= 0 && dq < s.Width;
        dX[i] = inside && !CutOut(dr, dq, cy, cx, s) ? dY[i - ty * s.Width - tx] : T.Zero;
    }

    static void Decode(Index1D i, DiffAugmentShape s, out int n, out int r, out int q)
    {
        n = i / s.PerSample;
        int pixel = i % (s.Height * s.Width);
        r = pixel / s.Width;
        q = pixel % s.Width;
    }

    /// <summary>Sample n's shifts (ty, tx) and the top-left corner (cy, cx) of its cut-out square.</summary>
    static void Parameters(ArrayView<float> u, int n, DiffAugmentShape s, out int ty, out int tx, out int cy, out int cx)
    {
        int b = n * DiffAugmentShape.UniformsPerSample;
        ty = Draw(u[b], 2 * s.ShiftH + 1) - s.ShiftH;
        tx = Draw(u[b + 1], 2 * s.ShiftW + 1) - s.ShiftW;
        cy = Draw(u[b + 2], s.Height + 1 - s.CutH % 2) - s.CutH / 2;
        cx = Draw(u[b + 3], s.Width + 1 - s.CutW % 2) - s.CutW / 2;
    }

    /// <summary>⌊u·count⌋ for u in (0, 1], the u = 1 edge folded onto count − 1: uniform on 0..count−1.</summary>
    public static int Draw(float u, int count) => Math.Min((int)(u * count), count - 1);

    static bool CutOut(int r, int q, int cy, int cx, DiffAugmentShape s) =>
        r >= cy && r < cy + s.CutH && q >= cx && q < cx + s.CutW;
}

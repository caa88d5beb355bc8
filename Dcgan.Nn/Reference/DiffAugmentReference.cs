// Float64 twin of DiffAugment's translation and cutout, written as the official code computes them (Zhao et al.
// 2020, DiffAugment-pytorch): translation gathers from the image padded by one zero pixel with the index clamped
// into the padding, cutout zeroes a mask at a clamped grid of the square's pixels. The integers come from the same
// uniforms as the kernels' (DiffAugmentKernels.Draw), standing in for the official torch.randint calls.
using Dcgan.Kernels.Augment;

namespace Dcgan.Nn.Reference;

public static class DiffAugmentReference
{
    /// <summary>Sample n's integers as the official code draws them: row and column shifts, the square's centre.</summary>
    public static (int ShiftRow, int ShiftCol, int CentreRow, int CentreCol) Parameters(float[] u, int n, DiffAugmentShape s)
    {
        int b = n * DiffAugmentShape.UniformsPerSample;
        // torch.randint(-shift, shift + 1) and torch.randint(0, size + (1 - cut % 2)).
        return (DiffAugmentKernels.Draw(u[b], 2 * s.ShiftH + 1) - s.ShiftH,
            DiffAugmentKernels.Draw(u[b + 1], 2 * s.ShiftW + 1) - s.ShiftW,
            DiffAugmentKernels.Draw(u[b + 2], s.Height + 1 - s.CutH % 2),
            DiffAugmentKernels.Draw(u[b + 3], s.Width + 1 - s.CutW % 2));
    }

    public static double[] Forward(double[] x, float[] u, DiffAugmentShape s)
    {
        int h = s.Height, w = s.Width, c = s.Channels, samples = x.Length / s.PerSample;
        var y = new double[x.Length];
        for (int n = 0; n < samples; n++)
        {
            var (tr, tc, or, oc) = Parameters(u, n, s);
            // The official cutout: mask[clamp(i + offset − cut/2, 0, H − 1), clamp(j + ...)] = 0 for the square's (i, j).
            var mask = new double[h, w];
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                    mask[r, q] = 1;
            for (int i = 0; i < s.CutH; i++)
                for (int j = 0; j < s.CutW; j++)
                    mask[Math.Clamp(i + or - s.CutH / 2, 0, h - 1), Math.Clamp(j + oc - s.CutW / 2, 0, w - 1)] = 0;
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < h; r++)
                    for (int q = 0; q < w; q++)
                    {
                        // The official translation: x padded by one zero on every side, index clamped to [0, size + 1].
                        int pr = Math.Clamp(r + tr + 1, 0, h + 1), pq = Math.Clamp(q + tc + 1, 0, w + 1);
                        bool pad = pr == 0 || pr == h + 1 || pq == 0 || pq == w + 1;
                        double v = pad ? 0 : x[((n * c + ch) * h + pr - 1) * w + pq - 1];
                        y[((n * c + ch) * h + r) * w + q] = v * mask[r, q];
                    }
        }
        return y;
    }
}

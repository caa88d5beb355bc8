// Plain C# float64 references of the per-parameter gradient norms and of clip_grad_norm_.
namespace Dcgan.Nn.Reference;

public static class GradClipReference
{
    /// <summary>norms[s] = √(Σ g[off[s] + k]²) over the segment's elements.</summary>
    public static double[] SegmentNorms(double[] g, int[] offsets, int[] lengths) =>
        [.. offsets.Select((off, s) => Math.Sqrt(g.Skip(off).Take(lengths[s]).Sum(v => v * v)))];

    /// <summary>torch.nn.utils.clip_grad_norm_: g ·= min(1, maxNorm / (norm + 1e−6)).</summary>
    public static double[] Clip(double[] g, double norm, double maxNorm)
    {
        double coef = Math.Min(1.0, maxNorm / (norm + 1e-6));
        return [.. g.Select(v => v * coef)];
    }
}

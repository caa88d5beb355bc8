// Plain float64 twin of Dcgan.Kernels/Penalty/GradientPenaltyKernels.cs: P = w·(1/N)·Σ_n (‖g_n‖ − c)² and its
// gradient u = ∂P/∂g, and WGAN-GP's interpolation. Readable and slow; the tests' authority for the float32 kernels.
namespace Dcgan.Nn.Reference;

public static class GradientPenaltyReference
{
    public static double[] Interpolate(double[] x, double[] f, double[] alpha)
    {
        int length = x.Length / alpha.Length;
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] + alpha[i / length] * (f[i] - x[i]);
        return y;
    }

    /// <summary>(P, u, ‖g_n‖) for g of n rows.</summary>
    public static (double Penalty, double[] Gradient, double[] Norms) Penalty(double[] g, int n, double weight, double center,
        double gradientScale = 1)
    {
        int length = g.Length / n;
        var norms = new double[n];
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            double squares = 0;
            for (int j = 0; j < length; j++)
                squares += g[s * length + j] * g[s * length + j];
            norms[s] = Math.Sqrt(squares);
            sum += (norms[s] - center) * (norms[s] - center);
        }
        var u = new double[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            double r = norms[i / length];
            u[i] = r > 0 ? gradientScale * 2 * weight / n * (r - center) / r * g[i] : 0;
        }
        return (weight * sum / n, u, norms);
    }
}

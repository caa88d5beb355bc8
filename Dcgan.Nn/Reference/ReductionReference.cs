// Plain C# float64 references of the reductions: the L2 norm and the "any non-finite?" test.
namespace Dcgan.Nn.Reference;

public static class ReductionReference
{
    public static double L2Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    public static bool AnyNonFinite(double[] x) => x.Any(v => !double.IsFinite(v));
}

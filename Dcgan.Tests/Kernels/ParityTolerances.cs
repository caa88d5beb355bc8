// Tolerances of float32 kernels against the float64 reference, in one table with the reason for each.
// Rule per element: |kernel − reference| ≤ Atol + Rtol · |reference|.
namespace Dcgan.Tests.Kernels;

public sealed record Tolerance(double Atol, double Rtol, string Reason);

public static class ParityTolerances
{
    /// <summary>One float32 rounding per element, plus the device's exp/tanh (a few ulp).</summary>
    public static readonly Tolerance Elementwise = new(1e-6, 1e-5,
        "one float32 rounding per element plus a few-ulp exp/tanh; inputs are O(1)");

    /// <summary>Dot products of up to a few hundred terms summed in float32 in any order.</summary>
    public static readonly Tolerance Convolution = new(1e-5, 1e-4,
        "float32 sums of ≤ 1,000 O(1) products: error grows like √K·ε·Σ|terms|");

    /// <summary>
    /// DCGAN-sized conv shapes sum up to 2,000 products per output; the naive variant needs this as much as the
    /// GEMM variants (loosened from Convolution because the error bound grows with the number of terms).
    /// </summary>
    public static readonly Tolerance LongConvolution = new(1e-4, 1e-4,
        "float32 sums of ≤ 2,000 O(1) products: error grows like √K·ε·Σ|terms|");

    /// <summary>Per-channel mean/variance over N·H·W in float32, then a division by σ.</summary>
    public static readonly Tolerance BatchNorm = new(1e-4, 1e-4,
        "float32 reductions over N·H·W and a division by a small σ amplify rounding");

    /// <summary>Mean over the batch of log1p/exp terms.</summary>
    public static readonly Tolerance Loss = new(1e-5, 1e-5,
        "float32 log1p/exp per element and a float32 mean over the batch");

    /// <summary>
    /// Softmax and the softmax cross-entropy's dZ: exp of z − max, where the subtraction rounds an argument of up to
    /// 24 in size (the tests' logit spread) by ≤ 1.4e-6 relative of exp; a float32 sum of C ≤ 10 terms, a division.
    /// </summary>
    public static readonly Tolerance Softmax = new(1e-6, 1e-5,
        "exp of a rounded z − max (≤ 1.4e-6 relative for |z − max| ≤ 24), a float32 sum of ≤ 10 terms and a division");

    /// <summary>Adam: sqrt and division per element, a few float32 roundings.</summary>
    public static readonly Tolerance Optimizer = new(1e-6, 1e-5,
        "a handful of float32 roundings per element (moments, sqrt, division)");

    /// <summary>Reductions of thousands of squares (gradient norm).</summary>
    public static readonly Tolerance Reduction = new(1e-5, 1e-5,
        "float32 partial sums of squares in a fixed order");

    /// <summary>
    /// Spectral norm: matrix-vector products of up to 320 terms and two normalisations per power iteration (three
    /// iterations at most), σ = u·(W v), and a Frobenius product of up to 9,000 terms in the backward. Measured on
    /// PoCL and ILGPU's CPU accelerator: u, v and dW within 2.2e-7 absolute, σ (4–12) within 1.6e-7 relative: one or
    /// two float32 ulps, so this row leaves a margin of about 10 for other devices' summation orders.
    /// </summary>
    public static readonly Tolerance SpectralNorm = new(1e-6, 1e-5,
        "float32 sums of ≤ 320 O(1) products per vector element, ≤ 9,000 in the Frobenius product, then normalised");

    public static void AssertClose(double[] expected, float[] actual, Tolerance tolerance, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: element count");
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= tolerance.Atol + tolerance.Rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: kernel {actual[i]:R} vs reference {expected[i]:R} " +
                            $"(|err| {err:E2} > {tolerance.Atol:E0} + {tolerance.Rtol:E0}·|ref|; {tolerance.Reason})");
        }
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>NaN-filled array: put it on the device before a launch so unwritten outputs fail the comparison.</summary>
    public static float[] NaNs(int count) => Enumerable.Repeat(float.NaN, count).ToArray();
}

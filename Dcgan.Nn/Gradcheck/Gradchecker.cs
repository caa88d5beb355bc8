// Runs a GradcheckCase: analytic gradients from the op's backward kernels versus central finite differences of
// the random-weighted loss L = Σ r ⊙ y (never Σ y: batchnorm's input gradient of Σ y is exactly zero, so a
// broken kernel would pass), everything in float64 through the device.
using Dcgan.Nn.Devices;

namespace Dcgan.Nn.Gradcheck;

/// <summary>One row of the gradcheck table: one gradient of one case.</summary>
public sealed record GradcheckResult(
    string Op, string Variant, string Gradient, string Shape, int Elements,
    double MaxAbsError, double MaxRelError, double MaxAbsGradient, bool Passed);

/// <summary>
/// Pass rule per element: |analytic − numeric| ≤ Atol + Rtol · |numeric|. In float64 with h = 1e-6 the
/// finite-difference error is ~1e-9 for O(1) losses; a wrong kernel is off by O(1e-2) or more.
/// </summary>
public sealed record GradcheckTolerance(double Atol, double Rtol)
{
    public static readonly GradcheckTolerance Float64 = new(Atol: 1e-6, Rtol: 1e-5);
}

public static class Gradchecker
{
    public static IReadOnlyList<GradcheckResult> Run(
        GradcheckCase testCase, ComputeDevice device, int seed = 1234, GradcheckTolerance? tolerance = null)
    {
        if (!device.Info.SupportsDouble)
            throw new NotSupportedException(
                $"{device.Describe()} has no float64 support; gradcheck needs it to run the kernels in double");
        tolerance ??= GradcheckTolerance.Float64;
        var rng = new Random(seed);
        var inputs = testCase.CreateInputs(rng, device);
        var values = inputs.Select(i => (double[])i.Values.Clone()).ToArray();

        double[] y = testCase.Forward(device, values);
        double[] r = new double[y.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = 0.5 + rng.NextDouble(); // positive, distinct weights: no gradient cancels by symmetry

        var analytic = testCase.Backward(device, values, r);
        var results = new List<GradcheckResult>();
        int g = 0;
        for (int k = 0; k < inputs.Count; k++)
        {
            if (!inputs[k].Differentiable)
                continue;
            double[] a = analytic[g++];
            double h = testCase.Step;
            double maxAbs = 0, maxRel = 0, maxGrad = 0;
            if (a.Length != values[k].Length)
                throw new InvalidOperationException(
                    $"{testCase.Op}: d{inputs[k].Name} has {a.Length} elements, input has {values[k].Length}");
            bool passed = true;
            for (int j = 0; j < values[k].Length; j++)
            {
                double saved = values[k][j];
                values[k][j] = saved + h;
                double lossPlus = Dot(r, testCase.Forward(device, values));
                values[k][j] = saved - h;
                double lossMinus = Dot(r, testCase.Forward(device, values));
                values[k][j] = saved;
                double numeric = (lossPlus - lossMinus) / (2 * h);
                double err = Math.Abs(a[j] - numeric);
                if (double.IsNaN(err) || err > tolerance.Atol + tolerance.Rtol * Math.Abs(numeric))
                    passed = false;
                maxAbs = Math.Max(maxAbs, double.IsNaN(err) ? double.PositiveInfinity : err);
                maxRel = Math.Max(maxRel, err / Math.Max(Math.Max(Math.Abs(a[j]), Math.Abs(numeric)), 1e-8));
                maxGrad = Math.Max(maxGrad, Math.Abs(numeric));
            }
            results.Add(new GradcheckResult(testCase.Op, testCase.Variant, "d" + inputs[k].Name,
                inputs[k].ShapeText, values[k].Length, maxAbs, maxRel, maxGrad, passed));
        }
        return results;
    }

    static double Dot(double[] r, double[] y)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
            sum += r[i] * y[i];
        return sum;
    }
}

// A finite-difference gradient check of one op at one shape, run through the op's own generic kernels
// instantiated in float64 on the chosen device (the very kernels that train in float32).
using Dcgan.Nn.Devices;

namespace Dcgan.Nn.Gradcheck;

/// <summary>One input of a checked op. Non-differentiable inputs (targets, running statistics) are held fixed.</summary>
public sealed record GradInput(string Name, int[] Shape, double[] Values, bool Differentiable)
{
    public string ShapeText => "[" + string.Join("x", Shape) + "]";
}

public abstract class GradcheckCase
{
    /// <summary>Op name as `dcgan gradcheck --op` takes it, e.g. "conv2d".</summary>
    public abstract string Op { get; }

    /// <summary>What makes this case distinct, e.g. "k3 s2 p1" or "train".</summary>
    public abstract string Variant { get; }

    /// <summary>Random inputs for this case. Inputs of kinked ops are drawn away from the kinks.</summary>
    public abstract IReadOnlyList<GradInput> CreateInputs(Random rng);

    /// <summary>
    /// As CreateInputs, for cases whose inputs depend on what the device builds (a network's parameter list).
    /// Gradchecker calls this one.
    /// </summary>
    public virtual IReadOnlyList<GradInput> CreateInputs(Random rng, ComputeDevice device) => CreateInputs(rng);

    /// <summary>Runs the forward kernels in float64 on the device; returns the output y (flattened).</summary>
    public abstract double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs);

    /// <summary>
    /// Runs the backward kernels in float64 with the given output gradient dY; returns one gradient per
    /// differentiable input, in input order. Parameter gradients start from zero (kernels accumulate).
    /// </summary>
    public abstract IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY);

    /// <summary>Central-difference step. Inputs are O(1), so 1e-6 balances truncation (h²) against rounding (ε/h).</summary>
    public virtual double Step => 1e-6;

    /// <summary>Generic helpers for cases: N(0,1) values, optionally pushed away from zero (ReLU kinks).</summary>
    protected static double[] Normal(Random rng, int count, double scale = 1, double avoidZeroBy = 0)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double v;
            do v = scale * NormalSample(rng);
            while (Math.Abs(v) < avoidZeroBy);
            values[i] = v;
        }
        return values;
    }

    protected static double NormalSample(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    protected static int Product(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}

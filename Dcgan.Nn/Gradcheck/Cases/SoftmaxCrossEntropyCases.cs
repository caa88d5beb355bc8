using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dZ of softmax cross-entropy with logits (mean over N) with the upstream gradient dLoss = r. Logits Z are
/// [N, C, 1, 1] (a final conv's output) and come in three kinds of row, taken in turn: N(0, 2²) logits; the same
/// plus a spike of +12 at the label (nearly saturated, confidently right: p_y ≈ 1 − C·e^−12); the same plus a
/// spike of +12 at another class (nearly saturated, confidently wrong). Labels Y are held fixed: ints in [0, C),
/// passed as doubles like every GradInput. The loss is smooth everywhere, so no kink to avoid.
/// </summary>
public sealed class SoftmaxCrossEntropyCase(int n, int classes) : GradcheckCase
{
    /// <summary>The logit added to one class of a saturated row.</summary>
    const double Spike = 12;

    public override string Op => "softmax-cross-entropy";

    public override string Variant => $"N{n} C{classes}";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        double[] z = Normal(rng, n * classes, scale: 2);
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            int label = rng.Next(classes);
            y[i] = label;
            if (i % 3 == 1)
                z[i * classes + label] += Spike;
            else if (i % 3 == 2)
                z[i * classes + (label + 1 + rng.Next(classes - 1)) % classes] += Spike;
        }
        return
        [
            new("Z", [n, classes, 1, 1], z, Differentiable: true),
            new("Y", [n], y, Differentiable: false),
        ];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n, classes, 1, 1);
        using var y = DeviceTensor<int>.FromHost(a, Labels(inputs[1]), n);
        using var loss = new DeviceTensor<double>(a, 1);
        SoftmaxCrossEntropyOps<double>.On(device).Forward(a.DefaultStream, z.View, y.View, classes, loss.View);
        return loss.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n, classes, 1, 1);
        using var y = DeviceTensor<int>.FromHost(a, Labels(inputs[1]), n);
        using var dLoss = DeviceTensor<double>.FromHost(a, dY, 1);
        using var dz = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, n * classes).ToArray(), n, classes, 1, 1);
        SoftmaxCrossEntropyOps<double>.On(device).Backward(a.DefaultStream, z.View, y.View, classes, dLoss.View, dz.View);
        return [dz.ToHost()];
    }

    /// <summary>The labels as the kernels take them: exact small integers stored as doubles, converted back.</summary>
    public static int[] Labels(double[] values) => values.Select(v => (int)v).ToArray();

    public static IEnumerable<GradcheckCase> All() =>
    [
        new SoftmaxCrossEntropyCase(3, 10),
        new SoftmaxCrossEntropyCase(5, 4),
        new SoftmaxCrossEntropyCase(2, 7),
        new SoftmaxCrossEntropyCase(6, 2),
    ];
}

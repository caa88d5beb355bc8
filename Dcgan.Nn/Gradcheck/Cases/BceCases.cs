using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dZ of BCE with logits (mean over N) with the upstream gradient dLoss = r. Logits Z are spread over
/// [−8, 8] (one per stratum, jittered), so both saturated tails and the centre are covered; targets T are held
/// fixed: 0/1 labels or soft targets in (0.05, 0.95). The loss is smooth everywhere (softplus), so no kink to avoid.
/// </summary>
public sealed class BceWithLogitsCase(int n, bool softTargets) : GradcheckCase
{
    public override string Op => "bce-with-logits";

    public override string Variant => $"N{n} " + (softTargets ? "soft targets" : "0/1 labels");

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        var z = new double[n];
        for (int i = 0; i < n; i++)
            z[i] = -8 + 16 * (i + rng.NextDouble()) / n;
        rng.Shuffle(z);
        var t = new double[n];
        for (int i = 0; i < n; i++)
            t[i] = softTargets ? 0.05 + 0.9 * rng.NextDouble() : rng.Next(2);
        return
        [
            new("Z", [n], z, Differentiable: true),
            new("T", [n], t, Differentiable: false),
        ];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n);
        using var t = DeviceTensor<double>.FromHost(a, inputs[1], n);
        using var loss = new DeviceTensor<double>(a, 1);
        BceWithLogitsOps<double>.On(device).Forward(a.DefaultStream, z.View, t.View, loss.View);
        return loss.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n);
        using var t = DeviceTensor<double>.FromHost(a, inputs[1], n);
        using var dLoss = DeviceTensor<double>.FromHost(a, dY, 1);
        using var dz = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, n).ToArray(), n);
        BceWithLogitsOps<double>.On(device).Backward(a.DefaultStream, z.View, t.View, dLoss.View, dz.View);
        return [dz.ToHost()];
    }

    public static IEnumerable<GradcheckCase> All() =>
    [
        new BceWithLogitsCase(5, softTargets: false),
        new BceWithLogitsCase(5, softTargets: true),
        new BceWithLogitsCase(7, softTargets: false),
        new BceWithLogitsCase(7, softTargets: true),
    ];
}

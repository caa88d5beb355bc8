using Dcgan.Kernels.Loss;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dZ of one loss term of a GAN objective (CriticLossKernels: linear a·z, hinge max(0, 1 + a·z), squared
/// ½(z − a)²; mean over N) with the upstream gradient dLoss = r. Logits Z are spread over [−4, 4] (one per stratum,
/// jittered) so both sides of the hinge are covered, and each is kept 0.05 away from the hinge's kink at z = −1/a
/// (a central difference across it would average the two slopes).
/// </summary>
public sealed class CriticLossCase(string objective, string term, CriticLossTerm loss, int n) : GradcheckCase
{
    public override string Op => objective;

    public override string Variant => $"{term}: {loss} N{n}";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        var z = new double[n];
        for (int i = 0; i < n; i++)
        {
            do z[i] = -4 + 8 * (i + rng.NextDouble()) / n;
            while (loss.Kind == CriticLossKind.Hinge && Math.Abs(1 + loss.A * z[i]) < 0.05);
        }
        rng.Shuffle(z);
        return [new("Z", [n], z, Differentiable: true)];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n);
        using var result = new DeviceTensor<double>(a, 1);
        CriticLossOps<double>.On(device).Forward(a.DefaultStream, loss, z.View, result.View);
        return result.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        using var z = DeviceTensor<double>.FromHost(a, inputs[0], n);
        using var dLoss = DeviceTensor<double>.FromHost(a, dY, 1);
        using var dz = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, n).ToArray(), n);
        CriticLossOps<double>.On(device).Backward(a.DefaultStream, loss, z.View, dLoss.View, dz.View);
        return [dz.ToHost()];
    }

    /// <summary>Every term of the wgan, hinge and lsgan objectives (GanObjective), at two batch sizes.</summary>
    public static IEnumerable<GradcheckCase> All()
    {
        foreach (int n in new[] { 5, 9 })
            foreach (string objective in new[] { "wgan", "hinge", "lsgan" })
            {
                var (real, fake, generator) = Training.GanObjective.Terms(objective);
                yield return new CriticLossCase(objective, "critic real", real, n);
                yield return new CriticLossCase(objective, "critic fake", fake, n);
                yield return new CriticLossCase(objective, "generator", generator, n);
            }
    }
}

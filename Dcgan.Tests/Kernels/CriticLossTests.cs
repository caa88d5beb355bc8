using Dcgan.Kernels.Loss;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>The loss terms of the wgan, hinge and lsgan objectives (CriticLossKernels), on every backend.</summary>
public abstract class CriticLossTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(CriticLossCase.All(), Device);

    [TestCase(CriticLossKind.Linear, -1.0)]
    [TestCase(CriticLossKind.Linear, 1.0)]
    [TestCase(CriticLossKind.Hinge, -1.0)]
    [TestCase(CriticLossKind.Hinge, 1.0)]
    [TestCase(CriticLossKind.Squared, 1.0)]
    [TestCase(CriticLossKind.Squared, 0.0)]
    public void Float32KernelsMatchFloat64Reference(CriticLossKind kind, double a)
    {
        const int n = 37;
        const double dLoss = 0.75; // not 1, so a backward that ignores dLoss fails
        var rng = new Random(13);
        // Logits on both sides of every hinge, including large ones a critic reaches (no saturation here).
        double[] z = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 40 - 20)).ToArray();
        var term = new CriticLossTerm(kind, a);
        var d = Device.Accelerator;
        var ops = CriticLossOps<float>.On(Device);
        using var zt = DeviceTensor<float>.FromHost(d, ToFloat(z), n);
        using var loss = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var mean = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var dl = DeviceTensor<float>.FromHost(d, [(float)dLoss], 1);
        using var dz = DeviceTensor<float>.FromHost(d, NaNs(n), n);
        ops.Forward(d.DefaultStream, term, zt.View, loss.View);
        ops.Mean(d.DefaultStream, zt.View, mean.View);
        ops.Backward(d.DefaultStream, term, zt.View, dl.View, dz.View);

        AssertClose([CriticLossReference.Forward(kind, a, z)], loss.ToHost(), Loss, $"{term} loss");
        AssertClose([CriticLossReference.Mean(z)], mean.ToHost(), Loss, "mean z");
        AssertClose(CriticLossReference.Backward(kind, a, z, dLoss), dz.ToHost(), Elementwise, $"{term} dZ");
    }

    [Test]
    public void HingeIsFlatBeyondItsMarginAndItsGradientIsZeroAtTheKink()
    {
        // max(0, 1 − z): 0 and slope 0 for z ≥ 1 (a confident real), 1 − z and slope −1/N below.
        double[] z = [2, 1, 0.5, -3];
        var term = new CriticLossTerm(CriticLossKind.Hinge, -1);
        var d = Device.Accelerator;
        using var zt = DeviceTensor<float>.FromHost(d, ToFloat(z), z.Length);
        using var loss = new DeviceTensor<float>(d, 1);
        using var dl = DeviceTensor<float>.FromHost(d, [1f], 1);
        using var dz = DeviceTensor<float>.FromHost(d, NaNs(z.Length), z.Length);
        var ops = CriticLossOps<float>.On(Device);
        ops.Forward(d.DefaultStream, term, zt.View, loss.View);
        ops.Backward(d.DefaultStream, term, zt.View, dl.View, dz.View);
        Assert.That(loss.ToHost()[0], Is.EqualTo((0 + 0 + 0.5 + 4) / 4).Within(1e-6));
        Assert.That(dz.ToHost(), Is.EqualTo(new[] { 0f, 0f, -0.25f, -0.25f }));
    }
}

public sealed class CriticLossTestsCpu : CriticLossTests { protected override string DeviceSpec => "cpu"; }
public sealed class CriticLossTestsOpenCl : CriticLossTests { protected override string DeviceSpec => "opencl"; }
public sealed class CriticLossTestsCuda : CriticLossTests { protected override string DeviceSpec => "cuda"; }

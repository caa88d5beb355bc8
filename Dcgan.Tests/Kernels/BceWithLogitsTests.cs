using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class BceWithLogitsTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(BceWithLogitsCase.All(), Device);

    [Test]
    public void Float32KernelsMatchFloat64Reference()
    {
        const int n = 37;
        const double dLoss = 0.75; // not 1, so a backward that ignores dLoss fails
        var rng = new Random(11);
        // Logits across the saturated range; targets: 0/1 labels for the first half, soft targets after.
        double[] z = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 24 - 12)).ToArray();
        double[] t = Enumerable.Range(0, n).Select(i => i < n / 2 ? rng.Next(2) : (double)(float)rng.NextDouble()).ToArray();
        var (loss, dZ, meanSigmoid) = Run(z, t, dLoss);

        AssertClose([BceWithLogitsReference.Forward(z, t)], [loss], Loss, "loss");
        AssertClose(BceWithLogitsReference.Backward(z, t, dLoss), dZ, Elementwise, "dZ");
        AssertClose([BceWithLogitsReference.MeanSigmoid(z)], [meanSigmoid], Loss, "mean σ(z)");
    }

    [TestCase(100.0)]
    [TestCase(1e4)]
    public void ExtremeLogitsGiveFiniteExactResults(double magnitude)
    {
        // (z, t) → ℓ, ∂ℓ/∂z = σ(z) − t:  (−L, 1) → L, −1   (L, 0) → L, 1   (−L, 0) → 0, 0   (L, 1) → 0, 0
        //                                  (L, 0.25) → 0.75·L, 0.75
        double L = magnitude;
        double[] z = [-L, L, -L, L, L];
        double[] t = [1, 0, 0, 1, 0.25];
        for (int i = 0; i < z.Length; i++)
        {
            var (loss, dZ, meanSigmoid) = Run([z[i]], [t[i]], dLoss: 1);
            Assert.That(float.IsFinite(loss) && float.IsFinite(dZ[0]) && float.IsFinite(meanSigmoid),
                $"z = {z[i]}, t = {t[i]}: loss {loss}, dZ {dZ[0]}, σ {meanSigmoid}");
            AssertClose([BceWithLogitsReference.Forward([z[i]], [t[i]])], [loss], Loss, $"loss(z = {z[i]}, t = {t[i]})");
            AssertClose(BceWithLogitsReference.Backward([z[i]], [t[i]], 1), dZ, Loss, $"dZ(z = {z[i]}, t = {t[i]})");
        }
        // The headline case: a confident wrong answer costs |z|.
        Assert.That(Run([-L], [1], 1).Loss, Is.EqualTo(L).Within(1e-6).Percent);
        // The whole batch at once, too: mean of L, L, 0, 0, 0.75·L.
        var batch = Run(z, t, dLoss: 1);
        Assert.That(batch.Loss, Is.EqualTo(2.75 * L / 5).Within(1e-5).Percent);
        Assert.That(batch.MeanSigmoid, Is.EqualTo(3.0 / 5).Within(1e-6));
    }

    [TestCase(-20.0, 0.0)]
    [TestCase(-5.0, 0.0)]
    [TestCase(30.0, 1.0)]
    public void ConfidentRightAnswersKeepRelativeAccuracy(double z, double t)
    {
        // ℓ = log(1 + e^−|z|) ≈ e^−|z| is tiny here; a naive log(1 + e) would give 0 (or lose digits) once
        // 1 + e rounds in float32. Relative 1e-5: a few float32 ulp of exp/log.
        double expected = BceWithLogitsReference.Forward([z], [t]);
        Assert.That(Run([z], [t], 1).Loss, Is.EqualTo(expected).Within(1e-3).Percent);
    }

    (float Loss, float[] DZ, float MeanSigmoid) Run(double[] z, double[] t, double dLoss)
    {
        var a = Device.Accelerator;
        var ops = BceWithLogitsOps<float>.On(Device);
        int n = z.Length;
        using var zt = DeviceTensor<float>.FromHost(a, ToFloat(z), n);
        using var tt = DeviceTensor<float>.FromHost(a, ToFloat(t), n);
        using var loss = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var dl = DeviceTensor<float>.FromHost(a, [(float)dLoss], 1);
        using var dz = DeviceTensor<float>.FromHost(a, NaNs(n), n);
        using var mean = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        ops.Forward(a.DefaultStream, zt.View, tt.View, loss.View);
        ops.Backward(a.DefaultStream, zt.View, tt.View, dl.View, dz.View);
        ops.MeanSigmoid(a.DefaultStream, zt.View, mean.View);
        return (loss.ToHost()[0], dz.ToHost(), mean.ToHost()[0]);
    }
}

public sealed class BceWithLogitsTestsCpu : BceWithLogitsTests { protected override string DeviceSpec => "cpu"; }
public sealed class BceWithLogitsTestsOpenCl : BceWithLogitsTests { protected override string DeviceSpec => "opencl"; }
public sealed class BceWithLogitsTestsCuda : BceWithLogitsTests { protected override string DeviceSpec => "cuda"; }

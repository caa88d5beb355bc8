using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class AdamTests : BackendTest
{
    [Test]
    public void Float32StepsMatchFloat64ReferenceAndClearGradients()
    {
        const int n = 1003, steps = 5;
        var settings = AdamSettings.Dcgan;
        var rng = new Random(3);
        double[] p = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 0.2 - 0.1)).ToArray();
        double[] m = new double[n], v = new double[n];
        var a = Device.Accelerator;
        var adam = AdamOps<float>.On(Device);
        using var pt = DeviceTensor<float>.FromHost(a, ToFloat(p), n);
        using var gt = new DeviceTensor<float>(a, n);
        using var mt = DeviceTensor<float>.FromHost(a, new float[n], n);
        using var vt = DeviceTensor<float>.FromHost(a, new float[n], n);

        for (int t = 1; t <= steps; t++)
        {
            // Gradients of mixed magnitudes (1e-4 … 1) and signs, some exactly zero.
            double[] g = Enumerable.Range(0, n).Select(i => i % 17 == 0 ? 0.0
                : (double)(float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, -4 * rng.NextDouble()))).ToArray();
            gt.CopyFrom(ToFloat(g));
            adam.Step(a.DefaultStream, settings, t, pt.View, gt.View, mt.View, vt.View);
            AdamReference.Step(settings, t, p, g, m, v);
            Assert.That(gt.ToHost(), Is.All.EqualTo(0f), $"step {t}: the step must clear the gradients");
        }
        AssertClose(m, mt.ToHost(), Optimizer, "m");
        AssertClose(v, vt.ToHost(), Optimizer, "v");
        AssertClose(p, pt.ToHost(), Optimizer, "p");
    }

    [Test]
    public void FirstStepMovesByLrTimesGOverAbsGPlusEps()
    {
        // At t = 1 the bias corrections cancel the (1 − β) factors exactly: m̂ = g, √v̂ = |g|, so
        // Δp = −lr · g / (|g| + eps) ≈ −lr·sign(g), and lr/2 where |g| = eps. lr = 1 makes Δp O(1), so the
        // Optimizer tolerance is a relative check here.
        var settings = new AdamSettings(LearningRate: 1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8);
        float[] g = [0.5f, -2f, 1e-3f, -1e-3f, 1e-8f, 0f, 3e4f];
        double[] expected = g.Select(x => -(double)x / (Math.Abs((double)x) + 1e-8)).ToArray();
        var a = Device.Accelerator;
        int n = g.Length;
        using var pt = DeviceTensor<float>.FromHost(a, new float[n], n);
        using var gt = DeviceTensor<float>.FromHost(a, g, n);
        using var mt = DeviceTensor<float>.FromHost(a, new float[n], n);
        using var vt = DeviceTensor<float>.FromHost(a, new float[n], n);
        AdamOps<float>.On(Device).Step(a.DefaultStream, settings, 1, pt.View, gt.View, mt.View, vt.View);
        AssertClose(expected, pt.ToHost(), Optimizer, "p after step 1");
        Assert.That(gt.ToHost(), Is.All.EqualTo(0f));
    }

    [Test]
    public void StepCountStartsAtOne()
    {
        var a = Device.Accelerator;
        using var x = new DeviceTensor<float>(a, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AdamOps<float>.On(Device).Step(a.DefaultStream, AdamSettings.Dcgan, 0, x.View, x.View, x.View, x.View));
    }
}

public sealed class AdamTestsCpu : AdamTests { protected override string DeviceSpec => "cpu"; }
public sealed class AdamTestsOpenCl : AdamTests { protected override string DeviceSpec => "opencl"; }
public sealed class AdamTestsCuda : AdamTests { protected override string DeviceSpec => "cuda"; }

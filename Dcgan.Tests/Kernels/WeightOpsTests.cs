using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>RMSprop's fused step, WGAN's weight clipping and the weights' EMA (WeightOps), on every backend.</summary>
public abstract class WeightOpsTests : BackendTest
{
    [Test]
    public void RmsPropStepsMatchFloat64ReferenceAndClearGradients()
    {
        const int n = 1003, steps = 5;
        var settings = new RmsPropSettings(LearningRate: 1e-3);
        var rng = new Random(5);
        double[] p = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 0.2 - 0.1)).ToArray();
        double[] v = new double[n];
        var a = Device.Accelerator;
        var ops = WeightOps<float>.On(Device);
        using var pt = DeviceTensor<float>.FromHost(a, ToFloat(p), n);
        using var gt = new DeviceTensor<float>(a, n);
        using var vt = DeviceTensor<float>.FromHost(a, new float[n], n);
        for (int t = 1; t <= steps; t++)
        {
            double[] g = Enumerable.Range(0, n).Select(i => i % 17 == 0 ? 0.0
                : (double)(float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, -4 * rng.NextDouble()))).ToArray();
            gt.CopyFrom(ToFloat(g));
            ops.RmsPropStep(a.DefaultStream, settings, pt.View, gt.View, vt.View);
            RmsPropReference.Step(settings, p, g, v);
            Assert.That(gt.ToHost(), Is.All.EqualTo(0f), $"step {t}: the step must clear the gradients");
        }
        AssertClose(v, vt.ToHost(), Optimizer, "square_avg");
        AssertClose(p, pt.ToHost(), Optimizer, "p");
    }

    [Test]
    public void RmsPropFirstStepMovesByLrOverSqrtOneMinusAlpha()
    {
        // From v = 0: v = (1 − α)·g², so Δp = −lr·g/(√(1−α)·|g| + eps) = −10·lr·sign(g) at α 0.99 where eps ≪ |g|,
        // and 0.01% less for g = 1e-3 (eps 1e-8 against √(1−α)·|g| = 1e-4).
        var settings = new RmsPropSettings(LearningRate: 0.01);
        float[] g = [0.5f, -2f, 1e-3f];
        var a = Device.Accelerator;
        using var pt = DeviceTensor<float>.FromHost(a, new float[3], 3);
        using var gt = DeviceTensor<float>.FromHost(a, g, 3);
        using var vt = DeviceTensor<float>.FromHost(a, new float[3], 3);
        WeightOps<float>.On(Device).RmsPropStep(a.DefaultStream, settings, pt.View, gt.View, vt.View);
        double[] expected = g.Select(x => -0.01 * x / (0.1 * Math.Abs((double)x) + 1e-8)).ToArray();
        Assert.That(expected[0], Is.EqualTo(-0.1).Within(1e-6));
        AssertClose(expected, pt.ToHost(), Optimizer, "p");
    }

    [Test]
    public void ClampBoundsEveryElementAndKeepsTheOthers()
    {
        float[] p = [-1f, -0.01f, -0.005f, 0f, 0.0099f, 0.02f, float.MaxValue];
        var a = Device.Accelerator;
        using var pt = DeviceTensor<float>.FromHost(a, p, p.Length);
        WeightOps<float>.On(Device).Clamp(a.DefaultStream, 0.01, pt.View);
        Assert.That(pt.ToHost(), Is.EqualTo(new[] { -0.01f, -0.01f, -0.005f, 0f, 0.0099f, 0.01f, 0.01f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightOps<float>.On(Device).Clamp(a.DefaultStream, 0, pt.View));
    }

    [Test]
    public void EmaMovesTheAverageTowardTheWeights()
    {
        // e = d·e + (1 − d)·p, three times from e = 0 with p fixed: e = (1 − d³)·p.
        const double d = 0.9;
        float[] p = [1f, -2f, 0.5f];
        var a = Device.Accelerator;
        using var pt = DeviceTensor<float>.FromHost(a, p, 3);
        using var et = DeviceTensor<float>.FromHost(a, new float[3], 3);
        for (int i = 0; i < 3; i++)
            WeightOps<float>.On(Device).Ema(a.DefaultStream, d, pt.View, et.View);
        AssertClose(p.Select(x => (1 - d * d * d) * x).ToArray(), et.ToHost(), Optimizer, "e");
    }
}

public sealed class WeightOpsTestsCpu : WeightOpsTests { protected override string DeviceSpec => "cpu"; }
public sealed class WeightOpsTestsOpenCl : WeightOpsTests { protected override string DeviceSpec => "opencl"; }
public sealed class WeightOpsTestsCuda : WeightOpsTests { protected override string DeviceSpec => "cuda"; }

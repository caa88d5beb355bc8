using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>
/// The gradient penalties (GradientPenaltyKernels, CriticPenalty) on every backend: the head P(g) and its gradient,
/// the whole penalty's parameter gradient through the critic's double backward (float64 finite differences), and the
/// float32 kernels against the float64 reference.
/// </summary>
public abstract class GradientPenaltyTests : BackendTest
{
    [Test]
    public void HeadGradientMatchesFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(PenaltyHeadCase.All(), Device);

    [Test]
    public void DoubleBackwardMatchesFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(PenaltyCase.All(), Device);

    [TestCase("wgan-gp", 1.0)]
    [TestCase("r1", 1.0)]
    [TestCase("r1", 16.0)] // lazy R1: the gradient weighs k times, the reported penalty does not
    public void Float32KernelsMatchFloat64Reference(string penalty, double scale)
    {
        const int n = 5, length = 37;
        var rng = new Random(7);
        // Row norms from ~0.2 to ~4, on both sides of WGAN-GP's target 1; the last row exactly zero (masked to 0).
        double[] g = Enumerable.Range(0, n * length)
            .Select(i => i / length == n - 1 ? 0 : (double)(float)((rng.NextDouble() - 0.5) * (0.1 + 0.3 * (i / length)))).ToArray();
        var form = penalty == "wgan-gp" ? PenaltyForm.WganGp(10) : PenaltyForm.R1(10);
        var d = Device.Accelerator;
        using var gt = DeviceTensor<float>.FromHost(d, ToFloat(g), n, length);
        using var norms = DeviceTensor<float>.FromHost(d, NaNs(n), n);
        using var p = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var u = DeviceTensor<float>.FromHost(d, NaNs(n * length), n, length);
        GradientPenaltyOps<float>.On(Device).PenaltyAndGradient(d.DefaultStream, form, gt.View, norms.View, p.View, u.View, scale);

        var expected = GradientPenaltyReference.Penalty(g, n, form.Weight, form.Center, scale);
        AssertClose(expected.Norms, norms.ToHost(), Reduction, "norms");
        AssertClose([expected.Penalty], p.ToHost(), Loss, "penalty");
        AssertClose(expected.Gradient, u.ToHost(), Elementwise, "u");
        Assert.That(u.ToHost().Skip((n - 1) * length), Is.All.EqualTo(0f), "a zero row's gradient is 0, not NaN");
    }

    [Test]
    public void InterpolationUsesOneAlphaPerSample()
    {
        const int n = 3, length = 10;
        var rng = new Random(3);
        double[] x = Enumerable.Range(0, n * length).Select(_ => (double)(float)rng.NextDouble()).ToArray();
        double[] f = Enumerable.Range(0, n * length).Select(_ => (double)(float)rng.NextDouble()).ToArray();
        double[] alpha = [0, 0.25, 1];
        var d = Device.Accelerator;
        using var xt = DeviceTensor<float>.FromHost(d, ToFloat(x), n, length);
        using var ft = DeviceTensor<float>.FromHost(d, ToFloat(f), n, length);
        using var at = DeviceTensor<float>.FromHost(d, ToFloat(alpha), n);
        using var y = DeviceTensor<float>.FromHost(d, NaNs(n * length), n, length);
        GradientPenaltyOps<float>.On(Device).Interpolate(d.DefaultStream, xt.View, ft.View, at.View, y.View);
        var host = y.ToHost();
        AssertClose(GradientPenaltyReference.Interpolate(x, f, alpha), host, Elementwise, "x̂");
        Assert.That(host.Take(length), Is.EqualTo(ToFloat(x).Take(length)), "α 0: the real sample");
        // α 1 gives f only up to rounding: x + (f − x) is PyTorch's formula too (real + α·(fake − real)).
    }

    [Test]
    public void UniformMatchesHostBitForBitAndLiesInTheUnitInterval()
    {
        const int n = 4096;
        const ulong seed = 77;
        var d = Device.Accelerator;
        using var y = DeviceTensor<float>.FromHost(d, NaNs(n), n);
        NormalRngOps.On(Device).Uniform(d.DefaultStream, seed, 1000, y.View);
        var device = y.ToHost();
        Assert.That(device, Is.EqualTo(NormalRngReference.Uniform(seed, 1000, n)));
        Assert.That(device, Is.All.GreaterThan(0f).And.All.LessThanOrEqualTo(1f));
        Assert.That(device.Average(), Is.EqualTo(0.5).Within(0.02));
    }
}

public sealed class GradientPenaltyTestsCpu : GradientPenaltyTests { protected override string DeviceSpec => "cpu"; }
public sealed class GradientPenaltyTestsOpenCl : GradientPenaltyTests { protected override string DeviceSpec => "opencl"; }
public sealed class GradientPenaltyTestsCuda : GradientPenaltyTests { protected override string DeviceSpec => "cuda"; }

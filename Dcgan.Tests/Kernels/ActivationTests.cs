using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class ActivationTests : BackendTest
{
    static readonly int[] Shape = [3, 5, 7, 3];

    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(ActivationCase.All(), Device);

    [TestCase(ActivationKind.Relu)]
    [TestCase(ActivationKind.LeakyRelu)]
    [TestCase(ActivationKind.Tanh)]
    [TestCase(ActivationKind.Sigmoid)]
    public void Float32KernelsMatchFloat64Reference(ActivationKind kind)
    {
        const double slope = 0.2;
        var rng = new Random(7);
        int n = Shape.Aggregate(1, (a, b) => a * b);
        // Wide range, including values where tanh/sigmoid saturate.
        double[] x = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 24 - 12)).ToArray();
        double[] dY = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Device.Accelerator;
        var ops = ActivationOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(x), Shape);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs(n), Shape);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(dY), Shape);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs(n), Shape);

        ops.Forward(a.DefaultStream, kind, (float)slope, xt.View, yt.View);
        float[] y = yt.ToHost();
        AssertClose(ActivationReference.Forward(kind, slope, x), y, Elementwise, $"{kind} y");

        ops.Backward(a.DefaultStream, kind, (float)slope, yt.View, dyt.View, dxt.View);
        // Backward's reference takes the kernel's own float32 y, so only the backward's rounding is compared.
        AssertClose(ActivationReference.Backward(kind, slope, ToDouble(y), dY), dxt.ToHost(), Elementwise, $"{kind} dX");
    }

    [Test]
    public void ForwardRunsInPlace()
    {
        var a = Device.Accelerator;
        float[] x = [-2f, -0.5f, 0f, 0.5f, 2f];
        using var t = DeviceTensor<float>.FromHost(a, x, x.Length);
        ActivationOps<float>.On(Device).Forward(a.DefaultStream, ActivationKind.LeakyRelu, 0.2f, t.View, t.View);
        Assert.That(t.ToHost(), Is.EqualTo(new[] { -0.4f, -0.1f, 0f, 0.5f, 2f }).Within(1e-7f));
    }
}

public sealed class ActivationTestsCpu : ActivationTests { protected override string DeviceSpec => "cpu"; }
public sealed class ActivationTestsOpenCl : ActivationTests { protected override string DeviceSpec => "opencl"; }
public sealed class ActivationTestsCuda : ActivationTests { protected override string DeviceSpec => "cuda"; }

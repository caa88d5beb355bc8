using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>
/// ConvTranspose2d runs on conv's kernels (forward = conv backward-data, and so on); the reference here is
/// written independently from the transposed conv's own scatter definition, so these tests prove the reuse.
/// </summary>
public abstract class ConvTranspose2dTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() =>
        GradcheckAssert.AllPass(ConvTranspose2dCase.All(), Device);

    // n, inC, h, w, outC, k, stride, pad: G's layers (1x1 -> 4x4, k4 s2 p1 doubling), odd sizes, cropping p2.
    [TestCase(2, 5, 1, 1, 4, 4, 1, 0)]
    [TestCase(2, 6, 4, 4, 3, 4, 2, 1)]
    [TestCase(3, 4, 5, 7, 5, 3, 1, 1)]
    [TestCase(2, 3, 4, 3, 2, 5, 2, 2)]
    public void Float32KernelsMatchFloat64Reference(int n, int inC, int h, int w, int outC, int k, int stride, int pad)
    {
        var g = new ConvTransposeGeometry(n, inC, h, w, outC, k, stride, pad);
        var s = ConvTranspose2d.Shape(n, inC, h, w, outC, k, stride, pad);
        var rng = new Random(13);
        double[] x = Conv2dTests.Uniform(rng, g.InputLength), wt = Conv2dTests.Uniform(rng, g.WeightLength);
        double[] dY = Conv2dTests.Uniform(rng, g.OutputLength), dW0 = Conv2dTests.Uniform(rng, g.WeightLength);
        var a = Device.Accelerator;
        var ops = ConvTranspose2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(x), n, inC, h, w);
        using var wtt = DeviceTensor<float>.FromHost(a, ToFloat(wt), inC, outC, k, k);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs(g.OutputLength), n, outC, g.OutH, g.OutW);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(dY), n, outC, g.OutH, g.OutW);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs(g.InputLength), n, inC, h, w);
        using var dwt = DeviceTensor<float>.FromHost(a, ToFloat(dW0), inC, outC, k, k);
        string what = $"conv-transpose [{n},{inC},{h},{w}] -> [{n},{outC},{g.OutH},{g.OutW}] k{k} s{stride} p{pad}";

        ops.Forward(a.DefaultStream, s, xt.View, wtt.View, yt.View);
        AssertClose(ConvReference.ConvTranspose2dForward(g, x, wt), yt.ToHost(), Convolution, $"{what} y");

        ops.BackwardData(a.DefaultStream, s, dyt.View, wtt.View, dxt.View);
        AssertClose(ConvReference.ConvTranspose2dBackwardData(g, dY, wt), dxt.ToHost(), Convolution, $"{what} dX");

        // dW starts from random values: the kernel must add its gradient onto them (accumulate, not overwrite).
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        double[] expectedDw = ConvReference.ConvTranspose2dBackwardWeight(g, x, dY)
            .Select((d, i) => (double)(float)dW0[i] + d).ToArray();
        AssertClose(expectedDw, dwt.ToHost(), Convolution, $"{what} dW0 + dW");
    }

    [Test]
    public void DcganLayerDoublesFourByFourToEightByEight()
    {
        // G's k4 s2 p1 layer, no output_padding: H -> 2H exactly.
        var s = ConvTranspose2d.Shape(2, 4, 4, 4, 3, 4, 2, 1);
        Assert.That((s.H, s.W), Is.EqualTo((8, 8)));
        var g = new ConvTransposeGeometry(2, 4, 4, 4, 3, 4, 2, 1);
        var rng = new Random(17);
        double[] x = Conv2dTests.Uniform(rng, g.InputLength), wt = Conv2dTests.Uniform(rng, g.WeightLength);
        var a = Device.Accelerator;
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(x), 2, 4, 4, 4);
        using var wtt = DeviceTensor<float>.FromHost(a, ToFloat(wt), 4, 3, 4, 4);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs(2 * 3 * 8 * 8), 2, 3, 8, 8);
        ConvTranspose2dOps<float>.On(Device).Forward(a.DefaultStream, s, xt.View, wtt.View, yt.View);
        AssertClose(ConvReference.ConvTranspose2dForward(g, x, wt), yt.ToHost(), Convolution, "4x4 -> 8x8 y");
    }

    [Test]
    public void BackwardWeightAccumulatesAndBackwardDataOverwrites()
    {
        var g = new ConvTransposeGeometry(2, 3, 3, 4, 2, 4, 2, 1);
        var s = ConvTranspose2d.Shape(2, 3, 3, 4, 2, 4, 2, 1);
        var rng = new Random(19);
        var a = Device.Accelerator;
        var ops = ConvTranspose2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, g.InputLength)), 2, 3, 3, 4);
        using var wtt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, g.WeightLength)), 3, 2, 4, 4);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, g.OutputLength)), 2, 2, g.OutH, g.OutW);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs(g.InputLength), 2, 3, 3, 4);
        using var dwt = DeviceTensor<float>.FromHost(a, new float[g.WeightLength], 3, 2, 4, 4);

        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        float[] once = dwt.ToHost();
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        Assert.That(dwt.ToHost(), Is.EqualTo(once.Select(v => 2 * v).ToArray()));
        Assert.That(once.Any(v => v != 0), "dW is all zero: nothing was computed");

        ops.BackwardData(a.DefaultStream, s, dyt.View, wtt.View, dxt.View);
        float[] first = dxt.ToHost();
        ops.BackwardData(a.DefaultStream, s, dyt.View, wtt.View, dxt.View);
        Assert.That(dxt.ToHost(), Is.EqualTo(first));
        Assert.That(first.All(float.IsFinite), "dX has unwritten (NaN) elements");
    }

    [Test]
    public void WrongViewLengthThrows()
    {
        var s = ConvTranspose2d.Shape(1, 2, 3, 3, 3, 4, 2, 1);
        var a = Device.Accelerator;
        using var x = new DeviceTensor<float>(a, 1, 2, 3, 3);
        using var w = new DeviceTensor<float>(a, 2, 3, 4, 4);
        using var y = new DeviceTensor<float>(a, 1, 3, 6, 5);
        Assert.Throws<ArgumentException>(() =>
            ConvTranspose2dOps<float>.On(Device).Forward(a.DefaultStream, s, x.View, w.View, y.View));
    }
}

public sealed class ConvTranspose2dTestsCpu : ConvTranspose2dTests { protected override string DeviceSpec => "cpu"; }
public sealed class ConvTranspose2dTestsOpenCl : ConvTranspose2dTests { protected override string DeviceSpec => "opencl"; }
public sealed class ConvTranspose2dTestsCuda : ConvTranspose2dTests { protected override string DeviceSpec => "cuda"; }

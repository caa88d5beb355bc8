using Dcgan.Kernels.Conv;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class Conv2dTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(Conv2dCase.All(), Device);

    // n, c, h, w, oc, k, stride, pad: odd sizes, uneven floor (7x6 k5 s2 p2), D's halving and its last 4->1 layer.
    [TestCase(3, 5, 9, 7, 6, 3, 1, 1)]
    [TestCase(2, 3, 7, 6, 5, 5, 2, 2)]
    [TestCase(2, 3, 8, 8, 4, 4, 2, 1)]
    [TestCase(2, 4, 4, 4, 1, 4, 1, 0)]
    public void Float32KernelsMatchFloat64Reference(int n, int c, int h, int w, int oc, int k, int stride, int pad)
    {
        var s = ConvShape.Create(n, c, h, w, oc, k, stride, pad);
        var rng = new Random(11);
        double[] x = Uniform(rng, s.InputLength), wt = Uniform(rng, s.WeightLength);
        double[] dY = Uniform(rng, s.OutputLength), dW0 = Uniform(rng, s.WeightLength);
        var a = Device.Accelerator;
        var ops = Conv2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(x), n, c, h, w);
        using var wtt = DeviceTensor<float>.FromHost(a, ToFloat(wt), oc, c, k, k);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs((int)s.OutputLength), n, oc, s.OH, s.OW);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(dY), n, oc, s.OH, s.OW);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs((int)s.InputLength), n, c, h, w);
        using var dwt = DeviceTensor<float>.FromHost(a, ToFloat(dW0), oc, c, k, k);

        ops.Forward(a.DefaultStream, s, xt.View, wtt.View, yt.View);
        AssertClose(ConvReference.Conv2dForward(s, x, wt), yt.ToHost(), Convolution, $"{s} y");

        ops.BackwardData(a.DefaultStream, s, dyt.View, wtt.View, dxt.View);
        AssertClose(ConvReference.Conv2dBackwardData(s, dY, wt), dxt.ToHost(), Convolution, $"{s} dX");

        // dW starts from random values: the kernel must add its gradient onto them (accumulate, not overwrite).
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        double[] expectedDw = ConvReference.Conv2dBackwardWeight(s, x, dY).Select((g, i) => (double)(float)dW0[i] + g).ToArray();
        AssertClose(expectedDw, dwt.ToHost(), Convolution, $"{s} dW0 + dW");
    }

    [Test]
    public void BackwardWeightAccumulatesAndBackwardDataOverwrites()
    {
        var s = ConvShape.Create(2, 3, 5, 6, 4, 3, 2, 1);
        var rng = new Random(5);
        var a = Device.Accelerator;
        var ops = Conv2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(Uniform(rng, s.InputLength)), 2, 3, 5, 6);
        using var wtt = DeviceTensor<float>.FromHost(a, ToFloat(Uniform(rng, s.WeightLength)), 4, 3, 3, 3);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(Uniform(rng, s.OutputLength)), 2, 4, s.OH, s.OW);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs((int)s.InputLength), 2, 3, 5, 6);
        using var dwt = DeviceTensor<float>.FromHost(a, new float[s.WeightLength], 4, 3, 3, 3);

        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        float[] once = dwt.ToHost();
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View);
        // g + g is exact in float32 and the kernel sums in a fixed order, so twice is exactly double.
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
        var s = ConvShape.Create(1, 2, 4, 4, 3, 3, 1, 1);
        var a = Device.Accelerator;
        using var x = new DeviceTensor<float>(a, 1, 2, 4, 4);
        using var w = new DeviceTensor<float>(a, 3, 2, 3, 3);
        using var y = new DeviceTensor<float>(a, 1, 3, 4, 3);
        Assert.Throws<ArgumentException>(() =>
            Conv2dOps<float>.On(Device).Forward(a.DefaultStream, s, x.View, w.View, y.View));
    }

    /// <summary>O(1) values that float32 holds exactly, so float32 and float64 runs see the same inputs.</summary>
    internal static double[] Uniform(Random rng, long count) =>
        Enumerable.Range(0, (int)count).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
}

public sealed class Conv2dTestsCpu : Conv2dTests { protected override string DeviceSpec => "cpu"; }
public sealed class Conv2dTestsOpenCl : Conv2dTests { protected override string DeviceSpec => "opencl"; }
public sealed class Conv2dTestsCuda : Conv2dTests { protected override string DeviceSpec => "cuda"; }

/// <summary>The shape arithmetic alone: no device.</summary>
public sealed class ConvShapeTests
{
    [TestCase(8, 4, 2, 1, 4)]   // D: k4 s2 p1 halves
    [TestCase(4, 4, 1, 0, 1)]   // D's last layer: 4x4 -> 1x1
    [TestCase(8, 5, 2, 2, 4)]   // floor: (8 + 4 − 5)/2 + 1 = 3 + 1 (7/2 = 3)
    [TestCase(6, 5, 2, 2, 3)]   // floor: (6 + 4 − 5)/2 + 1 = 3 (5/2 = 2)
    [TestCase(9, 3, 1, 1, 9)]   // "same" padding
    public void OutputSizeFollowsPyTorch(int h, int k, int stride, int pad, int expected)
    {
        var s = ConvShape.Create(1, 1, h, h, 1, k, stride, pad);
        Assert.That((s.OH, s.OW), Is.EqualTo((expected, expected)));
    }

    [TestCase(0, 1, 4, 4, 1, 3, 1, 0)]
    [TestCase(1, 1, 4, 4, 1, 3, 0, 0)]
    [TestCase(1, 1, 4, 4, 1, 3, 1, -1)]
    [TestCase(1, 1, 2, 4, 1, 5, 1, 0)]
    public void InvalidShapeThrows(int n, int c, int h, int w, int oc, int k, int stride, int pad) =>
        Assert.Throws<ArgumentException>(() => ConvShape.Create(n, c, h, w, oc, k, stride, pad));

    [TestCase(4, 4, 2, 1, 8)]   // G: k4 s2 p1 doubles
    [TestCase(1, 4, 1, 0, 4)]   // G's first layer: 1x1 -> 4x4
    [TestCase(3, 5, 2, 2, 5)]   // (3 − 1)·2 − 4 + 5
    public void TransposedShapeMapsBack(int h, int k, int stride, int pad, int expectedOut)
    {
        var s = ConvTranspose2d.Shape(2, 5, h, h, 3, k, stride, pad);
        Assert.That((s.H, s.W, s.OH, s.OW, s.C, s.OC), Is.EqualTo((expectedOut, expectedOut, h, h, 3, 5)));
    }
}

using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class TensorOpsTests : BackendTest
{
    const int N = 37;

    static float[] RandomValues(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    [Test]
    public void FillWritesEveryElement()
    {
        var a = Device.Accelerator;
        using var y = DeviceTensor<float>.FromHost(a, NaNs(N), N);
        TensorOps<float>.On(Device).Fill(a.DefaultStream, 2.5f, y.View);
        Assert.That(y.ToHost(), Is.All.EqualTo(2.5f));
    }

    [Test]
    public void CopyIsExact()
    {
        var a = Device.Accelerator;
        float[] x = RandomValues(1);
        using var xt = DeviceTensor<float>.FromHost(a, x, N);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs(N), N);
        TensorOps<float>.On(Device).Copy(a.DefaultStream, xt.View, yt.View);
        Assert.That(yt.ToHost(), Is.EqualTo(x));
    }

    [Test]
    public void ScaleIsOneCorrectlyRoundedMultiplyOutOfPlaceAndInPlace()
    {
        // One IEEE multiply per element is correctly rounded on every backend, so the result is exact.
        var a = Device.Accelerator;
        var ops = TensorOps<float>.On(Device);
        const float alpha = -0.37f;
        float[] x = RandomValues(2);
        float[] expected = x.Select(v => alpha * v).ToArray();
        using var xt = DeviceTensor<float>.FromHost(a, x, N);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs(N), N);
        ops.Scale(a.DefaultStream, alpha, xt.View, yt.View);
        Assert.That(yt.ToHost(), Is.EqualTo(expected), "out of place");
        Assert.That(xt.ToHost(), Is.EqualTo(x), "out of place must leave x alone");
        ops.Scale(a.DefaultStream, alpha, xt.View, xt.View);
        Assert.That(xt.ToHost(), Is.EqualTo(expected), "in place");
    }

    [Test]
    public void GenericInFloat64()
    {
        var a = Device.Accelerator;
        var ops = TensorOps<double>.On(Device);
        double[] x = [1.5, -2.25, 1e-300, 3];
        using var xt = DeviceTensor<double>.FromHost(a, x, x.Length);
        using var yt = new DeviceTensor<double>(a, x.Length);
        ops.Fill(a.DefaultStream, double.NaN, yt.View);
        ops.Copy(a.DefaultStream, xt.View, yt.View);
        ops.Scale(a.DefaultStream, 0.5, yt.View, yt.View);
        Assert.That(yt.ToHost(), Is.EqualTo(x.Select(v => 0.5 * v).ToArray()));
    }

    [Test]
    public void LengthMismatchThrows()
    {
        var a = Device.Accelerator;
        using var x = new DeviceTensor<float>(a, 3);
        using var y = new DeviceTensor<float>(a, 4);
        Assert.Throws<ArgumentException>(() => TensorOps<float>.On(Device).Copy(a.DefaultStream, x.View, y.View));
    }
}

public sealed class TensorOpsTestsCpu : TensorOpsTests { protected override string DeviceSpec => "cpu"; }
public sealed class TensorOpsTestsOpenCl : TensorOpsTests { protected override string DeviceSpec => "opencl"; }
public sealed class TensorOpsTestsCuda : TensorOpsTests { protected override string DeviceSpec => "cuda"; }

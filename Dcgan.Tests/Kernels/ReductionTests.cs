using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class ReductionTests : BackendTest
{
    // n below P (most partials empty), n just above P, and an odd n over ~39 elements per partial.
    [TestCase(5, ReductionOps<float>.DefaultPartials)]
    [TestCase(257, ReductionOps<float>.DefaultPartials)]
    [TestCase(10_007, ReductionOps<float>.DefaultPartials)]
    [TestCase(10_007, 1)]
    [TestCase(10_007, 1000)]
    public void L2NormMatchesFloat64Reference(int n, int partials)
    {
        double[] x = RandomValues(n, seed: n);
        float norm = L2Norm(ToFloat(x), partials);
        AssertClose([ReductionReference.L2Norm(x)], [norm], Reduction, $"‖x‖ (n = {n}, P = {partials})");
    }

    [Test]
    public void L2NormIsBitwiseRepeatable()
    {
        float[] x = ToFloat(RandomValues(10_007, seed: 5));
        int first = BitConverter.SingleToInt32Bits(L2Norm(x, ReductionOps<float>.DefaultPartials));
        for (int run = 0; run < 5; run++)
            Assert.That(BitConverter.SingleToInt32Bits(L2Norm(x, ReductionOps<float>.DefaultPartials)), Is.EqualTo(first), $"run {run}");
    }

    /// <summary>
    /// The lockstep pass 1 (PoCL's) gives bitwise the partials of the per-work-item one, at lengths with a partial
    /// round (past-the-end steps add 0²) and below P; groups of 16 so that the CPU accelerator can run it too.
    /// </summary>
    [TestCase(5)]
    [TestCase(10_007)]
    [TestCase(4 * 64 * 3)]
    public void LockstepPartialsAreThePerWorkItemPartials(int n)
    {
        const int parts = 64, group = 16;
        var a = Device.Accelerator;
        using var x = DeviceTensor<float>.FromHost(a, ToFloat(RandomValues(n, seed: n + 1)), n);
        using var plain = DeviceTensor<float>.FromHost(a, NaNs(parts), parts);
        using var lockstep = DeviceTensor<float>.FromHost(a, NaNs(parts), parts);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(
            Dcgan.Kernels.Tensor.ReductionKernels.SumSquaresPartials)(parts, x.View, plain.View);
        a.LoadStreamKernel<ArrayView<float>, ArrayView<float>>(
            Dcgan.Kernels.Tensor.ReductionKernels.SumSquaresPartialsLockstep)(new KernelConfig(parts / group, group), x.View, lockstep.View);
        a.Synchronize();
        Assert.That(lockstep.ToHost().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(plain.ToHost().Select(BitConverter.SingleToInt32Bits)));
    }

    static float[] NaNs(int n) => Enumerable.Repeat(float.NaN, n).ToArray();

    [Test]
    public void L2NormOfZerosIsZero() => Assert.That(L2Norm(new float[300], 256), Is.EqualTo(0f));

    [Test]
    public void L2NormInFloat64()
    {
        double[] x = RandomValues(1001, seed: 9);
        var a = Device.Accelerator;
        using var xt = DeviceTensor<double>.FromHost(a, x, x.Length);
        using var partials = new DeviceTensor<double>(a, 256);
        using var norm = DeviceTensor<double>.FromHost(a, [double.NaN], 1);
        ReductionOps<double>.On(Device).L2Norm(a.DefaultStream, xt.View, partials.View, norm.View);
        Assert.That(norm.ToHost()[0], Is.EqualTo(ReductionReference.L2Norm(x)).Within(1e-12).Percent);
    }

    [TestCase(float.NaN, 0)]
    [TestCase(float.NaN, 499)]
    [TestCase(float.NaN, 998)]
    [TestCase(float.PositiveInfinity, 0)]
    [TestCase(float.PositiveInfinity, 499)]
    [TestCase(float.PositiveInfinity, 998)]
    [TestCase(float.NegativeInfinity, 0)]
    [TestCase(float.NegativeInfinity, 499)]
    [TestCase(float.NegativeInfinity, 998)]
    public void NonFiniteFlagCatchesEveryPosition(float bad, int position)
    {
        float[] x = CleanValues();
        x[position] = bad;
        Assert.That(NonFiniteFlag(x), Is.EqualTo(1));
    }

    [Test]
    public void NonFiniteFlagStaysClearOnFiniteExtremes() => Assert.That(NonFiniteFlag(CleanValues()), Is.EqualTo(0));

    /// <summary>999 finite values, including the largest and the smallest (subnormal) float32 magnitudes.</summary>
    static float[] CleanValues()
    {
        float[] x = ToFloat(RandomValues(999, seed: 2));
        x[1] = float.MaxValue;
        x[2] = -float.MaxValue;
        x[3] = float.Epsilon;
        x[997] = -0f;
        return x;
    }

    int NonFiniteFlag(float[] x)
    {
        var a = Device.Accelerator;
        var ops = ReductionOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, x, x.Length);
        using var flag = DeviceTensor<int>.FromHost(a, [7], 1); // garbage: ClearFlag must reset it
        ops.ClearFlag(a.DefaultStream, flag.View);
        ops.FlagNonFinite(a.DefaultStream, xt.View, flag.View);
        return flag.ToHost()[0];
    }

    float L2Norm(float[] x, int partialCount)
    {
        var a = Device.Accelerator;
        using var xt = DeviceTensor<float>.FromHost(a, x, x.Length);
        using var partials = DeviceTensor<float>.FromHost(a, NaNs(partialCount), partialCount);
        using var norm = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        ReductionOps<float>.On(Device).L2Norm(a.DefaultStream, xt.View, partials.View, norm.View);
        return norm.ToHost()[0];
    }

    static double[] RandomValues(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
    }
}

public sealed class ReductionTestsCpu : ReductionTests { protected override string DeviceSpec => "cpu"; }
public sealed class ReductionTestsOpenCl : ReductionTests { protected override string DeviceSpec => "opencl"; }
public sealed class ReductionTestsCuda : ReductionTests { protected override string DeviceSpec => "cuda"; }

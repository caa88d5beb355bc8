using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>Per-parameter gradient norms and clip_grad_norm_ against the float64 reference.</summary>
public abstract class GradClipTests : BackendTest
{
    // Segments as a parameter arena lays them out: 16-aligned offsets, odd lengths, one shorter than P, one
    // empty-tailed by padding, one much longer than P. The padding holds large values: a kernel that reads
    // past a segment's length gets the wrong norm.
    static readonly int[] Offsets = [0, 16, 48, 1056];
    static readonly int[] Lengths = [5, 17, 1001, 3];
    const int ArenaLength = 1072;

    static double[] Arena(int seed)
    {
        var rng = new Random(seed);
        var g = Enumerable.Repeat(1000.0, ArenaLength).ToArray();
        for (int s = 0; s < Offsets.Length; s++)
            for (int k = 0; k < Lengths[s]; k++)
                g[Offsets[s] + k] = (float)(rng.NextDouble() * 2 - 1);
        return g;
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(GradClipOps<float>.DefaultParts)]
    public void SegmentNormsMatchTheReference(int parts)
    {
        double[] g = Arena(3);
        float[] norms = SegmentNorms(ToFloat(g), parts);
        AssertClose(GradClipReference.SegmentNorms(g, Offsets, Lengths), norms, Reduction, $"segment norms (P = {parts})");
    }

    [Test]
    public void SegmentNormsAreBitwiseRepeatable()
    {
        float[] g = ToFloat(Arena(4));
        float[] first = SegmentNorms(g, 64);
        for (int run = 0; run < 3; run++)
            Assert.That(SegmentNorms(g, 64), Is.EqualTo(first), $"run {run}");
    }

    [TestCase(0.5)]   // clips: the norm is ~18
    [TestCase(1e6)]   // leaves the gradients alone
    public void ClipMatchesClipGradNorm(double maxNorm)
    {
        double[] g = Arena(5);
        double norm = ReductionReference.L2Norm(g);
        var a = Device.Accelerator;
        using var gt = DeviceTensor<float>.FromHost(a, ToFloat(g), g.Length);
        using var nt = DeviceTensor<float>.FromHost(a, [(float)norm], 1);
        GradClipOps<float>.On(Device).ClipByNorm(a.DefaultStream, gt.View, nt.View, maxNorm);
        float[] clipped = gt.ToHost();
        AssertClose(GradClipReference.Clip(g, (float)norm, maxNorm), clipped, Elementwise, $"clipped g (max {maxNorm})");
        if (maxNorm > norm)
            Assert.That(clipped, Is.EqualTo(ToFloat(g)), "below the maximum the gradients must be untouched, bit for bit");
        else
            Assert.That(ReductionReference.L2Norm(ToDouble(clipped)), Is.EqualTo(maxNorm).Within(1e-4).Percent);
    }

    /// <summary>
    /// The lockstep pass 1 (PoCL's: one group per segment) gives bitwise the partials of the per-work-item one, at P = 7
    /// and 16 (segments shorter than P, and one with a partial round).
    /// </summary>
    [TestCase(7)]
    [TestCase(16)]
    public void LockstepPartialsAreThePerWorkItemPartials(int parts)
    {
        var a = Device.Accelerator;
        float[] g = ToFloat(Arena(6));
        using var gt = DeviceTensor<float>.FromHost(a, g, g.Length);
        using var off = DeviceTensor<int>.FromHost(a, Offsets, Offsets.Length);
        using var len = DeviceTensor<int>.FromHost(a, Lengths, Lengths.Length);
        int n = Offsets.Length * parts;
        using var plain = DeviceTensor<float>.FromHost(a, NaNs(n), n);
        using var lockstep = DeviceTensor<float>.FromHost(a, NaNs(n), n);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, int, ArrayView<float>>(
            Dcgan.Kernels.Optim.GradClipKernels.SegmentSumSquaresPartials)(n, gt.View, off.View, len.View, parts, plain.View);
        a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>>(
            Dcgan.Kernels.Optim.GradClipKernels.SegmentSumSquaresPartialsLockstep)(new KernelConfig(Offsets.Length, parts), gt.View, off.View, len.View, lockstep.View);
        a.Synchronize();
        Assert.That(lockstep.ToHost().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(plain.ToHost().Select(BitConverter.SingleToInt32Bits)));
    }

    [Test]
    public void SegmentNormsInFloat64()
    {
        double[] g = Arena(8);
        var a = Device.Accelerator;
        using var gt = DeviceTensor<double>.FromHost(a, g, g.Length);
        using var off = DeviceTensor<int>.FromHost(a, Offsets, Offsets.Length);
        using var len = DeviceTensor<int>.FromHost(a, Lengths, Lengths.Length);
        using var scratch = new DeviceTensor<double>(a, Offsets.Length * 5);
        using var norms = DeviceTensor<double>.FromHost(a, [.. Enumerable.Repeat(double.NaN, Offsets.Length)], Offsets.Length);
        GradClipOps<double>.On(Device).SegmentNorms(a.DefaultStream, gt.View, off.View, len.View, scratch.View, norms.View);
        var expected = GradClipReference.SegmentNorms(g, Offsets, Lengths);
        var actual = norms.ToHost();
        for (int s = 0; s < expected.Length; s++)
            Assert.That(actual[s], Is.EqualTo(expected[s]).Within(1e-12).Percent, $"segment {s}");
    }

    float[] SegmentNorms(float[] g, int parts)
    {
        var a = Device.Accelerator;
        using var gt = DeviceTensor<float>.FromHost(a, g, g.Length);
        using var off = DeviceTensor<int>.FromHost(a, Offsets, Offsets.Length);
        using var len = DeviceTensor<int>.FromHost(a, Lengths, Lengths.Length);
        using var scratch = DeviceTensor<float>.FromHost(a, NaNs(Offsets.Length * parts), Offsets.Length * parts);
        using var norms = DeviceTensor<float>.FromHost(a, NaNs(Offsets.Length), Offsets.Length);
        GradClipOps<float>.On(Device).SegmentNorms(a.DefaultStream, gt.View, off.View, len.View, scratch.View, norms.View);
        return norms.ToHost();
    }
}

public sealed class GradClipTestsCpu : GradClipTests { protected override string DeviceSpec => "cpu"; }
public sealed class GradClipTestsOpenCl : GradClipTests { protected override string DeviceSpec => "opencl"; }
public sealed class GradClipTestsCuda : GradClipTests { protected override string DeviceSpec => "cuda"; }

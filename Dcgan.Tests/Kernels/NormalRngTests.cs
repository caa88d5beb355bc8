using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class NormalRngTests : BackendTest
{
    const int N = 10_000;
    const ulong Seed = 0x0123_4567_89AB_CDEF;

    // Offset 2^32 − 5,000 makes the launch cross into the counter's high word half-way.
    [TestCase(0L)]
    [TestCase(4_294_962_296L)]
    public void DeviceMatchesHostBitForBit(long offset)
    {
        // Bit-exact by design (integer Philox, exact uniforms, Box–Muller in float64 rounded once to float32);
        // see Dcgan.Kernels/Rng/NormalRngKernels.cs for the one (~2^-29 per value) way a backend could differ.
        float[] device = Generate(Seed, offset, N);
        float[] host = NormalRngReference.Normal(Seed, offset, N);
        for (int i = 0; i < N; i++)
            if (BitConverter.SingleToInt32Bits(device[i]) != BitConverter.SingleToInt32Bits(host[i]))
                Assert.Fail($"y[{i}] (position {offset + i}): device {device[i]:R} vs host {host[i]:R}");
    }

    [Test]
    public void LooksStandardNormal()
    {
        float[] y = Generate(Seed, 0, N);
        double mean = y.Average(v => (double)v);
        double variance = y.Sum(v => (v - mean) * (v - mean)) / (N - 1);
        // Standard errors for N = 10,000: mean 1/√N = 0.01, variance √(2/N) ≈ 0.014; bounds at 5 of them.
        Assert.That(mean, Is.EqualTo(0).Within(0.05), "mean");
        Assert.That(variance, Is.EqualTo(1).Within(0.07), "variance");
        // Tails: P(|z| > 3) = 0.27%, i.e. 27 ± 5.2 expected; and no value beyond Box–Muller's 8.57 cap.
        int beyond3 = y.Count(v => Math.Abs(v) > 3);
        Assert.That(beyond3, Is.InRange(5, 60), "values beyond 3σ");
        Assert.That(y.Max(Math.Abs), Is.LessThan(8.6f));
    }

    [Test]
    public void MeanAndStdShiftAndScale()
    {
        // DCGAN's BatchNorm weight init: N(1, 0.02²).
        float[] y = Generate(Seed, 0, N, mean: 1, std: 0.02);
        float[] host = NormalRngReference.Normal(Seed, 0, N, mean: 1, std: 0.02);
        Assert.That(y, Is.EqualTo(host));
        Assert.That(y.Average(v => (double)v), Is.EqualTo(1).Within(0.001));
    }

    [Test]
    public void AnySliceRegeneratesAlone()
    {
        float[] all = Generate(Seed, 0, 2_000);
        float[] slice = Generate(Seed, 1_234, 321);
        Assert.That(slice, Is.EqualTo(all.Skip(1_234).Take(321).ToArray()));
    }

    [Test]
    public void DifferentSeedsDiffer()
    {
        float[] a = Generate(1, 0, N);
        float[] b = Generate(2, 0, N);
        float[] c = Generate(1UL << 32, 0, N); // seeds differing only in the key's high word
        Assert.That(Enumerable.Range(0, N).Count(i => a[i] == b[i]), Is.LessThan(5));
        Assert.That(Enumerable.Range(0, N).Count(i => a[i] == c[i]), Is.LessThan(5));
    }

    float[] Generate(ulong seed, long offset, int count, double mean = 0, double std = 1)
    {
        var a = Device.Accelerator;
        using var y = DeviceTensor<float>.FromHost(a, NaNs(count), count);
        NormalRngOps.On(Device).Normal(a.DefaultStream, seed, offset, y.View, mean, std);
        return y.ToHost();
    }
}

public sealed class NormalRngTestsCpu : NormalRngTests { protected override string DeviceSpec => "cpu"; }
public sealed class NormalRngTestsOpenCl : NormalRngTests { protected override string DeviceSpec => "opencl"; }
public sealed class NormalRngTestsCuda : NormalRngTests { protected override string DeviceSpec => "cuda"; }

/// <summary>The host generator's Philox4x32-10 against Random123's published known-answer vectors (kat_vectors).</summary>
public sealed class NormalRngReferenceTests
{
    [TestCase(new uint[] { 0, 0, 0, 0 }, new uint[] { 0, 0 },
        new uint[] { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 })]
    [TestCase(new uint[] { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, new uint[] { 0xffffffff, 0xffffffff },
        new uint[] { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd })]
    [TestCase(new uint[] { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, new uint[] { 0xa4093822, 0x299f31d0 },
        new uint[] { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 })]
    public void PhiloxMatchesRandom123KnownAnswers(uint[] counter, uint[] key, uint[] expected) =>
        Assert.That(NormalRngReference.Philox4x32x10(counter, key), Is.EqualTo(expected));

    [Test]
    public void DeviceCodeMatchesKnownAnswerOnTheHostToo()
    {
        // The kernel's own Philox (plain C#, so callable here) must agree with the separately written reference.
        var r = Dcgan.Kernels.Rng.Philox4x32.Generate(new(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), 0xa4093822, 0x299f31d0);
        Assert.That(new[] { r.X0, r.X1, r.X2, r.X3 }, Is.EqualTo(new uint[] { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 }));
    }
}

using Dcgan.Kernels.Augment;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>DiffAugment's translation and cutout (DiffAugmentKernels), on every backend.</summary>
public abstract class DiffAugmentTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(DiffAugmentCase.All(), Device);

    [TestCase("translation", 32)]
    [TestCase("cutout", 32)]
    [TestCase("translation,cutout", 32)]
    [TestCase("translation,cutout", 15)]
    public void Float32KernelMatchesTheOfficialCodesComputation(string policy, int size)
    {
        const int n = 24, c = 2;
        var shape = DiffAugmentPolicy.Parse(policy)!.ShapeFor(c, size, size);
        var rng = new Random(5);
        double[] x = Enumerable.Range(0, n * shape.PerSample).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
        // Uniforms at both ends of (0, 1] too: the extreme shifts and squares.
        float[] u = Enumerable.Range(0, n * DiffAugmentShape.UniformsPerSample)
            .Select(i => i < 8 ? 1f : i < 16 ? 1e-7f : (float)(1 - rng.NextDouble())).ToArray();
        var d = Device.Accelerator;
        using var xt = DeviceTensor<float>.FromHost(d, ToFloat(x), x.Length);
        using var ut = DeviceTensor<float>.FromHost(d, u, u.Length);
        using var y = DeviceTensor<float>.FromHost(d, NaNs(x.Length), x.Length);
        DiffAugmentOps<float>.On(Device).Forward(d.DefaultStream, shape, xt.View, ut.View, y.View);
        // A copy or a zero: exact.
        Assert.That(y.ToHost(), Is.EqualTo(ToFloat(DiffAugmentReference.Forward(x, u, shape))));
    }

    [Test]
    public void ShapesThatDoNotFitAreRefused()
    {
        var shape = DiffAugmentPolicy.Parse("cutout")!.ShapeFor(1, 8, 8);
        var d = Device.Accelerator;
        using var x = new DeviceTensor<float>(d, 2 * 64);
        using var u = new DeviceTensor<float>(d, 4);
        using var y = new DeviceTensor<float>(d, 2 * 64);
        Assert.That(() => DiffAugmentOps<float>.On(Device).Forward(d.DefaultStream, shape, x.View, u.View, y.View),
            Throws.ArgumentException.With.Message.EqualTo("u has 4 uniforms, 2 samples need 8"));
    }
}

/// <summary>DiffAugment's parameters as the official code draws them (host only).</summary>
public sealed class DiffAugmentParameterTests
{
    [Test]
    public void TheParametersCoverTheOfficialRangesAndTheImageMoves()
    {
        // 32×32: shifts in −4..4, the 16×16 square's centre in 0..32 (torch.randint(0, 33)).
        var shape = DiffAugmentPolicy.Parse("translation,cutout")!.ShapeFor(1, 32, 32);
        Assert.That((shape.ShiftH, shape.ShiftW, shape.CutH, shape.CutW), Is.EqualTo((4, 4, 16, 16)));
        float[] u = Enumerable.Range(1, 4000).Select(i => i / 4000f).ToArray();
        var draws = Enumerable.Range(0, 1000).Select(k => DiffAugmentReference.Parameters(u, k, shape)).ToList();
        Assert.That(draws.Select(p => p.ShiftRow).Distinct().Order(), Is.EqualTo(Enumerable.Range(-4, 9)));
        Assert.That(draws.Select(p => p.CentreCol).Distinct().Order(), Is.EqualTo(Enumerable.Range(0, 33)));
        // One pixel, shifted by (ty, tx) = (+4, −4) (u = 1 draws the largest, u → 0 the smallest), reads x[r + 4, q − 4].
        var translate = DiffAugmentPolicy.Parse("translation")!.ShapeFor(1, 32, 32);
        var image = new double[32 * 32];
        image[10 * 32 + 10] = 1;
        var moved = DiffAugmentReference.Forward(image, [1f, 1e-7f, 0.5f, 0.5f], translate);
        Assert.That(Array.IndexOf(moved, 1.0), Is.EqualTo(6 * 32 + 14));
        Assert.That(moved.Sum(), Is.EqualTo(1));
    }
}

public sealed class DiffAugmentTestsCpu : DiffAugmentTests { protected override string DeviceSpec => "cpu"; }
public sealed class DiffAugmentTestsOpenCl : DiffAugmentTests { protected override string DeviceSpec => "opencl"; }
public sealed class DiffAugmentTestsCuda : DiffAugmentTests { protected override string DeviceSpec => "cuda"; }

using Dcgan.Kernels.SpectralNorm;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>Spectral normalisation (SpectralNormKernels), torch.nn.utils.spectral_norm semantics, on every backend.</summary>
public abstract class SpectralNormTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(SpectralNormCase.All(), Device);

    // Weights: a small odd conv; a conv with more rows than the CPU accelerator's group (16), more columns than a
    // GPU group (256) and a ragged Frobenius partition (8,976 elements, 36 parts); a small odd transposed conv; a
    // transposed conv with 320 columns and 12 parts. Conv2d takes (OC, C, K), ConvTranspose2d (IC, OC, K).
    const string Conv = "conv2d", Transposed = "conv-transpose2d";

    static SpectralNormShape Shape(string kind, int a, int b, int k) =>
        kind == Conv ? SpectralNormShape.Conv2d(a, b, k) : SpectralNormShape.ConvTranspose2d(a, b, k);

    [TestCase(Conv, 5, 3, 4, 1)]
    [TestCase(Conv, 5, 3, 4, 3)]
    [TestCase(Conv, 33, 17, 4, 1)]
    [TestCase(Conv, 33, 17, 4, 3)]
    [TestCase(Transposed, 4, 3, 3, 1)]
    [TestCase(Transposed, 4, 3, 3, 3)]
    [TestCase(Transposed, 20, 9, 4, 1)]
    [TestCase(Transposed, 20, 9, 4, 3)]
    public void PowerIterationMatchesFloat64Reference(string kind, int a, int b, int k, int iterations)
    {
        var shape = Shape(kind, a, b, k);
        var rng = new Random(21);
        double[] w = RandomValues(rng, shape.Length);
        double[] u = UnitRandom(rng, shape.Rows), v = UnitRandom(rng, shape.Cols);
        var d = Device.Accelerator;
        var ops = SpectralNormOps<float>.On(Device);
        using var wt = DeviceTensor<float>.FromHost(d, ToFloat(w), shape.Length);
        using var ut = DeviceTensor<float>.FromHost(d, ToFloat(u), shape.Rows);
        using var vt = DeviceTensor<float>.FromHost(d, ToFloat(v), shape.Cols);
        using var sigma = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var scratch = NaNScratch(shape);
        double expectedSigma = 0;
        for (int n = 0; n < iterations; n++)
        {
            ops.PowerIteration(d.DefaultStream, shape, wt.View, ut.View, vt.View, sigma.View, scratch.View);
            expectedSigma = SpectralNormReference.PowerIteration(shape, w, u, v);
        }
        string what = $"{shape} after {iterations} iteration(s)";
        AssertClose(u, ut.ToHost(), SpectralNorm, $"{what}: u");
        AssertClose(v, vt.ToHost(), SpectralNorm, $"{what}: v");
        AssertClose([expectedSigma], sigma.ToHost(), SpectralNorm, $"{what}: σ");
    }

    [TestCase(Conv, 5, 3, 4)]
    [TestCase(Conv, 33, 17, 4)]
    [TestCase(Transposed, 4, 3, 3)]
    [TestCase(Transposed, 20, 9, 4)]
    public void EvalSigmaMatchesFloat64ReferenceAndLeavesUAndVAlone(string kind, int a, int b, int k)
    {
        var shape = Shape(kind, a, b, k);
        var rng = new Random(22);
        double[] w = RandomValues(rng, shape.Length);
        float[] u = ToFloat(UnitRandom(rng, shape.Rows)), v = ToFloat(UnitRandom(rng, shape.Cols));
        var d = Device.Accelerator;
        using var wt = DeviceTensor<float>.FromHost(d, ToFloat(w), shape.Length);
        using var ut = DeviceTensor<float>.FromHost(d, u, shape.Rows);
        using var vt = DeviceTensor<float>.FromHost(d, v, shape.Cols);
        using var sigma = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var scratch = NaNScratch(shape);
        SpectralNormOps<float>.On(Device).Sigma(d.DefaultStream, shape, wt.View, ut.View, vt.View, sigma.View, scratch.View);
        AssertClose([SpectralNormReference.Sigma(shape, w, ToDouble(u), ToDouble(v))], sigma.ToHost(), SpectralNorm,
            $"{shape}: eval σ");
        Assert.That(ut.ToHost(), Is.EqualTo(u), "eval must not update u");
        Assert.That(vt.ToHost(), Is.EqualTo(v), "eval must not update v");
    }

    [TestCase(Conv, 33, 17, 4)]
    [TestCase(Transposed, 4, 3, 3)]
    public void NormalizeMatchesFloat64Reference(string kind, int a, int b, int k)
    {
        var shape = Shape(kind, a, b, k);
        double[] w = RandomValues(new Random(23), shape.Length);
        const double sigma = 2.75;
        var d = Device.Accelerator;
        using var wt = DeviceTensor<float>.FromHost(d, ToFloat(w), shape.Length);
        using var st = DeviceTensor<float>.FromHost(d, [(float)sigma], 1);
        using var wSn = DeviceTensor<float>.FromHost(d, NaNs(shape.Length), shape.Length);
        SpectralNormOps<float>.On(Device).Normalize(d.DefaultStream, shape, wt.View, st.View, wSn.View);
        AssertClose(SpectralNormReference.Normalize(w, sigma), wSn.ToHost(), Elementwise, $"{shape}: W_SN");
    }

    [TestCase(Conv, 5, 3, 4)]
    [TestCase(Conv, 33, 17, 4)]
    [TestCase(Transposed, 4, 3, 3)]
    [TestCase(Transposed, 20, 9, 4)]
    public void BackwardMatchesFloat64ReferenceAndAccumulates(string kind, int a, int b, int k)
    {
        var shape = Shape(kind, a, b, k);
        var rng = new Random(24);
        double[] w = RandomValues(rng, shape.Length);
        double[] u = UnitRandom(rng, shape.Rows), v = UnitRandom(rng, shape.Cols);
        for (int n = 0; n < 3; n++)
            SpectralNormReference.PowerIteration(shape, w, u, v);
        u = ToDouble(ToFloat(u));
        v = ToDouble(ToFloat(v));
        double sigma = (float)SpectralNormReference.Sigma(shape, w, u, v);
        double[] wSn = ToDouble(ToFloat(SpectralNormReference.Normalize(w, sigma)));
        double[] dWsn = RandomValues(rng, shape.Length);
        double[] dW = RandomValues(rng, shape.Length); // accumulates onto what is there
        var d = Device.Accelerator;
        using var dWsnT = DeviceTensor<float>.FromHost(d, ToFloat(dWsn), shape.Length);
        using var wSnT = DeviceTensor<float>.FromHost(d, ToFloat(wSn), shape.Length);
        using var ut = DeviceTensor<float>.FromHost(d, ToFloat(u), shape.Rows);
        using var vt = DeviceTensor<float>.FromHost(d, ToFloat(v), shape.Cols);
        using var st = DeviceTensor<float>.FromHost(d, [(float)sigma], 1);
        using var dWt = DeviceTensor<float>.FromHost(d, ToFloat(dW), shape.Length);
        using var scratch = NaNScratch(shape);
        var ops = SpectralNormOps<float>.On(Device);
        for (int run = 0; run < 2; run++)
        {
            ops.Backward(d.DefaultStream, shape, dWsnT.View, wSnT.View, ut.View, vt.View, st.View, dWt.View, scratch.View);
            SpectralNormReference.Backward(shape, dWsn, wSn, u, v, sigma, dW);
        }
        AssertClose(dW, dWt.ToHost(), SpectralNorm, $"{shape}: dW after two backward passes");
    }

    [TestCase(Conv)]
    [TestCase(Transposed)]
    public void SigmaConvergesToTheTopSingularValue(string kind)
    {
        // M = H₁ · diag(3, 1, 0.5, 0) · H₂ with Householder reflections H (orthogonal): singular values 3, 1, 0.5, 0,
        // top left singular vector H₁e₀. The power iteration converges like (1/3)^(2n).
        var shape = kind == Conv ? SpectralNormShape.Conv2d(4, 3, 2) : SpectralNormShape.ConvTranspose2d(3, 4, 2);
        var rng = new Random(25);
        double[,] h1 = Householder(RandomValues(rng, 4)), h2 = Householder(RandomValues(rng, 12));
        var diag = new double[4, 12];
        diag[0, 0] = 3; diag[1, 1] = 1; diag[2, 2] = 0.5;
        double[] w = SpectralNormReference.FromMatrix(shape, Multiply(Multiply(h1, diag), h2));
        var d = Device.Accelerator;
        var ops = SpectralNormOps<float>.On(Device);
        using var wt = DeviceTensor<float>.FromHost(d, ToFloat(w), shape.Length);
        using var ut = DeviceTensor<float>.FromHost(d, ToFloat(UnitRandom(rng, shape.Rows)), shape.Rows);
        using var vt = DeviceTensor<float>.FromHost(d, NaNs(shape.Cols), shape.Cols);
        using var sigma = new DeviceTensor<float>(d, 1);
        using var scratch = NaNScratch(shape);
        for (int n = 0; n < 50; n++)
            ops.PowerIteration(d.DefaultStream, shape, wt.View, ut.View, vt.View, sigma.View, scratch.View);
        Assert.That(sigma.ToHost()[0], Is.EqualTo(3).Within(1e-5), "σ after 50 power iterations");
        float[] u = ut.ToHost();
        double alignment = Enumerable.Range(0, 4).Sum(r => u[r] * h1[r, 0]);
        Assert.That(Math.Abs(alignment), Is.EqualTo(1).Within(1e-5), "u is ± the top left singular vector");

        // W_SN = W / σ has spectral norm 1.
        using var wSn = DeviceTensor<float>.FromHost(d, NaNs(shape.Length), shape.Length);
        using var sigmaSn = new DeviceTensor<float>(d, 1);
        ops.Normalize(d.DefaultStream, shape, wt.View, sigma.View, wSn.View);
        ops.Sigma(d.DefaultStream, shape, wSn.View, ut.View, vt.View, sigmaSn.View, scratch.View);
        Assert.That(sigmaSn.ToHost()[0], Is.EqualTo(1).Within(1e-5), "σ(W_SN)");
    }

    [Test]
    public void TransposedLayoutMatchesTheConvLayoutOfThePermutedWeight()
    {
        // A ConvTranspose2d weight [IC, OC, K, K], and the same numbers permuted on the host to [OC, IC, K, K] and seen
        // as a Conv2d weight: PyTorch's permute(1, 0, 2, 3). Every result must agree, in the permuted layout.
        const int ic = 3, oc = 5, k = 3, kk = k * k;
        var transposed = SpectralNormShape.ConvTranspose2d(ic, oc, k);
        var conv = SpectralNormShape.Conv2d(oc, ic, k);
        var rng = new Random(26);
        float[] w = ToFloat(RandomValues(rng, transposed.Length));
        float[] dWsn = ToFloat(RandomValues(rng, transposed.Length));
        float[] u = ToFloat(UnitRandom(rng, oc));
        float[] Permute(float[] x)
        {
            var y = new float[x.Length];
            for (int i = 0; i < ic; i++)
                for (int o = 0; o < oc; o++)
                    for (int q = 0; q < kk; q++)
                        y[(o * ic + i) * kk + q] = x[(i * oc + o) * kk + q];
            return y;
        }

        var t = RunAll(transposed, w, u, dWsn);
        var c = RunAll(conv, Permute(w), u, dWsn: Permute(dWsn));
        AssertClose(ToDouble(c.U), t.U, Elementwise, "u");
        AssertClose(ToDouble(c.V), t.V, Elementwise, "v");
        AssertClose([c.Sigma], [t.Sigma], Elementwise, "σ");
        AssertClose(ToDouble(c.WSn), Permute(t.WSn), Elementwise, "W_SN");
        AssertClose(ToDouble(c.DW), Permute(t.DW), Elementwise, "dW");
    }

    [TestCase(Conv, 33, 17, 4)]
    [TestCase(Transposed, 20, 9, 4)]
    public void EveryResultIsBitwiseRepeatable(string kind, int a, int b, int k)
    {
        var shape = Shape(kind, a, b, k);
        var rng = new Random(27);
        float[] w = ToFloat(RandomValues(rng, shape.Length));
        float[] dWsn = ToFloat(RandomValues(rng, shape.Length));
        float[] u = ToFloat(UnitRandom(rng, shape.Rows));
        var first = RunAll(shape, w, u, dWsn);
        for (int run = 0; run < 3; run++)
        {
            var again = RunAll(shape, w, u, dWsn);
            Assert.That(Bits(again.U), Is.EqualTo(Bits(first.U)), $"run {run}: u");
            Assert.That(Bits(again.V), Is.EqualTo(Bits(first.V)), $"run {run}: v");
            Assert.That(Bits([again.Sigma]), Is.EqualTo(Bits([first.Sigma])), $"run {run}: σ");
            Assert.That(Bits(again.WSn), Is.EqualTo(Bits(first.WSn)), $"run {run}: W_SN");
            Assert.That(Bits(again.DW), Is.EqualTo(Bits(first.DW)), $"run {run}: dW");
        }
    }

    [Test]
    public void MismatchedLengthsAreRejectedByName()
    {
        var shape = SpectralNormShape.ConvTranspose2d(4, 3, 3);
        var d = Device.Accelerator;
        var ops = SpectralNormOps<float>.On(Device);
        using var w = new DeviceTensor<float>(d, shape.Length);
        using var u = new DeviceTensor<float>(d, shape.Rows);
        using var v = new DeviceTensor<float>(d, shape.Cols);
        using var wrong = new DeviceTensor<float>(d, shape.Cols + 1);
        using var sigma = new DeviceTensor<float>(d, 1);
        using var scratch = new DeviceTensor<float>(d, SpectralNormOps<float>.ScratchLength(shape));
        var s = d.DefaultStream;
        Assert.That(() => ops.PowerIteration(s, shape, w.View, v.View, v.View, sigma.View, scratch.View),
            Throws.ArgumentException.With.Message.StartsWith("u has 36 elements, expected 3"));
        Assert.That(() => ops.Sigma(s, shape, w.View, u.View, wrong.View, sigma.View, scratch.View),
            Throws.ArgumentException.With.Message.StartsWith("v has"));
        Assert.That(() => ops.Normalize(s, shape, w.View, u.View, w.View),
            Throws.ArgumentException.With.Message.StartsWith("sigma has"));
        Assert.That(() => ops.Backward(s, shape, w.View, w.View, u.View, v.View, sigma.View, w.View, wrong.View),
            Throws.ArgumentException.With.Message.StartsWith("scratch has"));
        Assert.That(() => ops.Sigma(s, default, w.View, u.View, v.View, sigma.View, scratch.View),
            Throws.ArgumentException.With.Message.Contains("invalid spectral norm shape"));
    }

    /// <summary>Two power iterations, W_SN, then one backward onto dW = 0: everything a training step computes.</summary>
    (float[] U, float[] V, float Sigma, float[] WSn, float[] DW) RunAll(SpectralNormShape shape, float[] w, float[] u,
        float[] dWsn)
    {
        var d = Device.Accelerator;
        var ops = SpectralNormOps<float>.On(Device);
        using var wt = DeviceTensor<float>.FromHost(d, w, shape.Length);
        using var ut = DeviceTensor<float>.FromHost(d, u, shape.Rows);
        using var vt = DeviceTensor<float>.FromHost(d, NaNs(shape.Cols), shape.Cols);
        using var sigma = DeviceTensor<float>.FromHost(d, NaNs(1), 1);
        using var wSn = DeviceTensor<float>.FromHost(d, NaNs(shape.Length), shape.Length);
        using var dWsnT = DeviceTensor<float>.FromHost(d, dWsn, shape.Length);
        using var dW = DeviceTensor<float>.FromHost(d, new float[shape.Length], shape.Length);
        using var scratch = NaNScratch(shape);
        var s = d.DefaultStream;
        for (int n = 0; n < 2; n++)
            ops.PowerIteration(s, shape, wt.View, ut.View, vt.View, sigma.View, scratch.View);
        ops.Normalize(s, shape, wt.View, sigma.View, wSn.View);
        ops.Backward(s, shape, dWsnT.View, wSn.View, ut.View, vt.View, sigma.View, dW.View, scratch.View);
        return (ut.ToHost(), vt.ToHost(), sigma.ToHost()[0], wSn.ToHost(), dW.ToHost());
    }

    DeviceTensor<float> NaNScratch(SpectralNormShape shape)
    {
        int length = SpectralNormOps<float>.ScratchLength(shape);
        return DeviceTensor<float>.FromHost(Device.Accelerator, NaNs(length), length);
    }

    /// <summary>U(−1, 1) values that float32 holds exactly, so the reference sees the kernels' inputs.</summary>
    static double[] RandomValues(Random rng, int count) =>
        Enumerable.Range(0, count).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();

    /// <summary>A random unit vector (PyTorch's init draws normalize(randn)), rounded to float32.</summary>
    static double[] UnitRandom(Random rng, int count) =>
        ToDouble(ToFloat(SpectralNormReference.L2Normalize(RandomValues(rng, count))));

    static int[] Bits(float[] x) => x.Select(BitConverter.SingleToInt32Bits).ToArray();

    static double[,] Householder(double[] n)
    {
        double squared = n.Sum(e => e * e);
        var h = new double[n.Length, n.Length];
        for (int i = 0; i < n.Length; i++)
            for (int j = 0; j < n.Length; j++)
                h[i, j] = (i == j ? 1 : 0) - 2 * n[i] * n[j] / squared;
        return h;
    }

    static double[,] Multiply(double[,] a, double[,] b)
    {
        var c = new double[a.GetLength(0), b.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < b.GetLength(1); j++)
                for (int q = 0; q < a.GetLength(1); q++)
                    c[i, j] += a[i, q] * b[q, j];
        return c;
    }
}

public sealed class SpectralNormTestsCpu : SpectralNormTests { protected override string DeviceSpec => "cpu"; }
public sealed class SpectralNormTestsOpenCl : SpectralNormTests { protected override string DeviceSpec => "opencl"; }
public sealed class SpectralNormTestsCuda : SpectralNormTests { protected override string DeviceSpec => "cuda"; }

// Every numbered conv variant (Dcgan.Kernels/Conv/Conv2d<Pass>Variants.cs), every pass, against the float64
// reference (ConvReference), on every backend: float32 with NaN-prefilled outputs and a randomly prefilled dW
// (BackwardWeight must add), float64 (the same generic kernels the gradcheck uses), a forced multi-chunk
// batch, and bitwise reproducibility. The production dispatch is covered by Conv2dTests and the gradcheck.
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

public abstract class Conv2dVariantTests : BackendTest
{
    /// <summary>Float64 kernels vs the float64 reference: only summation order differs.</summary>
    static readonly Tolerance Float64Convolution = new(1e-12, 1e-12,
        "float64 sums of ≤ 2,000 O(1) products in a different order than the reference");

    static IEnumerable<int> Variants => Enumerable.Range(1, Conv2dOps<float>.VariantCount);

    // n, c, h, w, oc, k, stride, pad. Tiny enough for the CPU accelerator; odd against the 8×16 tile (OC 6, 5, 1, 9
    // rows; C·K² 45, 75, 48 columns), stride 1 and 2, padding 0–2, kernel 3–5, a floor-truncated input (7×6 k5
    // s2 p2), D's last layer (4×4 → 1×1: one output pixel, non-contiguous GEMM columns) and a 16-pixel output
    // (8×8 k4 s2 p1 → 4×4) that takes the register tile's fast path; the last shape has OC 8, C·K² 32 and
    // P 16, so every pass of versions 4 and 5 runs FastTile8x16 (full tiles only), and version 5's padded rows.
    static readonly int[][] TinyShapes =
    [
        [3, 5, 9, 7, 6, 3, 1, 1],
        [2, 3, 7, 6, 5, 5, 2, 2],
        [2, 4, 4, 4, 1, 4, 1, 0],
        [3, 3, 8, 8, 9, 4, 2, 1],
        [2, 2, 5, 5, 3, 4, 1, 2],
        [2, 2, 8, 8, 8, 4, 2, 1],
    ];

    // Real DCGAN layers at batch 3 and odd shapes whose GEMMs span several tiles with remainders (too slow for
    // the CPU accelerator's thread simulator, ~1000× slower than PoCL).
    static readonly int[][] LargerShapes =
    [
        [3, 64, 8, 8, 128, 4, 2, 1],     // D 64→128 (at 8×8 instead of 32×32): P = 16, C·K² = 1024
        [3, 128, 4, 4, 1, 4, 1, 0],      // D's last layer (at 128 channels)
        [3, 100, 4, 4, 70, 4, 1, 0],     // G's first layer seen as a conv (ConvTranspose 70→100 1×1 → 4×4)
        [3, 3, 16, 16, 64, 4, 2, 1],     // D's first layer at 16×16: C·K² = 48, P = 64
        [3, 13, 19, 17, 21, 5, 2, 2],    // odd everything
        [4, 7, 12, 12, 19, 3, 1, 1],     // stride 1, P = 144
        [4, 8, 16, 16, 16, 4, 2, 1],     // cn·P = 256: version 5 pads col/colGrad rows; full tiles (version 4/5 fast)
        [2, 16, 8, 8, 16, 4, 2, 1],      // C·K² = 256: version 5 pads colT rows; full tiles
    ];

    public static IEnumerable<TestCaseData> TinyCases() =>
        TinyShapes.SelectMany(s => Variants.Select(v => new TestCaseData(v, s).SetArgDisplayNames($"v{v}", Name(s))));

    public static IEnumerable<TestCaseData> LargerCases() =>
        LargerShapes.SelectMany(s => Variants.Select(v => new TestCaseData(v, s).SetArgDisplayNames($"v{v}", Name(s))));

    static string Name(int[] s) => $"[{s[0]},{s[1]},{s[2]},{s[3]}]x{s[4]} k{s[5]} s{s[6]} p{s[7]}";

    /// <summary>True for the CPU accelerator: the larger shapes are skipped there, visibly.</summary>
    protected virtual bool TinyOnly => false;

    [Test]
    public void FastShapeRunsFastTileInEveryPass()
    {
        // The last tiny shape must really exercise versions 4/5's kernel, padded and not, in all three passes.
        var s = ConvShape.Create(2, 2, 8, 8, 8, 4, 2, 1);
        int cols = 2 * s.OH * s.OW, ckk = s.C * s.K * s.K;
        foreach (int pad in new[] { 0, Conv2dOps<float>.RowPad })
        {
            Assert.That(Conv2dOps<float>.FastTileApplies(Conv2dForwardVariants.Gemm(s, 2, cols + pad, ConvGemm.TileRows)));
            Assert.That(Conv2dOps<float>.FastTileApplies(Conv2dBackwardDataVariants.Gemm(s, 2, cols + pad, ConvGemm.TileRows)));
            Assert.That(Conv2dOps<float>.FastTileApplies(
                Conv2dBackwardWeightVariants.GemmTransposed(s, 2, ckk + pad, ConvGemm.TileRows)));
        }
    }

    [TestCaseSource(nameof(TinyCases))]
    public void TinyShapeMatchesReference(int variant, int[] shape) => CheckAll(variant, shape);

    [TestCaseSource(nameof(LargerCases))]
    public void LargerShapeMatchesReference(int variant, int[] shape)
    {
        if (TinyOnly)
            Assert.Ignore("larger shapes run on PoCL and CUDA only: the CPU accelerator is ~1000x slower");
        CheckAll(variant, shape);
    }

    /// <summary>
    /// Version 10 with its reduction forced into one split (the kernel writes C) and into three (partial products and
    /// SplitKReduce), on a tiny shape everywhere and a real layer's shape off the CPU accelerator.
    /// </summary>
    [TestCase(1)]
    [TestCase(3)]
    public void Version10MatchesReferenceWithForcedSplits(int splits)
    {
        Conv2dOps<float>.On(Device).SplitsOverride = splits;
        Conv2dOps<double>.On(Device).SplitsOverride = splits;
        try
        {
            CheckAll(10, [3, 3, 8, 8, 9, 4, 2, 1]);
            if (!TinyOnly)
                CheckAll(10, [3, 64, 8, 8, 128, 4, 2, 1]);
        }
        finally
        {
            Conv2dOps<float>.On(Device).SplitsOverride = null;
            Conv2dOps<double>.On(Device).SplitsOverride = null;
        }
    }

    void CheckAll(int variant, int[] d)
    {
        var s = ConvShape.Create(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
        var rng = new Random(17);
        double[] x = Conv2dTests.Uniform(rng, s.InputLength), w = Conv2dTests.Uniform(rng, s.WeightLength);
        double[] dY = Conv2dTests.Uniform(rng, s.OutputLength), dW0 = Conv2dTests.Uniform(rng, s.WeightLength);
        double[] y = ConvReference.Conv2dForward(s, x, w);
        double[] dX = ConvReference.Conv2dBackwardData(s, dY, w);
        double[] dW = ConvReference.Conv2dBackwardWeight(s, x, dY);
        string what = $"v{variant} {s}";
        var tolerance = s.C * s.K * s.K > 1000 || s.OC * s.K * s.K > 1000 ? LongConvolution : Convolution;

        // float32, whole batch in one chunk, then in chunks of 2 samples (the last one shorter).
        foreach (int chunk in new[] { int.MaxValue, 2 })
        {
            var (yf, dxf, dwf) = RunFloat(variant, s, x, w, dY, dW0, chunk);
            AssertClose(y, yf, tolerance, $"{what} chunk {chunk} y");
            AssertClose(dX, dxf, tolerance, $"{what} chunk {chunk} dX");
            // dW started from dW0 (rounded to float32): the kernel must add onto it.
            AssertClose(dW.Select((g, i) => (double)(float)dW0[i] + g).ToArray(), dwf, tolerance, $"{what} chunk {chunk} dW0 + dW");
        }

        // float64: the same generic kernels as the gradcheck's, so rounding is 1e-16-level.
        var (yd, dxd, dwd) = RunDouble(variant, s, x, w, dY);
        AssertCloseDouble(y, yd, $"{what} float64 y");
        AssertCloseDouble(dX, dxd, $"{what} float64 dX");
        AssertCloseDouble(dW, dwd, $"{what} float64 dW");
    }

    (float[] Y, float[] DX, float[] DW) RunFloat(int variant, ConvShape s, double[] x, double[] w, double[] dY,
        double[] dW0, int chunk)
    {
        var a = Device.Accelerator;
        var ops = Conv2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(x), (int)s.InputLength);
        using var wt = DeviceTensor<float>.FromHost(a, ToFloat(w), (int)s.WeightLength);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(dY), (int)s.OutputLength);
        using var yt = DeviceTensor<float>.FromHost(a, NaNs((int)s.OutputLength), (int)s.OutputLength);
        using var dxt = DeviceTensor<float>.FromHost(a, NaNs((int)s.InputLength), (int)s.InputLength);
        using var dwt = DeviceTensor<float>.FromHost(a, ToFloat(dW0), (int)s.WeightLength);
        ops.Forward(a.DefaultStream, s, xt.View, wt.View, yt.View, variant, chunk);
        ops.BackwardData(a.DefaultStream, s, dyt.View, wt.View, dxt.View, variant, chunk);
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View, variant, chunk);
        return (yt.ToHost(), dxt.ToHost(), dwt.ToHost());
    }

    (double[] Y, double[] DX, double[] DW) RunDouble(int variant, ConvShape s, double[] x, double[] w, double[] dY)
    {
        var a = Device.Accelerator;
        var ops = Conv2dOps<double>.On(Device);
        using var xt = DeviceTensor<double>.FromHost(a, x, (int)s.InputLength);
        using var wt = DeviceTensor<double>.FromHost(a, w, (int)s.WeightLength);
        using var dyt = DeviceTensor<double>.FromHost(a, dY, (int)s.OutputLength);
        using var yt = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, (int)s.OutputLength).ToArray(), (int)s.OutputLength);
        using var dxt = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, (int)s.InputLength).ToArray(), (int)s.InputLength);
        using var dwt = DeviceTensor<double>.FromHost(a, new double[s.WeightLength], (int)s.WeightLength);
        ops.Forward(a.DefaultStream, s, xt.View, wt.View, yt.View, variant);
        ops.BackwardData(a.DefaultStream, s, dyt.View, wt.View, dxt.View, variant);
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View, variant);
        return (yt.ToHost(), dxt.ToHost(), dwt.ToHost());
    }

    static void AssertCloseDouble(double[] expected, double[] actual, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: element count");
        var t = Float64Convolution;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= t.Atol + t.Rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: kernel {actual[i]:R} vs reference {expected[i]:R} ({t.Reason})");
        }
    }

    /// <summary>Same inputs, same variant → bitwise the same outputs; dW from zero, run twice, doubles exactly.</summary>
    [TestCaseSource(nameof(Variants))]
    public void RunsAreBitwiseReproducibleAndDwAccumulates(int variant)
    {
        var s = ConvShape.Create(2, 3, 8, 8, 9, 4, 2, 1);
        var rng = new Random(3);
        var a = Device.Accelerator;
        var ops = Conv2dOps<float>.On(Device);
        using var xt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, s.InputLength)), (int)s.InputLength);
        using var wt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, s.WeightLength)), (int)s.WeightLength);
        using var dyt = DeviceTensor<float>.FromHost(a, ToFloat(Conv2dTests.Uniform(rng, s.OutputLength)), (int)s.OutputLength);
        using var yt = new DeviceTensor<float>(a, (int)s.OutputLength);
        using var dxt = new DeviceTensor<float>(a, (int)s.InputLength);
        using var dwt = DeviceTensor<float>.FromHost(a, new float[s.WeightLength], (int)s.WeightLength);

        ops.Forward(a.DefaultStream, s, xt.View, wt.View, yt.View, variant);
        ops.BackwardData(a.DefaultStream, s, dyt.View, wt.View, dxt.View, variant);
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View, variant);
        float[] y1 = yt.ToHost(), dx1 = dxt.ToHost(), dw1 = dwt.ToHost();
        ops.Forward(a.DefaultStream, s, xt.View, wt.View, yt.View, variant);
        ops.BackwardData(a.DefaultStream, s, dyt.View, wt.View, dxt.View, variant);
        ops.BackwardWeight(a.DefaultStream, s, xt.View, dyt.View, dwt.View, variant);
        Assert.That(yt.ToHost(), Is.EqualTo(y1), "y differs between runs");
        Assert.That(dxt.ToHost(), Is.EqualTo(dx1), "dX differs between runs");
        // One chunk: g + g is exact in float32, so twice is exactly double.
        Assert.That(dwt.ToHost(), Is.EqualTo(dw1.Select(v => 2 * v).ToArray()), "dW did not accumulate exactly");
        Assert.That(dw1.Any(v => v != 0), "dW is all zero: nothing was computed");
    }

    [Test]
    public void UnknownVariantThrows()
    {
        var s = ConvShape.Create(1, 1, 3, 3, 1, 3, 1, 1);
        var a = Device.Accelerator;
        using var t = new DeviceTensor<float>(a, 9);
        using var w = new DeviceTensor<float>(a, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Conv2dOps<float>.On(Device).Forward(a.DefaultStream, s, t.View, w.View, t.View, Conv2dOps<float>.VariantCount + 1));
    }
}

public sealed class Conv2dVariantTestsCpu : Conv2dVariantTests
{
    protected override string DeviceSpec => "cpu";
    protected override bool TinyOnly => true;
}

public sealed class Conv2dVariantTestsOpenCl : Conv2dVariantTests { protected override string DeviceSpec => "opencl"; }
public sealed class Conv2dVariantTestsCuda : Conv2dVariantTests { protected override string DeviceSpec => "cuda"; }

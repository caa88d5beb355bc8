// The Stride2K4 kernels of conv versions 6 and 7 (Dcgan.Kernels/Conv/Stride2K4.cs) against the general kernels they
// stand in for on DCGAN's strided layers: Im2colPixelPanels (forward's B), Im2colTapPanels (the weight gradient's B)
// and Col2imRows (the input gradient's col2im). Bitwise the same outputs, NaN-prefilled so that every element must
// be written (and NaN in colGrad's pad columns, which must never be read), at shapes where a panel's 16 pixels span
// samples (P = 4, P = 1), the last panel is partial (n·P = 12), the padding covers whole rows (p = 2), and a dX row
// is wider than the device's group (32 columns on ILGPU's CPU accelerator, 16 threads per group) — plus which shapes
// Conv2dOps sends to them; and version 9 against version 7 through Conv2dOps, bitwise, for all three passes.
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Kernels;

public abstract class Stride2K4Tests : BackendTest
{
    // n, c, h, w, pad: every one K = 4, stride 2, output sides powers of two.
    static readonly int[][] Shapes =
    [
        [3, 2, 8, 8, 1],      // DCGAN's k4 s2 p1 to 4×4 (P = 16)
        [3, 1, 4, 4, 1],      // 2×2 outputs: a panel spans samples, n·P = 12 leaves a partial panel
        [2, 3, 16, 16, 1],    // 8×8 outputs, three channels
        [2, 1, 2, 2, 1],      // 1×1 outputs (P = 1)
        [2, 1, 32, 32, 1],    // 16×16 outputs: 32 columns, two column blocks where groups hold 16 threads
        [2, 2, 6, 6, 2],      // pad 2: whole padded rows and columns, H = 6
    ];

    public static IEnumerable<TestCaseData> Cases() => Shapes.Select(s =>
        new TestCaseData(s).SetArgDisplayNames($"[{s[0]},{s[1]},{s[2]},{s[3]}] p{s[4]}"));

    static ConvShape Shape(int[] s) => ConvShape.Create(s[0], s[1], s[2], s[3], 5, 4, 2, s[4]);

    int MaxGroup => Math.Min(256, Device.Accelerator.MaxNumThreadsPerGroup);

    [TestCaseSource(nameof(Cases))]
    public void PixelLanesWriteWhatTheRowRunsWrite(int[] dims)
    {
        var s = Shape(dims);
        Assert.That(Stride2K4.Applies(s, MaxGroup), Is.True);
        var g = Conv2dForwardVariants.PanelGemm(s, s.N);
        int p = s.OH * s.OW, rows = MaxGroup / Stride2K4.Taps;
        var general = Device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ConvShape, int, int, ArrayView<float>>(
            Conv2dForwardVariants.Im2colPixelPanels);
        var fast = Device.Accelerator.LoadStreamKernel<ArrayView<float>, ConvShape, int, int, int, ArrayView<float>>(Stride2K4.PixelLanes);
        int threads = (s.N + (s.N * p % 16 == 0 ? 0 : 1)) * g.Kp;
        Compare(s.InputLength, g.PackedBLength,
            (x, dst) => general(threads, x, s, s.N, g.Kp, dst),
            (x, dst) => fast(new KernelConfig(new Index2D(g.ColTiles, g.Kp / rows), new Index2D(Stride2K4.Taps, rows)),
                x, s, s.N, Stride2K4.Log2(s.OW), Stride2K4.Log2(p), dst));
    }

    [TestCaseSource(nameof(Cases))]
    public void TapLanesWriteWhatTheRowRunsWrite(int[] dims)
    {
        var s = Shape(dims);
        var g = Conv2dBackwardWeightVariants.PanelGemm(s, s.N);
        int p = s.OH * s.OW, rows = MaxGroup / Stride2K4.Taps;
        var general = Device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ConvShape, int, int, ArrayView<float>>(
            Conv2dBackwardWeightVariants.Im2colTapPanels);
        var fast = Device.Accelerator.LoadStreamKernel<ArrayView<float>, ConvShape, int, int, int, int, ArrayView<float>>(Stride2K4.TapLanes);
        Compare(s.InputLength, g.PackedBLength,
            (x, dst) => general(g.ColTiles * (s.N + 1) * s.OH, x, s, s.N, g.Kp, dst),
            (x, dst) => fast(new KernelConfig(new Index2D(s.C, g.Kp / rows), new Index2D(Stride2K4.Taps, rows)),
                x, s, s.N, g.Kp, Stride2K4.Log2(s.OW), Stride2K4.Log2(p), dst));
    }

    [TestCaseSource(nameof(Cases))]
    public void Col2imAddsWhatTheRowKernelAdds(int[] dims)
    {
        var s = Shape(dims);
        int p = s.OH * s.OW, ld = s.N * p + 3;   // three pad columns, NaN: never read
        int gw = Stride2K4.Col2imGroupWidth(s, MaxGroup), gh = Stride2K4.Col2imGroupHeight(s, MaxGroup);
        var general = Device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ConvShape, int, int, ArrayView<float>>(
            Conv2dBackwardDataVariants.Col2imRows);
        var fast = Device.Accelerator.LoadStreamKernel<ArrayView<float>, ConvShape, int, ArrayView<float>>(Stride2K4.Col2im);
        long colGrad = (long)s.C * s.K * s.K * ld;
        Compare(colGrad, s.InputLength,
            (c, dX) => general(s.N * s.C * s.H, c, s, s.N, ld, dX),
            (c, dX) => fast(new KernelConfig(new Index2D(s.N * s.C * (s.W / gw), s.H / gh), new Index2D(gw, gh)), c, s, ld, dX),
            nanAt: i => i % ld >= s.N * p, paddingTaps: false);
    }

    [Test]
    public void OnlyStride2K4WithPowerOfTwoOutputsApplies()
    {
        Assert.That(Stride2K4.Applies(ConvShape.Create(16, 64, 16, 16, 128, 4, 2, 1), 256), Is.True, "32px D2");
        Assert.That(Stride2K4.Applies(ConvShape.Create(64, 3, 64, 64, 64, 4, 2, 1), 256), Is.True, "64px D1");
        Assert.That(Stride2K4.Applies(ConvShape.Create(16, 256, 4, 4, 1, 4, 1, 0), 256), Is.False, "stride 1");
        Assert.That(Stride2K4.Applies(ConvShape.Create(4, 3, 8, 8, 3, 3, 2, 1), 256), Is.False, "k3");
        Assert.That(Stride2K4.Applies(ConvShape.Create(2, 3, 12, 12, 3, 4, 2, 1), 256), Is.False, "6×6 outputs");
        Assert.That(Stride2K4.Applies(ConvShape.Create(2, 3, 8, 8, 3, 4, 2, 1), 8), Is.False, "groups under 16 threads");
    }

    /// <summary>
    /// Version 9 against version 7 through Conv2dOps, all three passes, bitwise: 9 differs only in how it moves data
    /// (Stride2K4, PackLanes); the weight gradient must accumulate onto what dW held. Shapes with C·K² a multiple of
    /// 256 (dW rows that alias in L1, which version 9 staged until the panel GEMM's tile turned) and the convs to a
    /// 1×1 image (plain GEMMs, rows of C·K² floats) included. One chunk, and one sample per chunk.
    /// </summary>
    [TestCase(2, 16, 8, 5, 2, 1, 1)]      // C·K² = 256
    [TestCase(3, 64, 8, 8, 2, 1, 2)]      // C·K² = 1024, 4×4 outputs
    [TestCase(2, 3, 16, 4, 2, 1, 1)]      // C·K² = 48
    [TestCase(5, 16, 4, 1, 1, 0, 9)]      // a 1×1 output, OC 1 (D's last layer)
    [TestCase(5, 16, 4, 3, 1, 0, 9)]      // OC 3 (G's first layer's conv)
    public void Version9ComputesVersion7sBits(int n, int c, int hw, int oc, int stride, int pad, int maxChunkSamples)
    {
        var s = ConvShape.Create(n, c, hw, hw, oc, 4, stride, pad);
        var a = Device.Accelerator;
        var ops = Conv2dOps<float>.On(Device);
        var random = new Random(13);
        float[] Random(long length) => Enumerable.Range(0, (int)length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var x = DeviceTensor<float>.FromHost(a, Random(s.InputLength), (int)s.InputLength);
        using var wt = DeviceTensor<float>.FromHost(a, Random(s.WeightLength), (int)s.WeightLength);
        using var dY = DeviceTensor<float>.FromHost(a, Random(s.OutputLength), (int)s.OutputLength);
        var dW0 = Random(s.WeightLength);
        foreach (var (pass, input0, input1, length) in new[]
        {
            (ConvPass.Forward, x, wt, s.OutputLength),
            (ConvPass.BackwardData, dY, wt, s.InputLength),
            (ConvPass.BackwardWeight, x, dY, s.WeightLength),
        })
        {
            int[] Bits(int variant, int chunk)
            {
                using var output = pass == ConvPass.BackwardWeight
                    ? DeviceTensor<float>.FromHost(a, dW0, (int)length)
                    : new DeviceTensor<float>(a, (int)length);
                ops.Run(pass, a.DefaultStream, s, input0.View, input1.View, output.View, variant, chunk);
                a.Synchronize();
                return output.View.GetAsArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            }
            Assert.That(Bits(9, maxChunkSamples), Is.EqualTo(Bits(7, maxChunkSamples)), $"{pass}");
        }
    }

    void Compare(long inputLength, long outputLength, Action<ArrayView<float>, ArrayView<float>> general,
        Action<ArrayView<float>, ArrayView<float>> fast, Func<int, bool>? nanAt = null, bool paddingTaps = true)
    {
        var random = new Random(5);
        var host = Enumerable.Range(0, (int)inputLength)
            .Select(i => nanAt?.Invoke(i) == true ? float.NaN : (float)random.NextDouble() - 0.5f).ToArray();
        BitwiseKernelComparison.AssertSameBits(Device, host, outputLength, general, fast, paddingTaps);
    }
}

public sealed class Stride2K4TestsCpu : Stride2K4Tests { protected override string DeviceSpec => "cpu"; }

public sealed class Stride2K4TestsOpenCl : Stride2K4Tests { protected override string DeviceSpec => "opencl"; }

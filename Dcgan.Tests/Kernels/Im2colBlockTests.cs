// The block im2col of conv versions 6 and 7 (Im2colBlocks.g.cs) against the row-run kernels it stands in for on small
// output images (Im2colPixelPanels for the forward pass's B, Im2colTapPanels for the weight gradient's B): bitwise the
// same packed panels, NaN-prefilled so that every element must be written, at shapes where blocks cross samples
// (P = 4), taps cross channels, padding covers whole rows (p 2) and the stride is 1 or 2 — plus which shapes
// Conv2dOps sends to the block kernels.
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Kernels;

public abstract class Im2colBlockTests : BackendTest
{
    // n, c, h, w, oc, k, stride, pad: every one with P ≤ 16 and C·K², n·P multiples of 16.
    static readonly int[][] Shapes =
    [
        [3, 2, 8, 8, 5, 4, 2, 1],     // DCGAN's k4 s2 p1 to 4×4 (P = 16), two channels
        [4, 1, 4, 4, 3, 4, 2, 1],     // 2×2 outputs (P = 4): a block's 16 pixels span four samples
        [2, 1, 3, 3, 2, 4, 1, 2],     // stride 1, pad 2 (OH = 4): whole padded rows and columns
        [1, 16, 4, 4, 2, 3, 1, 1],    // k3: C·K² = 144, taps cross channels inside a block
    ];

    public static IEnumerable<TestCaseData> Cases() => Shapes.Select(s =>
        new TestCaseData(s).SetArgDisplayNames($"[{s[0]},{s[1]},{s[2]},{s[3]}]x{s[4]} k{s[5]} s{s[6]} p{s[7]}"));

    static ConvShape Shape(int[] s) => ConvShape.Create(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);

    [TestCaseSource(nameof(Cases))]
    public void PixelLanesWriteWhatTheRowRunsWrite(int[] dims)
    {
        var s = Shape(dims);
        Assert.That(Conv2dOps<float>.Im2colBlocksApply(s, s.N), Is.True);
        var g = Conv2dForwardVariants.PanelGemm(s, s.N);
        int p = s.OH * s.OW;
        Compare(s, g.PackedBLength,
            (x, dst) => Load<int, int>(Conv2dForwardVariants.Im2colPixelPanels)(s.N * g.Kp, x, s, s.N, g.Kp, dst),
            (x, dst) => Load<int>(Im2colBlocks.PixelLanes)((int)(g.PackedBLength / 256), x, s, g.Kp, dst));
        Assert.That(g.Kp, Is.EqualTo(s.C * s.K * s.K), "the block path has no k padding");
        Assert.That(s.N * p % 16, Is.Zero);
    }

    [TestCaseSource(nameof(Cases))]
    public void TapLanesWriteWhatTheRowRunsWrite(int[] dims)
    {
        var s = Shape(dims);
        var g = Conv2dBackwardWeightVariants.PanelGemm(s, s.N);
        Compare(s, g.PackedBLength,
            (x, dst) => Load<int, int>(Conv2dBackwardWeightVariants.Im2colTapPanels)(g.ColTiles * (s.N + 1) * s.OH, x, s, s.N, g.Kp, dst),
            (x, dst) => Load<int>(Im2colBlocks.TapLanes)((int)(g.PackedBLength / 256), x, s, g.Kp, dst));
    }

    [Test]
    public void OnlySmallFullImagesTakeTheBlocks()
    {
        Assert.That(Conv2dOps<float>.Im2colBlocksApply(ConvShape.Create(16, 64, 16, 16, 128, 4, 2, 1), 16), Is.False, "8×8 outputs: row runs");
        Assert.That(Conv2dOps<float>.Im2colBlocksApply(ConvShape.Create(16, 128, 8, 8, 256, 4, 2, 1), 16), Is.True, "4×4 outputs");
        Assert.That(Conv2dOps<float>.Im2colBlocksApply(ConvShape.Create(3, 1, 4, 4, 3, 4, 2, 1), 3), Is.False, "n·P = 12: a partial panel");
        Assert.That(Conv2dOps<float>.Im2colBlocksApply(ConvShape.Create(4, 3, 8, 8, 3, 3, 2, 1), 4), Is.False, "C·K² = 27: padded k");
    }

    Action<Index1D, ArrayView<float>, ConvShape, TA, ArrayView<float>> Load<TA>(Action<Index1D, ArrayView<float>, ConvShape, TA, ArrayView<float>> kernel)
        where TA : unmanaged => Device.Accelerator.LoadAutoGroupedStreamKernel(kernel);

    Action<Index1D, ArrayView<float>, ConvShape, TA, TB, ArrayView<float>> Load<TA, TB>(
        Action<Index1D, ArrayView<float>, ConvShape, TA, TB, ArrayView<float>> kernel)
        where TA : unmanaged where TB : unmanaged => Device.Accelerator.LoadAutoGroupedStreamKernel(kernel);

    void Compare(ConvShape s, long length, Action<ArrayView<float>, ArrayView<float>> rowRuns, Action<ArrayView<float>, ArrayView<float>> blocks)
    {
        var random = new Random(11);
        var host = Enumerable.Range(0, (int)s.InputLength).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        BitwiseKernelComparison.AssertSameBits(Device, host, length, rowRuns, blocks);
    }
}

public sealed class Im2colBlockTestsCpu : Im2colBlockTests { protected override string DeviceSpec => "cpu"; }

public sealed class Im2colBlockTestsOpenCl : Im2colBlockTests { protected override string DeviceSpec => "opencl"; }

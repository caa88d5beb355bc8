// The block packers of conv versions 6 and 7 (ConvGemm.PanelPack.g.cs) against the row packer they stand in for
// (ConvGemm.PackPanels): bitwise the same packed panels, on the operands the conv passes pack (w, wᵀ, dY with and
// without sample panels; partial panels and k blocks, zero-filled), and ConvGemm.PackBlockKind's choice for each,
// including the shapes it must leave to PackPanels (blocks that would cross a sample, no unit stride); and version 9's
// PackLanes (one element per work-item) against PackPanels on the same cases.
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Kernels;

public abstract class ConvPackTests : BackendTest
{
    /// <summary>(name, source length, shape, the packer PackBlockKind must pick).</summary>
    public static IEnumerable<TestCaseData> Cases()
    {
        // A 32×48 weight matrix [OC = 32, C·K² = 48]: forward packs its rows (k contiguous), the input gradient its
        // columns (i contiguous).
        yield return Case("w rows", 32 * 48, new PackShape(32, 48, 48, iStride: 48, int.MaxValue, 0, kStride: 1, int.MaxValue, 0),
            PackKind.BlocksKContiguous);
        yield return Case("w columns", 32 * 48, new PackShape(48, 32, 32, iStride: 1, int.MaxValue, 0, kStride: 48, int.MaxValue, 0),
            PackKind.BlocksIContiguous);
        // dY [n = 3, OC = 32, P = 16]: the input gradient's B (k = oc, lanes over (n, p)), the weight gradient's A
        // (lanes over oc, k over (n, p)).
        yield return Case("dY lanes (n,p)", 3 * 32 * 16, new PackShape(48, 32, 32, iStride: 1, iPanel: 16, iBatch: 32 * 16, kStride: 16, int.MaxValue, 0),
            PackKind.BlocksIContiguous);
        yield return Case("dY k (n,p)", 3 * 32 * 16, new PackShape(32, 48, 48, iStride: 16, int.MaxValue, 0, kStride: 1, kPanel: 16, kBatch: 32 * 16),
            PackKind.BlocksKContiguous);
        // P = 64: a sample spans four panels.
        yield return Case("dY lanes, P 64", 2 * 16 * 64, new PackShape(128, 16, 16, iStride: 1, iPanel: 64, iBatch: 16 * 64, kStride: 64, int.MaxValue, 0),
            PackKind.BlocksIContiguous);
        // Partial blocks, as nz = 100 makes them in G's first layer: a partial last panel, K padded to Kp (zeros past
        // Extent and K), for both unit strides, and both at once.
        yield return Case("partial panel", 20 * 48, new PackShape(20, 48, 48, iStride: 48, int.MaxValue, 0, kStride: 1, int.MaxValue, 0),
            PackKind.EdgeBlocksKContiguous);
        yield return Case("K padded", 32 * 40, new PackShape(32, 40, 48, iStride: 40, int.MaxValue, 0, kStride: 1, int.MaxValue, 0),
            PackKind.EdgeBlocksKContiguous);
        yield return Case("w [100, 48] columns", 100 * 48, new PackShape(48, 100, 112, iStride: 1, int.MaxValue, 0, kStride: 48, int.MaxValue, 0),
            PackKind.EdgeBlocksIContiguous);
        yield return Case("dY [16, 100] lanes over oc", 16 * 100, new PackShape(100, 16, 16, iStride: 1, int.MaxValue, 0, kStride: 100, int.MaxValue, 0),
            PackKind.EdgeBlocksIContiguous);
        yield return Case("both partial", 21 * 37, new PackShape(21, 37, 48, iStride: 37, int.MaxValue, 0, kStride: 1, int.MaxValue, 0),
            PackKind.EdgeBlocksKContiguous);
        // Left to PackPanels: K padded past the next multiple of 16, P = 4 (blocks would cross samples), no unit stride.
        yield return Case("K over-padded", 32 * 40, new PackShape(32, 40, 64, iStride: 40, int.MaxValue, 0, kStride: 1, int.MaxValue, 0),
            PackKind.Rows);
        yield return Case("P 4", 8 * 16 * 4, new PackShape(32, 16, 16, iStride: 1, iPanel: 4, iBatch: 16 * 4, kStride: 4, int.MaxValue, 0),
            PackKind.Rows);
        yield return Case("no unit stride", 2 * 32 * 48, new PackShape(32, 48, 48, iStride: 96, int.MaxValue, 0, kStride: 2, int.MaxValue, 0),
            PackKind.Rows);
    }

    static TestCaseData Case(string name, int sourceLength, PackShape shape, PackKind kind) =>
        new TestCaseData(sourceLength, shape, kind).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Cases))]
    public void BlockPackersCopyWhatThePanelPackerCopies(int sourceLength, PackShape shape, PackKind kind)
    {
        Assert.That(ConvGemm.PackBlockKind(shape), Is.EqualTo(kind));
        if (kind == PackKind.Rows)
            return;
        var a = Device.Accelerator;
        var random = new Random(7);
        var host = Enumerable.Range(0, sourceLength).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var src = DeviceTensor<float>.FromHost(a, host, sourceLength);
        using var rows = new DeviceTensor<float>(a, (int)shape.Length);
        using var blocks = new DeviceTensor<float>(a, (int)shape.Length);
        rows.View.MemSetToZero();
        blocks.View.CopyFromCPU(Enumerable.Repeat(float.NaN, (int)shape.Length).ToArray());   // every element must be written
        var byRow = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, PackShape, ArrayView<float>>(ConvGemm.PackPanels);
        var byBlock = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, PackShape, ArrayView<float>>(kind switch
        {
            PackKind.BlocksKContiguous => ConvGemm.PackBlocksKContiguous,
            PackKind.BlocksIContiguous => ConvGemm.PackBlocksIContiguous,
            PackKind.EdgeBlocksKContiguous => ConvGemm.PackBlocksKContiguousEdge,
            _ => ConvGemm.PackBlocksIContiguousEdge,
        });
        byRow((int)(shape.Length / ConvGemm.PanelLanes), src.View, shape, rows.View);
        byBlock((int)(shape.Length / (ConvGemm.PanelLanes * ConvGemm.PanelLanes)), src.View, shape, blocks.View);
        a.Synchronize();
        var expected = rows.View.GetAsArray();
        var actual = blocks.View.GetAsArray();
        Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)));
        // And the packed panels hold the source: the first lane of the first panel is element (0, 0).
        Assert.That(expected[0], Is.EqualTo(host[0]));
    }

    /// <summary>
    /// Version 9's PackLanes against PackPanels on every case (its panel splits are powers of two or absent), with
    /// groups of (16, rows) as Conv2dOps launches them: 16 rows where the device allows 256 threads, else 1.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void LanePackerCopiesWhatThePanelPackerCopies(int sourceLength, PackShape shape, PackKind kind)
    {
        var split = PackSplit.Of(shape);
        Assert.That(split, Is.Not.Null, "every case's panels are powers of two or absent");
        var a = Device.Accelerator;
        var random = new Random(9);
        var host = Enumerable.Range(0, sourceLength).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var byRow = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, PackShape, ArrayView<float>>(ConvGemm.PackPanels);
        var byLane = a.LoadStreamKernel<ArrayView<float>, PackShape, PackSplit, ArrayView<float>>(ConvGemm.PackLanes);
        int groupRows = a.MaxNumThreadsPerGroup >= 256 ? 16 : 1;
        BitwiseKernelComparison.AssertSameBits(Device, host, shape.Length,
            (src, dst) => byRow((int)(shape.Length / ConvGemm.PanelLanes), src, shape, dst),
            (src, dst) => byLane(new KernelConfig(new Index2D((int)(shape.Length / ((long)shape.Kp * ConvGemm.PanelLanes)),
                shape.Kp / groupRows), new Index2D(ConvGemm.PanelLanes, groupRows)), src, shape, split!.Value, dst),
            expectPaddingZeros: false);
    }

    [Test]
    public void PanelSplitsAreShiftsOnlyForPowersOfTwo()
    {
        Assert.That(PackSplit.Of(new PackShape(48, 32, 32, 1, iPanel: 16, 512, 16, int.MaxValue, 0)),
            Is.EqualTo(new PackSplit(4, 15, 31, int.MaxValue)));
        Assert.That(PackSplit.Of(new PackShape(48, 32, 32, 1, iPanel: 36, 512, 36, int.MaxValue, 0)), Is.Null, "P = 6×6");
    }
}

public sealed class ConvPackTestsCpu : ConvPackTests { protected override string DeviceSpec => "cpu"; }

public sealed class ConvPackTestsOpenCl : ConvPackTests { protected override string DeviceSpec => "opencl"; }

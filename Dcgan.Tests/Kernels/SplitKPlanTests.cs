// Version 10's split-K plan (Dcgan.Kernels/Conv/ConvGemm.SplitK.cs): the splits cover the reduction exactly once, in
// whole k slices, fill the device where the product is small and leave big products unsplit, and respect the
// partial products' room. Pure arithmetic: no device.
using Dcgan.Kernels.Conv;

namespace Dcgan.Tests.Kernels;

public sealed class SplitKPlanTests
{
    static GemmShape Product(int m, int n, int ko, int ki) =>
        GemmShape.Create(m, n, ko, ki, aRow: ko * ki, aKo: ki, aKi: 1, bKo: ki * n, bKi: n, bBatch: n, cRow: n, cBatch: n,
            panel: n, accumulate: false, rowTile: 128);

    [TestCase(128, 1024, 1, 1024, 264)]   // D2 forward at batch 16: eight 128-blocks
    [TestCase(128, 1024, 16, 64, 264)]    // a weight gradient, K = 16 samples × 64 pixels
    [TestCase(1, 16, 1, 8192, 264)]       // one row (D's last layer), long K
    [TestCase(512, 16384, 1, 2048, 264)]  // big: 512 blocks already
    [TestCase(16, 16, 3, 5, 4)]           // K = 15: not a multiple of the slice
    public void SplitsCoverTheReductionOnceInWholeSlices(int m, int n, int ko, int ki, int targetGroups)
    {
        var g = Product(m, n, ko, ki).WithRowTile(128);
        var plan = SplitK.Plan(g, side: 128, depth: 8, targetGroups, maxSplits: 16, minSliceRuns: 8, 1L << 23);
        int k = ko * ki;
        Assert.That(plan.Tiles, Is.EqualTo(g.Tiles(128)));
        Assert.That(plan.KPerSplit % 8, Is.Zero, "a split is whole slices");
        Assert.That((long)plan.Splits * plan.KPerSplit, Is.GreaterThanOrEqualTo(k), "the splits reach the end of k");
        Assert.That((long)(plan.Splits - 1) * plan.KPerSplit, Is.LessThan(k), "every split has work");
        Assert.That(plan.Splits, Is.InRange(1, 16));
        if (plan.Splits > 1)
            Assert.That(plan.KPerSplit, Is.GreaterThanOrEqualTo(8 * 8), "at least minSliceRuns slices per split");
    }

    [Test]
    public void SmallProductsSplitAndBigOnesDoNot()
    {
        var small = Product(128, 1024, 1, 1024).WithRowTile(128);
        Assert.That(SplitK.Plan(small, 128, 8, 264, 16, 8, 1L << 23).Splits, Is.EqualTo(16));
        var big = Product(512, 16384, 1, 2048).WithRowTile(128);
        Assert.That(SplitK.Plan(big, 128, 8, 264, 16, 8, 1L << 23).Splits, Is.EqualTo(1));
    }

    [Test]
    public void PartialProductsStayWithinTheirRoom()
    {
        var g = Product(128, 1024, 1, 1024).WithRowTile(128);
        var plan = SplitK.Plan(g, 128, 8, 264, 16, 8, maxPartialElements: 3L * 128 * 1024);
        Assert.That(plan.Splits, Is.EqualTo(3));
        Assert.That(plan.PartialLength(g), Is.LessThanOrEqualTo(3L * 128 * 1024));
        Assert.That(SplitK.Plan(g, 128, 8, 264, 16, 8, maxPartialElements: 1000).Splits, Is.EqualTo(1));
    }

    [Test]
    public void AnOverrideForcesTheSplitsUpToOnePerSlice()
    {
        var g = Product(16, 16, 3, 5).WithRowTile(16);
        Assert.That(SplitK.Plan(g, 16, 4, 1, 16, 8, 1L << 20, splitsOverride: 2).Splits, Is.EqualTo(2));
        Assert.That(SplitK.Plan(g, 16, 4, 1, 16, 8, 1L << 20, splitsOverride: 3).Splits, Is.EqualTo(2), "4 slices in 3: 2 + 2");
        Assert.That(SplitK.Plan(g, 16, 4, 1, 16, 8, 1L << 20, splitsOverride: 99).Splits, Is.EqualTo(4), "15 k = 4 slices");
    }
}

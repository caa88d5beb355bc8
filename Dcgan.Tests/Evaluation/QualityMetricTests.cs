using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;

namespace Dcgan.Tests.Evaluation;

/// <summary>
/// The metric with the shipped classifier on sets whose answer is known: real held-out digits (the ceiling), one
/// digit repeated (collapse), half the classes (dropped modes), noise. PoCL only, as ClassifierTests.
/// </summary>
public abstract class QualityMetricTests : BackendTest
{
    QualityMetric metric = null!;
    IImageDataset digits = null!;
    DataSplit split = null!;

    [OneTimeSetUp]
    public void OpenMetric()
    {
        string path = ClassifierFile.FindShipped("bundled", 32) ?? throw new AssertionException("no shipped classifier beside the tests");
        metric = QualityMetric.Open(Device, path, null);
        digits = DatasetFactory.Open("bundled", null, 32);
        split = DataSplit.For(digits.Count, metric.Provenance.SplitSeed);
    }

    [OneTimeTearDown]
    public void Close()
    {
        metric?.Dispose();
        digits?.Dispose();
    }

    [Test]
    public void RealHeldOutDigitsScoreNearTheCeiling()
    {
        var real = metric.RealReference(2_000);
        Assert.That(real.Count, Is.EqualTo(2_000));
        Assert.That(real.ClassifierScore, Is.GreaterThan(9.0));
        Assert.That(real.Precision, Is.GreaterThan(0.8));
        Assert.That(real.Recall, Is.GreaterThan(0.8));
        Assert.That(real.ClassesPresent, Is.EqualTo(10));
        Assert.That(Math.Abs(real.Kid), Is.LessThan(3 * real.KidStd + 1e-3), "the same distribution: KID is 0 within its error");
    }

    [Test]
    public void OneDigitRepeatedIsACollapse()
    {
        float[] one = DataSplit.ReadImages(digits, [split.HeldOut[0]]);
        float[] images = Enumerable.Repeat(one, 1_000).SelectMany(x => x).ToArray();
        var collapsed = metric.Score(images);
        var real = metric.RealReference(1_000);
        Assert.That(collapsed.ClassifierScore, Is.LessThan(1.05));
        Assert.That(collapsed.ClassesPresent, Is.EqualTo(1));
        Assert.That(collapsed.Recall, Is.LessThan(0.05), "one image covers almost none of the real digits");
        Assert.That(collapsed.FrechetDistance, Is.GreaterThan(20 * real.FrechetDistance));
    }

    [Test]
    public void HalfTheClassesHalveTheRecallButNotThePrecision()
    {
        int[] low = split.HeldOut.Where(i => digits.Labels![i] < 5).Take(1_000).ToArray();
        var half = metric.Score(DataSplit.ReadImages(digits, low));
        Assert.That(half.ClassHistogram[5..].Sum(), Is.LessThan(20), "classes 5-9 hardly appear");
        Assert.That(half.ClassifierScore, Is.InRange(4.0, 5.5));
        Assert.That(half.Precision, Is.GreaterThan(0.8), "each image is a real digit");
        Assert.That(half.Recall, Is.InRange(0.3, 0.65), "only the real digits of classes 0-4 are covered");
    }

    [Test]
    public void NoiseIsNeitherPreciseNorRecalled()
    {
        var rng = new Random(5);
        float[] noise = Enumerable.Range(0, 500 * 32 * 32).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var report = metric.Score(noise);
        Assert.That(report.Precision, Is.LessThan(0.01));
        Assert.That(report.Recall, Is.LessThan(0.01));
    }

    [Test]
    public void ImagesOfAnotherShapeAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => metric.RequireShape(1, 64, "these images"));
        Assert.That(e!.Message, Does.Contain("judges 32x32x1 images").And.Contain("dcgan classifier train --image-size 64"));
        Assert.Throws<ArgumentException>(() => metric.RequireShape(3, 32, "these images"));
        Assert.DoesNotThrow(() => metric.RequireShape(1, 32, "these images"));
    }
}

public sealed class QualityMetricTestsOpenCl : QualityMetricTests { protected override string DeviceSpec => "opencl"; }

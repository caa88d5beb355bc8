using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>
/// The finite-explosion rules on synthetic series, each at its threshold from both sides (a rule that never fires,
/// or fires early, fails here); the real runs are in DivergenceTests and ExplosionRunTests.
/// </summary>
public sealed class ExplosionDetectorTests
{
    static readonly string[] Names = ["netG.main.0.weight", "netD.main.0.weight", "netD.main.2.weight"];
    static readonly (float G, float D) Initial = (30f, 25f);

    static IterationStats Healthy(float gradD = 1f, float gradG = 1f) =>
        new(1.2f, 2.5f, 0.6f, 0.4f, 0.3f, gradD, gradG, NonFinite: false, 0, WeightNormD: 26f, WeightNormG: 31f);

    static readonly float[] Tensors = [0.5f, 0.5f, 0.5f];

    static ExplosionDetector Warm(string loss = "bce", int iterations = ExplosionDetector.WarmupIterations)
    {
        var detector = new ExplosionDetector(loss, Initial, Names);
        for (int i = 0; i < iterations; i++)
            Assert.That(detector.Check(Healthy(), Tensors), Is.Null);
        return detector;
    }

    [Test]
    public void ABceLossAbove100IsAnExplosionAndOneBelowIsNot()
    {
        var detector = new ExplosionDetector("bce", Initial, Names);
        Assert.That(detector.Check(Healthy() with { LossG = 101f }, Tensors),
            Does.StartWith("Loss_G is 101, above 100 (a BCE loss that large needs logits beyond ±100); largest gradient norms: "),
            "without history, the message names the largest tensors");
        Assert.That(detector.Check(Healthy() with { LossG = 99f }, Tensors), Is.Null);
        Assert.That(detector.Check(Healthy() with { LossD = 6.7e17f }, Tensors), Does.StartWith("Loss_D is 6.7E+17"));
    }

    [Test]
    public void TheOtherObjectivesAllowLargerLossesOfEitherSign()
    {
        foreach (string loss in new[] { "wgan", "hinge", "lsgan" })
        {
            var detector = new ExplosionDetector(loss, Initial, Names);
            Assert.That(detector.Check(Healthy() with { LossD = -500f, LossG = 9000f }, Tensors), Is.Null, loss);
            Assert.That(detector.Check(Healthy() with { LossD = -2e4f }, Tensors), Does.StartWith("Loss_D is -2E+04, beyond ±1E+04"), loss);
        }
    }

    [Test]
    public void AGradientNormAbove1e5IsAnExplosionFromTheFirstIteration()
    {
        var detector = new ExplosionDetector("bce", Initial, Names);
        Assert.That(detector.Check(Healthy(gradD: 9e4f), Tensors), Is.Null);
        Assert.That(detector.Check(Healthy(gradD: 3e9f), Tensors), Does.StartWith("the gradient norm of D is 3E+09, above 1E+05"));
    }

    [Test]
    public void AJumpCountsOnlyAfterTheWarmupAndOnlyBeyondItsNetworksFactor()
    {
        foreach (var (net, factor) in new[] { ("D", ExplosionDetector.JumpFactorD), ("G", ExplosionDetector.JumpFactorG) })
        {
            IterationStats With(double norm) => net == "D" ? Healthy(gradD: (float)norm) : Healthy(gradG: (float)norm);
            var early = Warm(iterations: ExplosionDetector.WarmupIterations - 1);
            Assert.That(early.Check(With(factor * 1.01), Tensors), Is.Null, "the warm-up's iterations cannot trigger it");
            Assert.That(Warm().Check(With(factor * 0.99), Tensors), Is.Null, net);
            Assert.That(Warm().Check(With(factor * 1.01), Tensors),
                Does.StartWith($"the gradient norm of {net} is {factor * 1.01:G3}, {factor * 1.01:G3}× the median 1 of its last {ExplosionDetector.WarmupIterations} iterations"));
        }
    }

    [Test]
    public void TheMedianForgetsIterationsOlderThanTheHistory()
    {
        var detector = new ExplosionDetector("bce", Initial, Names);
        for (int i = 0; i < ExplosionDetector.HistoryLength; i++)
            detector.Check(Healthy(gradD: 1000f), Tensors);
        for (int i = 0; i < ExplosionDetector.HistoryLength; i++)
            Assert.That(detector.Check(Healthy(gradD: 1f), Tensors), Is.Null);
        // The window now holds only 1s: 1000 was normal once, but is 1000× the median now.
        Assert.That(detector.Check(Healthy(gradD: 1000f), Tensors), Does.StartWith("the gradient norm of D is 1E+03, 1E+03× the median 1"));
    }

    [Test]
    public void WeightsBeyondTheRunawayFactorOfTheirInitialNormAreAnExplosion()
    {
        var detector = new ExplosionDetector("bce", Initial, Names);
        float factor = (float)ExplosionDetector.RunawayFactor;
        Assert.That(detector.Check(Healthy() with { WeightNormG = 0.99f * factor * Initial.G }, Tensors), Is.Null);
        Assert.That(detector.Check(Healthy() with { WeightNormD = 1.01f * factor * Initial.D }, Tensors),
            Does.StartWith($"the weight norm of D is {1.01 * factor * Initial.D:G3}, {1.01 * factor:G3}× its initial 25"));
    }

    [Test]
    public void TheMessageNamesTheTensorsThatGrewMostAgainstTheirOwnHistory()
    {
        var detector = new ExplosionDetector("bce", Initial, Names);
        for (int i = 0; i < ExplosionDetector.WarmupIterations; i++)
            detector.Check(Healthy(), [0.5f, 0.5f, 800f]);
        // netD.main.2 is the largest, but as usual for it; netD.main.0 grew 1000×.
        string what = detector.Check(Healthy(gradD: 2e5f), [0.5f, 500f, 900f])!;
        Assert.That(what, Does.EndWith("; gradient norms that grew most: netD.main.0.weight 500 (1E+03× its median), " +
                                       "netD.main.2.weight 900 (1.12× its median), netG.main.0.weight 0.5 (1× its median)"));
    }

    [Test]
    public void ARememberedHistoryJudgesAsTheUninterruptedRunWould()
    {
        var random = new Random(5);
        var series = Enumerable.Range(0, 400).Select(_ => (float)Math.Exp(random.NextDouble() * 4)).ToArray();
        series[350] = series.Take(350).Max() * 600; // thousands of times the median: a jump
        var straight = new ExplosionDetector("bce", Initial, Names);
        var resumed = new ExplosionDetector("bce", Initial, Names);
        string?[] a = new string?[series.Length], b = new string?[series.Length];
        for (int i = 0; i < series.Length; i++)
        {
            a[i] = straight.Check(Healthy(gradD: series[i]), Tensors);
            if (i < 300)
            {
                resumed.Remember(Healthy(gradD: series[i]));
                resumed.RememberTensors(Tensors);
            }
            else
                b[i] = resumed.Check(Healthy(gradD: series[i]), Tensors);
        }
        Assert.That(a[300..], Is.EqualTo(b[300..]));
        Assert.That(a[350], Is.Not.Null, "the series must contain a jump for the comparison to mean something");
    }
}

using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>The collapse and d-won rules on synthetic inputs, at their thresholds; the real runs are in CollapseRunTests.</summary>
public sealed class CollapseMonitorTests
{
    static IterationStats Scores(float dx, float dgz) => new(0.1f, 8f, dx, dgz, dgz, 1f, 1f, NonFinite: false);
    static readonly IterationStats Won = Scores(0.9999f, 0.0001f), Fair = Scores(0.7f, 0.3f);

    [Test]
    public void DiversityIsZeroForCopiesAndIndependentOfContrast()
    {
        var random = new Random(3);
        const int n = 64, length = 100;
        var images = new float[n * length];
        for (int i = 0; i < images.Length; i++)
            images[i] = (float)(random.NextDouble() * 2 - 1);
        double diverse = CollapseMonitor.Diversity(images, n, length);
        Assert.That(diverse, Is.EqualTo(1).Within(0.1), "independent images: the variance across equals the variance within");

        var dim = images.Select(x => 0.1f * x - 0.5f).ToArray();
        Assert.That(CollapseMonitor.Diversity(dim, n, length), Is.EqualTo(diverse).Within(1e-6), "a flat, dark G is judged by its shapes");

        var copies = new float[n * length];
        for (int i = 0; i < n; i++)
            images.AsSpan(0, length).CopyTo(copies.AsSpan(i * length));
        Assert.That(CollapseMonitor.Diversity(copies, n, length), Is.EqualTo(0).Within(1e-9));
    }

    [Test]
    public void TheDiscriminatorHasWonAfterNinetyPercentOfTheWindowAndNotBefore()
    {
        var monitor = new CollapseMonitor("bce", 1.0);
        int window = CollapseMonitor.DWonWindow, enough = (int)Math.Ceiling(CollapseMonitor.DWonEnter * window);
        for (int i = 1; i <= window - enough; i++)
            Assert.That(monitor.Iteration(i, Fair), Is.Null);
        for (int i = window - enough + 1; i < window; i++)
            Assert.That(monitor.Iteration(i, Won), Is.Null, $"iteration {i}: fewer than {enough} of {window}");
        var news = monitor.Iteration(window, Won);
        Assert.That(news, Is.Not.Null);
        Assert.That(news!.Kind, Is.EqualTo("d-won"));
        Assert.That(news.Message, Does.StartWith($"warning: the discriminator has won (iteration {window}): D(x) > 0.999 and D(G(z)) < 0.001 in {enough} of the last {window} iterations"));
        Assert.That(news.Message, Does.Contain("--lr-d"));

        // Once per episode: more won iterations say nothing; the episode ends below half.
        for (int i = window + 1; i <= 2 * window; i++)
            Assert.That(monitor.Iteration(i, Won), Is.Null);
        CollapseNews? end = null;
        int at = 2 * window;
        while (end is null)
            end = monitor.Iteration(++at, Fair);
        Assert.That(end.Kind, Is.EqualTo("d-won-ended"));
        Assert.That(at, Is.EqualTo(2 * window + window / 2 + 1), "ends when fewer than half of the window are won");
    }

    [Test]
    public void OnlyBceHasProbabilitiesToJudge()
    {
        foreach (string loss in new[] { "wgan", "hinge", "lsgan" })
        {
            var monitor = new CollapseMonitor(loss, 1.0);
            for (int i = 1; i <= 3 * CollapseMonitor.DWonWindow; i++)
                Assert.That(monitor.Iteration(i, Won), Is.Null, loss);
        }
    }

    [Test]
    public void ACollapseNeedsTwoLowChecksInARowAndEndsAboveTheLeaveLevel()
    {
        var monitor = new CollapseMonitor("hinge", realDiversity: 0.6);
        double low = 0.6 * 0.2, high = 0.6 * CollapseMonitor.CollapseLeave * 1.1;
        Assert.That(monitor.Samples(500, low), Is.Null);
        Assert.That(monitor.Samples(600, 0.6), Is.Null, "a healthy check in between starts the count again");
        Assert.That(monitor.Samples(700, low), Is.Null);
        var news = monitor.Samples(800, low);
        Assert.That(news!.Kind, Is.EqualTo("collapse"));
        Assert.That(news.Message, Does.StartWith("warning: the generator has collapsed (iteration 800): the fixed-noise samples' diversity is 0.20 of real images'"));
        Assert.That(monitor.Samples(900, low), Is.Null, "once per episode");
        Assert.That(monitor.Samples(1000, 0.6 * CollapseMonitor.CollapseLeave * 0.9), Is.Null, "between the levels: still collapsed");
        Assert.That(monitor.Samples(1100, high)!.Kind, Is.EqualTo("collapse-ended"));
    }

    [Test]
    public void DiversityIsCheckedEveryHundredIterationsAfterTheWarmup()
    {
        Assert.That(CollapseMonitor.DiversityDue(CollapseMonitor.DiversityWarmup - CollapseMonitor.DiversityEvery), Is.False);
        Assert.That(CollapseMonitor.DiversityDue(CollapseMonitor.DiversityWarmup), Is.True);
        Assert.That(CollapseMonitor.DiversityDue(CollapseMonitor.DiversityWarmup + 1), Is.False);
        Assert.That(CollapseMonitor.DiversityDue(CollapseMonitor.DiversityWarmup + CollapseMonitor.DiversityEvery), Is.True);
    }
}

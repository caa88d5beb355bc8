using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>
/// ResumeChanges: which option changes a resume refuses (they break exact resume) and which it accepts, compared as
/// computed. No device: the CLI's resume cases are Cli/ResumeCliTests.
/// </summary>
public sealed class ResumeChangesTests
{
    static readonly TrainOptions Fake = new()
    {
        Dataset = "fake", FakeCount = 24, ImageSize = 16, BatchSize = 4, Nz = 6, Ngf = 4, Ndf = 4, Iterations = 2,
        Device = "cpu", Seed = 1, Out = "runs/a",
    };

    static TestCaseData Case(string option, string saved, string resumed, TrainOptions from, Func<TrainOptions, TrainOptions> change) =>
        new TestCaseData(from, change(from), new ResumeChange(option, saved, resumed, Allowed: false)).SetName($"Refuses {option}");

    static IEnumerable<TestCaseData> Refused()
    {
        var mnist = Fake with { Dataset = "mnist", DataRoot = "/data/mnist" };
        yield return Case("--dataset", "fake", "bundled", Fake, o => o with { Dataset = "bundled" });
        yield return Case("--data-root", "/data/mnist", "/data/other", mnist, o => o with { DataRoot = "/data/other" });
        yield return Case("fake_count", "24", "48", Fake, o => o with { FakeCount = 48 });
        yield return Case("--image-size", "16", "32", Fake, o => o with { ImageSize = 32 });
        yield return Case("--channels", "3", "1", Fake, o => o with { Channels = 1 });
        yield return Case("--nz", "6", "5", Fake, o => o with { Nz = 5 });
        yield return Case("--ngf", "4", "6", Fake, o => o with { Ngf = 6 });
        yield return Case("--ndf", "4", "8", Fake, o => o with { Ndf = 8 });
        yield return Case("--batch-size", "4", "8", Fake, o => o with { BatchSize = 8 });
        yield return Case("--seed", "1", "7", Fake, o => o with { Seed = 7 });
        // Every part the preset changes is named once, by --recipe (its learning rate is an allowed change).
        yield return Case("--recipe", "dcgan", "wgan", Fake, o => o with { Recipe = "wgan" });
        yield return Case("--loss", "bce", "hinge", Fake, o => o with { Loss = "hinge" });
        yield return Case("--critic-steps", "1", "5", Fake, o => o with { CriticSteps = 5 });
        yield return Case("--critic-warmup", "on", "off", Fake with { Recipe = "wgan" }, o => o with { CriticWarmup = false });
        yield return Case("--optimizer", "adam", "rmsprop", Fake, o => o with { Optimizer = "rmsprop" });
        yield return Case("--beta1", "0.5", "0.6", Fake, o => o with { Beta1 = 0.6 });
        yield return Case("--beta2", "0.999", "0.9", Fake, o => o with { Beta2 = 0.9 });
        yield return Case("--clip-weights", "0", "0.01", Fake, o => o with { ClipWeights = 0.01 });
        yield return Case("--d-norm", "batch", "none", Fake, o => o with { DNorm = "none" });
        yield return Case("--gp", "10", "5", Fake with { Recipe = "wgan-gp" }, o => o with { GpLambda = 5 });
        yield return Case("--r1-gamma", "10", "1", Fake with { Recipe = "r1" }, o => o with { R1Gamma = 1 });
        yield return Case("--r1-every", "1", "4", Fake with { Recipe = "r1" }, o => o with { R1Every = 4 });
        yield return Case("--spectral-norm", "none", "d", Fake, o => o with { SpectralNorm = "d" });
        yield return Case("--ema", "0", "0.999", Fake, o => o with { Ema = 0.999 });
        yield return Case("--lr-schedule", "constant", "linear", Fake, o => o with { LrSchedule = "linear" });
        yield return Case("--label-smoothing", "0", "0.1", Fake, o => o with { LabelSmoothing = 0.1 });
        yield return Case("--diffaugment", "none", "translation", Fake, o => o with { DiffAugment = "translation" });
        // A part that follows from another change is named by that one: --gp replaces R1's γ, rmsprop has no betas.
        yield return Case("--gp", "0", "10", Fake with { Recipe = "r1" }, o => o with { GpLambda = 10 });
        yield return Case("--optimizer", "adam", "rmsprop", Fake, o => o with { Optimizer = "rmsprop", Beta1 = 0.6 });
    }

    [TestCaseSource(nameof(Refused))]
    public void RefusesWhatBreaksExactResume(TrainOptions saved, TrainOptions resumed, ResumeChange expected)
    {
        var refused = ResumeChanges.Between(saved, resumed).Where(c => !c.Allowed);
        Assert.That(refused, Is.EqualTo(new[] { expected }));
        Assert.That(() => ResumeChanges.RefuseInexactResume(saved, resumed),
            Throws.ArgumentException.With.Message.StartsWith($"--resume runs/a: {expected.Option} {expected.Resumed} differs from the run's {expected.Saved};"));
    }

    static TestCaseData Allowed(string option, string saved, string resumed, Func<TrainOptions, TrainOptions> change,
        TrainOptions? from = null, string? note = null) =>
        new TestCaseData(from ?? Fake, change(from ?? Fake), new ResumeChange(option, saved, resumed, Allowed: true, note))
            .SetName($"Accepts {option}");

    static IEnumerable<TestCaseData> Accepted()
    {
        yield return Allowed("--iterations", "2", "4", o => o with { Iterations = 4 });
        yield return Allowed("--iterations", "2", "1", o => o with { Iterations = 1 });
        yield return Allowed("--epochs", "10", "20", o => o with { Epochs = 20 }, from: Fake with { Iterations = null });
        yield return Allowed("--lr", "0.0002", "0.0001", o => o with { LearningRate = 1e-4 });
        yield return Allowed("--lr-d", "0.0002", "0.0001", o => o with { LrD = 1e-4 });
        yield return Allowed("--lr-g", "0.0002", "0.0004", o => o with { LrG = 4e-4 });
        yield return Allowed("--clip-grad-norm", "none", "1", o => o with { ClipGradNorm = 1 });
        yield return Allowed("--checkpoint-every", "none", "5", o => o with { CheckpointEvery = 5 });
        yield return Allowed("--sample-every", "none", "3", o => o with { SampleEvery = 3 });
        yield return Allowed("--on-divergence", "rollback", "stop", o => o with { OnDivergence = "stop" });
        yield return Allowed("--on-bad-image", "skip", "fail", o => o with { OnBadImage = "fail" });
        yield return Allowed("--cache-dir", "none", "/tmp/cache", o => o with { CacheDir = "/tmp/cache" });
        yield return Allowed("--download", "off", "on", o => o with { Download = true });
        yield return Allowed("--device", "cpu", "opencl", o => o with { Device = "opencl" }, note: ResumeChanges.DeviceNote);
    }

    [TestCaseSource(nameof(Accepted))]
    public void AcceptsWhatKeepsTheResumeExact(TrainOptions saved, TrainOptions resumed, ResumeChange expected)
    {
        Assert.That(ResumeChanges.Between(saved, resumed), Is.EqualTo(new[] { expected }));
        Assert.That(() => ResumeChanges.RefuseInexactResume(saved, resumed), Throws.Nothing);
        Assert.That(ResumeChanges.Refusal("runs/a", [expected]), Is.Null);
    }

    static IEnumerable<TestCaseData> Unchanged()
    {
        var gp = Fake with { Recipe = "wgan-gp" };
        yield return new TestCaseData(Fake, Fake).SetName("Nothing given");
        yield return new TestCaseData(gp, gp with { Loss = "wgan", CriticSteps = 5, GpLambda = 10, DNorm = "none" })
            .SetName("The preset's own parts given explicitly");
        yield return new TestCaseData(gp, gp with
        {
            Recipe = "dcgan", Loss = "wgan", CriticSteps = 5, LearningRate = 1e-4, Beta2 = 0.9, DNorm = "none", GpLambda = 10,
        }).SetName("Another preset overridden into the same recipe");
        yield return new TestCaseData(Fake, Fake with { Channels = 3, ClipWeights = 0, Ema = 0, R1Every = 4, GpLambda = 0 })
            .SetName("Defaults given explicitly, and options that compute nothing here");
        yield return new TestCaseData(Fake with { Optimizer = "rmsprop" }, Fake with { Optimizer = "rmsprop", Beta1 = 0.6 })
            .SetName("Betas of rmsprop");
        yield return new TestCaseData(Fake with { DataRoot = "/data" }, Fake with { DataRoot = "/elsewhere" })
            .SetName("A data root the data set does not read");
        yield return new TestCaseData(Fake with { Dataset = "mnist", DataRoot = "/data/mnist" },
                Fake with { Dataset = "mnist", DataRoot = "/data/./mnist/" })
            .SetName("The same data root spelled otherwise");
        yield return new TestCaseData(Fake with { Dataset = "fashion-mnist" },
                Fake with { Dataset = "fashion-mnist", DataRoot = Nn.Data.DatasetFactory.FashionMnistDefaultRoot })
            .SetName("fashion-mnist's default root given");
        yield return new TestCaseData(Fake with { Dataset = "bundled" }, Fake with { Dataset = "bundled", Channels = 1 })
            .SetName("MNIST's own channels given");
        yield return new TestCaseData(Fake, Fake with { Epochs = 3 }).SetName("Epochs under iterations");
    }

    [TestCaseSource(nameof(Unchanged))]
    public void ReportsNothingWhenNothingComputedChanges(TrainOptions saved, TrainOptions resumed) =>
        Assert.That(ResumeChanges.Between(saved, resumed), Is.Empty);

    [Test]
    public void TheRefusalIsOneLineNamingEveryRefusedOptionWithBothValues()
    {
        var resumed = Fake with { BatchSize = 8, Seed = 7, Ndf = 8, Iterations = 4 };
        string expected = "--resume runs/a: --batch-size 8 differs from the run's 4 (and --ndf 8 from 4, --seed 7 from 1); " +
                          "exact resume needs the run's own values (leave them out); start a new run with --out for other settings";
        Assert.That(ResumeChanges.Refusal("runs/a", ResumeChanges.Between(Fake, resumed)), Is.EqualTo(expected));
        Assert.That(() => ResumeChanges.RefuseInexactResume(Fake, resumed), Throws.ArgumentException.With.Message.EqualTo(expected));
    }

    [Test]
    public void RefusedAndAllowedChangesAreBothListed()
    {
        var changes = ResumeChanges.Between(Fake, Fake with { Optimizer = "rmsprop", Iterations = 4, Device = "opencl" });
        Assert.That(changes, Is.EqualTo(new[]
        {
            new ResumeChange("--iterations", "2", "4", Allowed: true),
            new ResumeChange("--optimizer", "adam", "rmsprop", Allowed: false),
            new ResumeChange("--lr", "0.0002", "5E-05", Allowed: true),
            new ResumeChange("--device", "cpu", "opencl", Allowed: true, ResumeChanges.DeviceNote),
        }));
    }
}

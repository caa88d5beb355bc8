using System.Globalization;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>Recipes resolve from presets and overrides as documented; the WGAN warm-up schedule is the official code's.</summary>
public sealed class RecipeResolutionTests
{
    [Test]
    public void DefaultOptionsAreTheDcganRecipe()
    {
        var r = new TrainOptions().ResolveRecipe();
        Assert.That(r, Is.EqualTo(GanRecipe.Dcgan));
        Assert.That(r.Loss, Is.EqualTo("bce"));
        Assert.That(r.OptimizerD, Is.EqualTo(new OptimizerSettings.Adam(new(2e-4, 0.5, 0.999, 1e-8))));
        Assert.That(r.CriticSteps, Is.EqualTo(1));
        Assert.That(r.DiscriminatorBatchNorm, Is.True);
    }

    [Test]
    public void WganPresetIsTheOfficialCodes()
    {
        var r = new TrainOptions { Recipe = "wgan" }.ResolveRecipe();
        Assert.That(r.Loss, Is.EqualTo("wgan"));
        Assert.That(r.CriticSteps, Is.EqualTo(5));
        Assert.That(r.ClipWeights, Is.EqualTo(0.01));
        Assert.That(r.OptimizerD, Is.EqualTo(new OptimizerSettings.RmsProp(new(5e-5, 0.99, 1e-8))));
        Assert.That(r.OptimizerG, Is.EqualTo(r.OptimizerD));
        // Diters = 100 while gen_iterations < 25 or gen_iterations % 500 == 0 (gen_iterations = g − 1).
        Assert.That(Enumerable.Range(1, 27).Select(r.CriticStepsBefore),
            Is.EqualTo(Enumerable.Repeat(100, 25).Concat([5, 5])));
        Assert.That(new[] { 500, 501, 502, 1001 }.Select(r.CriticStepsBefore), Is.EqualTo(new[] { 5, 100, 5, 100 }));
        Assert.That(r.CriticStepsThrough(26), Is.EqualTo(2505));
        Assert.That(r.GeneratorStepsWithin(2504), Is.EqualTo(25));
        Assert.That(r.GeneratorStepsWithin(2505), Is.EqualTo(26));
    }

    [Test]
    public void OptionsOverrideThePreset()
    {
        var ttur = new TrainOptions { LrD = 4e-4, LrG = 1e-4 }.ResolveRecipe();
        Assert.That(ttur.OptimizerD.LearningRate, Is.EqualTo(4e-4));
        Assert.That(ttur.OptimizerG.LearningRate, Is.EqualTo(1e-4));
        var lr = new TrainOptions { Recipe = "wgan", LearningRate = 1e-4, LrG = 3e-5 }.ResolveRecipe();
        Assert.That((lr.OptimizerD.LearningRate, lr.OptimizerG.LearningRate), Is.EqualTo((1e-4, 3e-5)));
        var adamWgan = new TrainOptions { Recipe = "wgan", Optimizer = "adam", Beta1 = 0, Beta2 = 0.9 }.ResolveRecipe();
        Assert.That(adamWgan.OptimizerD, Is.EqualTo(new OptimizerSettings.Adam(new(2e-4, 0, 0.9, 1e-8))));
        var rms = new TrainOptions { Optimizer = "rmsprop" }.ResolveRecipe();
        Assert.That(rms.OptimizerG, Is.EqualTo(new OptimizerSettings.RmsProp(new(5e-5))));
        var noClip = new TrainOptions { Recipe = "wgan", ClipWeights = 0, DNorm = "none", CriticSteps = 2, CriticWarmup = false }
            .ResolveRecipe();
        Assert.That((noClip.ClipWeights, noClip.DiscriminatorBatchNorm, noClip.CriticStepsBefore(1)), Is.EqualTo(((double?)null, false, 2)));
        var halved = new TrainOptions { Recipe = "wgan" }.WithLearningRatesScaled(0.5).ResolveRecipe();
        Assert.That(halved.OptimizerG.LearningRate, Is.EqualTo(2.5e-5));
    }

    [Test]
    public void TheTunedPresetIsDcganWithAFasterRateAndAnEma()
    {
        var tuned = new TrainOptions { Recipe = "tuned" }.ResolveRecipe();
        var adam = new OptimizerSettings.Adam(new(8e-4, 0.5, 0.999, 1e-8));
        Assert.That((tuned.Preset, tuned.OptimizerD, tuned.OptimizerG, tuned.LrSchedule, tuned.EmaDecay),
            Is.EqualTo(("tuned", adam, adam, "constant", (double?)0.999)));
        // Nothing else differs from pytorch/examples' recipe.
        var dcgan = GanRecipe.Dcgan;
        Assert.That(tuned with { Preset = "dcgan", OptimizerD = dcgan.OptimizerD, OptimizerG = dcgan.OptimizerG, EmaDecay = null },
            Is.EqualTo(dcgan));
        // --ema 0 turns the average off; a schedule can be added.
        var plain = new TrainOptions { Recipe = "tuned", Ema = 0, LrSchedule = "linear" }.ResolveRecipe();
        Assert.That((plain.EmaDecay, plain.LrSchedule), Is.EqualTo(((double?)null, "linear")));
        // A run file without a recipe (saved before presets existed) is still dcgan's.
        Assert.That(new TrainOptions().Recipe, Is.EqualTo("dcgan"));
    }

    [Test]
    public void TheDefaultPresetIsSnganWithTheTunedRateAndEma()
    {
        var tunedSn = new TrainOptions { Recipe = GanRecipe.DefaultPreset }.ResolveRecipe();
        var adam = new OptimizerSettings.Adam(new(8e-4, 0.5, 0.999, 1e-8));
        Assert.That((tunedSn.Preset, tunedSn.OptimizerD, tunedSn.OptimizerG, tunedSn.EmaDecay),
            Is.EqualTo(("tuned-sn", adam, adam, (double?)0.999)));
        // Nothing else differs from sngan: hinge, spectral norm on D, no batchnorm in D.
        var sngan = GanRecipe.Named("sngan");
        Assert.That(tunedSn with { Preset = "sngan", OptimizerD = sngan.OptimizerD, OptimizerG = sngan.OptimizerG, EmaDecay = null },
            Is.EqualTo(sngan));
        Assert.That((sngan.Loss, sngan.SpectralNormD, sngan.DiscriminatorBatchNorm), Is.EqualTo(("hinge", true, false)));
        // The preset is the command line it was measured with.
        var spelled = new TrainOptions { Recipe = "sngan", LearningRate = 8e-4, Ema = 0.999 }.ResolveRecipe();
        Assert.That(spelled with { Preset = "tuned-sn" }, Is.EqualTo(tunedSn));
    }

    [Test]
    public void LearningRateSchedulesDecayFromOneToZeroOverTheRun()
    {
        var linear = new TrainOptions { LrSchedule = "linear" }.ResolveRecipe();
        var cosine = new TrainOptions { LrSchedule = "cosine" }.ResolveRecipe();
        Assert.That(new[] { 1, 2, 51, 100 }.Select(i => linear.LearningRateScaleAt(i, 100)),
            Is.EqualTo(new[] { 1, 0.99, 0.5, 0.01 }).Within(1e-12));
        Assert.That(new[] { 1, 51, 100 }.Select(i => cosine.LearningRateScaleAt(i, 100)),
            Is.EqualTo(new[] { 1, 0.5, 0.5 * (1 + Math.Cos(Math.PI * 0.99)) }).Within(1e-12));
        Assert.That(GanRecipe.Dcgan.LearningRateScaleAt(100, 100), Is.EqualTo(1));
        Assert.That(linear.Describe(), Does.Contain("decayed to 0 (linear)"));
        Assert.That(new TrainOptions { LrSchedule = "step" }.Problem(), Does.StartWith("lr_schedule step"));
    }

    [Test]
    public void LabelSmoothingLowersOnlyTheRealTargetOfBce()
    {
        Assert.That(GanRecipe.Dcgan.RealTarget, Is.EqualTo(1));
        var smoothed = new TrainOptions { LabelSmoothing = 0.1 }.ResolveRecipe();
        Assert.That(smoothed.RealTarget, Is.EqualTo(0.9).Within(1e-15));
        Assert.That(smoothed.Describe(), Does.Contain("real labels 0.9 (one-sided smoothing)"));
        Assert.That(smoothed with { LabelSmoothing = 0 }, Is.EqualTo(GanRecipe.Dcgan));
        Assert.That(new TrainOptions { LabelSmoothing = 0.5 }.Problem(), Does.StartWith("label_smoothing 0.5; expected a number in [0, 0.5)"));
        Assert.That(new TrainOptions { LabelSmoothing = -0.1 }.Problem(), Does.StartWith("label_smoothing -0.1"));
        Assert.That(new TrainOptions { Recipe = "hinge", LabelSmoothing = 0.1 }.Problem(),
            Is.EqualTo("label_smoothing 0.1; expected 0 with the hinge loss (only bce has labels to smooth)"));
        Assert.That(new TrainOptions { Recipe = "hinge", LabelSmoothing = 0 }.Problem(), Is.Null);
    }

    [Test]
    public void DiffAugmentPoliciesAreTheOfficialPartsInTheirOrder()
    {
        Assert.That(GanRecipe.Dcgan.Augment, Is.EqualTo(DiffAugmentPolicy.None));
        var both = new TrainOptions { DiffAugment = "cutout,translation" }.ResolveRecipe();
        Assert.That((both.DiffAugment, both.Augment), Is.EqualTo(("translation,cutout", new DiffAugmentPolicy(true, true))));
        Assert.That(both.Describe(), Does.EndWith(", DiffAugment translation,cutout"));
        Assert.That(new TrainOptions { DiffAugment = "none" }.ResolveRecipe(), Is.EqualTo(GanRecipe.Dcgan));
        foreach (string bad in new[] { "color", "translation,translation", "", "translation,", "Translation" })
            Assert.That(new TrainOptions { DiffAugment = bad }.Problem(), Does.StartWith($"diffaugment {bad}; expected none or"), bad);
        Assert.That(new TrainOptions { Recipe = "r1", DiffAugment = "translation" }.Problem(),
            Is.EqualTo("diffaugment translation; expected none with a gradient penalty (r1 is taken on images DiffAugment does not see)"));
        Assert.That(new TrainOptions { Recipe = "r1", R1Gamma = 0, DiffAugment = "translation" }.Problem(), Is.Null);
    }

    [Test]
    public void SecondOrderPresetsAreThePapers()
    {
        var gp = new TrainOptions { Recipe = "wgan-gp" }.ResolveRecipe();
        Assert.That((gp.Loss, gp.CriticSteps, gp.CriticWarmup, gp.DiscriminatorBatchNorm, gp.ClipWeights),
            Is.EqualTo(("wgan", 5, false, false, (double?)null)));
        Assert.That(gp.Penalty, Is.EqualTo(new GradientPenalty("wgan-gp", 10)));
        Assert.That(gp.OptimizerD, Is.EqualTo(new OptimizerSettings.Adam(new(1e-4, 0.5, 0.9, 1e-8))));
        Assert.That(gp.OptimizerG, Is.EqualTo(gp.OptimizerD));
        var sn = new TrainOptions { Recipe = "sngan" }.ResolveRecipe();
        Assert.That((sn.Loss, sn.SpectralNorm, sn.SpectralNormD, sn.SpectralNormG, sn.DiscriminatorBatchNorm, sn.Penalty),
            Is.EqualTo(("hinge", "d", true, false, false, (GradientPenalty?)null)));
        Assert.That(sn.OptimizerD, Is.EqualTo(new OptimizerSettings.Adam(new(2e-4, 0.5, 0.999, 1e-8))));
        var r1 = new TrainOptions { Recipe = "r1" }.ResolveRecipe();
        Assert.That((r1.Loss, r1.DiscriminatorBatchNorm, r1.Penalty), Is.EqualTo(("bce", false, new GradientPenalty("r1", GanRecipe.RecommendedR1Gamma))));
    }

    [Test]
    public void PenaltyOptionsOverrideThePreset()
    {
        Assert.That(new TrainOptions { Recipe = "wgan-gp", GpLambda = 0 }.ResolveRecipe().Penalty, Is.Null);
        Assert.That(new TrainOptions { Recipe = "r1", R1Gamma = 0.5, R1Every = 16 }.ResolveRecipe().Penalty,
            Is.EqualTo(new GradientPenalty("r1", 0.5, 16)));
        Assert.That(new TrainOptions { Recipe = "hinge", DNorm = "none", GpLambda = 5 }.ResolveRecipe().Penalty,
            Is.EqualTo(new GradientPenalty("wgan-gp", 5)));
        // --r1-gamma 0 removes r1's penalty; it leaves another kind alone.
        Assert.That(new TrainOptions { Recipe = "r1", R1Gamma = 0 }.ResolveRecipe().Penalty, Is.Null);
        Assert.That(new TrainOptions { Recipe = "wgan-gp", R1Gamma = 0 }.ResolveRecipe().Penalty, Is.EqualTo(new GradientPenalty("wgan-gp", 10)));
        Assert.That(new TrainOptions { SpectralNorm = "both" }.ResolveRecipe().SpectralNormG, Is.True);
    }

    [Test]
    public void APenaltyWithBatchNormInTheCriticOrTwoPenaltiesAreProblems()
    {
        Assert.That(new TrainOptions { GpLambda = 10 }.Problem(), Does.StartWith("d_norm batch; expected none with a gradient penalty (wgan-gp"));
        Assert.That(new TrainOptions { Recipe = "wgan-gp", DNorm = "batch" }.Problem(), Does.StartWith("d_norm batch; expected none"));
        Assert.That(new TrainOptions { Recipe = "r1", GpLambda = 10, R1Gamma = 1 }.Problem(), Does.Contain("one gradient penalty, not both"));
        Assert.That(new TrainOptions { Recipe = "wgan-gp" }.Problem(), Is.Null);
    }

    [TestCase("recipe", "began")]
    [TestCase("spectral_norm", "all")]
    [TestCase("loss", "kl")]
    [TestCase("optimizer", "sgd")]
    [TestCase("d_norm", "layer")]
    public void UnknownNamesAreProblems(string field, string value)
    {
        var o = field switch
        {
            "recipe" => new TrainOptions { Recipe = value },
            "loss" => new TrainOptions { Loss = value },
            "optimizer" => new TrainOptions { Optimizer = value },
            "spectral_norm" => new TrainOptions { SpectralNorm = value },
            _ => new TrainOptions { DNorm = value },
        };
        Assert.That(o.Problem(), Does.StartWith($"{field} {value}; expected"));
    }
}

/// <summary>Every preset trains, resumes exactly (2 + resume to 4 == 4 straight) and writes its own columns.</summary>
public abstract class RecipeTrainingTests : BackendTest
{
    string outDir = null!;

    [SetUp]
    public void MakeOutDir() => outDir = Path.Combine(Path.GetTempPath(), "dcgan-recipe-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveOutDir()
    {
        if (Directory.Exists(outDir))
            Directory.Delete(outDir, recursive: true);
    }

    TrainOptions Tiny(string recipe, int iterations) => new()
    {
        Dataset = "fake", FakeCount = 48, Channels = 1, ImageSize = 16, BatchSize = 4, Nz = 6, Ngf = 4, Ndf = 4,
        Iterations = iterations, Device = DeviceSpec, Seed = 3, Out = outDir, Recipe = recipe,
        // The warm-up's 100 critic steps per iteration are tested by the schedule; here 5 steps show the counting.
        CriticWarmup = recipe == "wgan" ? false : null,
    };

    [TestCase("dcgan")]
    [TestCase("wgan")]
    [TestCase("hinge")]
    [TestCase("lsgan")]
    [TestCase("wgan-gp")]
    public void PresetResumesExactly(string recipe) => ResumesExactly(recipe, o => o);

    /// <summary>
    /// sngan with spectral norm on G too (both networks' u, v in the checkpoints and the train state), and r1 made lazy
    /// (its phase across a resume; its steps 1 and 4 take the penalty as the plain preset does): these two stand for
    /// the sngan and r1 presets, whose own runs would only repeat them (each run compiles every kernel on PoCL anew).
    /// </summary>
    [Test]
    public void SpectralNormOnBothAndLazyR1ResumeExactly()
    {
        ResumesExactly("sngan", o => o with { SpectralNorm = "both" });
        Directory.Delete(outDir, recursive: true);
        ResumesExactly("r1", o => o with { R1Every = 3 });
    }

    /// <summary>DiffAugment draws its uniforms at positions given by the step counts, so a resumed run augments the same.</summary>
    [Test]
    public void DiffAugmentAndLabelSmoothingResumeExactly() =>
        ResumesExactly("tuned", o => o with { DiffAugment = "translation,cutout", LabelSmoothing = 0.1 });

    void ResumesExactly(string recipe, Func<TrainOptions, TrainOptions> with)
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(with(Tiny(recipe, 4)), recorder);
        string csvPath = Path.Combine(outDir, "losses.csv");
        string[] straight = RecordingObserver.WithoutSpeed(File.ReadAllLines(csvPath));
        Assert.That(recorder.Rows.SelectMany(r => new[] { r.Stats.LossD, r.Stats.LossG, r.Stats.DX }), Is.All.Matches<float>(float.IsFinite));
        int k = recipe is "wgan" or "wgan-gp" ? 5 : 1;
        Assert.That(recorder.Rows.Select(r => r.CriticSteps), Is.EqualTo(new long[] { k, 2 * k, 3 * k, 4 * k }));
        Directory.Delete(outDir, recursive: true);

        TrainingRun.Start(with(Tiny(recipe, 2)), new RecordingObserver());
        var state = TrainState.ReadHeader(SafetensorsFile.Read(Path.Combine(outDir, TrainState.FileName)));
        Assert.That(state.Position, Is.EqualTo(new TrainPosition(2, 0, 2 * k, 2 * k)));
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 4 }, new RecordingObserver());
        Assert.That(RecordingObserver.WithoutSpeed(File.ReadAllLines(csvPath)), Is.EqualTo(straight), "2 + resume to 4 must equal 4 straight, bit for bit");
    }

    [Test]
    public void WganLogsTheCriticsMeanOutputsAndItsCriticLossIsMinusTheWassersteinEstimate()
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(Tiny("wgan", 3), recorder);
        var csv = File.ReadAllLines(Path.Combine(outDir, "losses.csv"));
        Assert.That(csv[0], Is.EqualTo("iteration,epoch,loss_d,loss_g,d_real,d_fake1,d_fake2,images_per_second,grad_norm_d,grad_norm_g,critic_steps,weight_norm_d,weight_norm_g"));
        foreach (var r in recorder.Rows)
        {
            // L_D = mean D(G(z)) − mean D(x) on the last critic step's batches; L_G = −mean D(G(z)) after D's step.
            Assert.That(r.Stats.LossD, Is.EqualTo(r.Stats.DGz1 - r.Stats.DX).Within(1e-6));
            Assert.That(r.Stats.LossG, Is.EqualTo(-r.Stats.DGz2));
        }
    }

    [Test]
    public void PenaltyIsLoggedApartFromTheCriticLoss()
    {
        var recorder = new RecordingObserver();
        TrainingRun.Start(Tiny("wgan-gp", 2), recorder);
        var csv = File.ReadAllLines(Path.Combine(outDir, "losses.csv"));
        Assert.That(csv[0], Is.EqualTo(TrainingRun.LossesCsvHeader(["d_real", "d_fake1", "d_fake2"], "gp")));
        foreach (var r in recorder.Rows)
        {
            // Loss_D is the critic's objective alone, so −Loss_D stays the Wasserstein estimate; the penalty is apart.
            Assert.That(r.Stats.LossD, Is.EqualTo(r.Stats.DGz1 - r.Stats.DX).Within(1e-6));
            Assert.That(r.Stats.Penalty, Is.GreaterThan(0f).And.Matches<float>(float.IsFinite));
        }
        Assert.That(csv.Skip(1).Select(l => float.Parse(l.Split(',')[^3], CultureInfo.InvariantCulture)),
            Is.EqualTo(recorder.Rows.Select(r => r.Stats.Penalty)));
    }

    [Test]
    public void SpectrallyNormalisedNetworksSaveTorchsNames()
    {
        TrainingRun.Start(Tiny("sngan", 1) with { SpectralNorm = "both" }, new RecordingObserver());
        var netD = SafetensorsFile.Read(Path.Combine(outDir, "netD.safetensors"));
        Assert.That(netD.Names, Is.EqualTo(new[] { 0, 2, 4 }.SelectMany(i =>
            new[] { $"main.{i}.weight_orig", $"main.{i}.weight_u", $"main.{i}.weight_v" })));
        Assert.That(netD.Get("main.2.weight_u").Shape, Is.EqualTo(new long[] { 8 }), "u: one per output channel");
        Assert.That(netD.Get("main.2.weight_v").Shape, Is.EqualTo(new long[] { 4 * 4 * 4 }), "v: in·k·k");
        var netG = SafetensorsFile.Read(Path.Combine(outDir, "netG.safetensors"));
        // ConvTranspose2d weight [in, out, k, k]: PyTorch normalises along dim 1, so u has one value per OUTPUT channel.
        var w = netG.Get("main.0.weight_orig").Shape;
        Assert.That(netG.Get("main.0.weight_u").Shape, Is.EqualTo(new[] { w[1] }));
        Assert.That(netG.Get("main.0.weight_v").Shape, Is.EqualTo(new[] { w[0] * w[2] * w[3] }));
        float[] u = netG.GetFloat32("main.0.weight_u");
        Assert.That(Math.Sqrt(u.Sum(x => (double)x * x)), Is.EqualTo(1).Within(1e-5), "u is a unit vector");
    }

    [Test]
    public void CriticWithoutBatchNormHasNoBatchNormTensors()
    {
        TrainingRun.Start(Tiny("hinge", 2) with { DNorm = "none" }, new RecordingObserver());
        var netD = SafetensorsFile.Read(Path.Combine(outDir, "netD.safetensors"));
        Assert.That(netD.Names, Is.EqualTo(new[] { "main.0.weight", "main.2.weight", "main.4.weight" }));
    }

    [Test]
    public void AVersion1RunResumesAndContinuesAsItsOwnRecipe()
    {
        // A run written by the release before the recipes (format 1: Adam moments under adamG./adamD., no
        // critic_steps column), 2 iterations: fake 16x16 grey, nz 8, ngf = ndf = 4, batch 4, seed 1, on PoCL.
        string fixture = Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Fixtures", "v1-run");
        Directory.CreateDirectory(outDir);
        foreach (string file in Directory.GetFiles(fixture))
            File.Copy(file, Path.Combine(outDir, Path.GetFileName(file)));
        string[] v1Rows = File.ReadAllLines(Path.Combine(outDir, "losses.csv"))[1..];

        var saved = TrainingRun.SavedOptions(outDir);
        Assert.That(saved.ResolveRecipe(), Is.EqualTo(GanRecipe.Dcgan));
        TrainingRun.Resume(saved with { Iterations = 4, Device = DeviceSpec }, new RecordingObserver());

        var csv = File.ReadAllLines(Path.Combine(outDir, "losses.csv"));
        Assert.That(csv[0], Is.EqualTo(TrainingRun.LossesCsvHeader(["d_x", "d_g_z1", "d_g_z2"])));
        Assert.That(csv[1..3], Is.EqualTo(v1Rows.Select((r, i) => r + "," + (i + 1).ToString(CultureInfo.InvariantCulture) + ",NaN,NaN")),
            "the old rows are kept, with critic_steps = iteration and the weight norms not logged (NaN)");
        Assert.That(csv.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "1", "2", "3", "4" }));
        var state = SafetensorsFile.Read(Path.Combine(outDir, TrainState.FileName));
        Assert.That(state.Metadata["format"], Is.EqualTo("dcgan-train-state-2"));
        Assert.That(state.Names, Does.Contain("optimizerD.exp_avg").And.Not.Contain("adamD.exp_avg"));

        if (DeviceSpec == "opencl")
        {
            // Where the fixture was made, the resumed run is the run the old release would have made: the same losses
            // and scores, bit for bit. Not the same gradient norms to the last bit (the global norm is summed from the
            // per-tensor norms since), and no weight norms (the old rows have NaN there).
            static string WithoutNorms(IEnumerable<string> lines) =>
                string.Join("\n", lines.Select(l => l.Split(',')).Select(c => string.Join(",", c[..7].Concat(c[10..^2]))));
            string resumed = WithoutNorms(csv);
            Directory.Delete(outDir, recursive: true);
            TrainingRun.Start(saved with { Iterations = 4, Device = DeviceSpec, Out = outDir }, new RecordingObserver());
            Assert.That(WithoutNorms(File.ReadAllLines(Path.Combine(outDir, "losses.csv"))), Is.EqualTo(resumed));
        }
    }

    [Test]
    public void EmaIsSavedResumedExactlyAndExportedWithItsOwnStatistics()
    {
        TrainingRun.Start(Tiny("dcgan", 4) with { Ema = 0.9 }, new RecordingObserver());
        string statePath = Path.Combine(outDir, TrainState.FileName);
        float[] straight = SafetensorsFile.Read(statePath).GetFloat32(TrainState.EmaTensor);
        string[] straightRows = RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv")));
        Directory.Delete(outDir, recursive: true);

        TrainingRun.Start(Tiny("dcgan", 2) with { Ema = 0.9 }, new RecordingObserver());
        TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 4 }, new RecordingObserver());
        Assert.That(SafetensorsFile.Read(statePath).GetFloat32(TrainState.EmaTensor), Is.EqualTo(straight));
        Assert.That(RecordingObserver.WithoutSpeed(File.ReadAllLines(Path.Combine(outDir, "losses.csv"))), Is.EqualTo(straightRows),
            "the EMA is a side copy: the training itself is unchanged");

        var g = SafetensorsFile.Read(Path.Combine(outDir, "netG.safetensors"));
        var ema = SafetensorsFile.Read(Path.Combine(outDir, TrainingRun.EmaGeneratorFile));
        Assert.That(ema.Names, Is.EqualTo(g.Names), "netG_ema has netG's state-dict names, so it loads into pytorch/examples' Generator");
        Assert.That(ema.GetFloat32("main.0.weight"), Is.Not.EqualTo(g.GetFloat32("main.0.weight")));
        // Its batchnorm statistics are re-estimated for the averaged weights: a plain average over 16 batches.
        Assert.That(ema.GetInt64("main.1.num_batches_tracked"), Is.EqualTo(new long[] { TrainingRun.EmaStatisticsBatches }));
        Assert.That(ema.GetFloat32("main.1.running_mean"), Is.Not.EqualTo(g.GetFloat32("main.1.running_mean")));
    }

    [Test]
    public void ResumingWithAnotherOptimizerIsRefusedInOneLine()
    {
        TrainingRun.Start(Tiny("dcgan", 1), new RecordingObserver());
        var e = Assert.Throws<ArgumentException>(() =>
            TrainingRun.Resume(TrainingRun.SavedOptions(outDir) with { Iterations = 2, Optimizer = "rmsprop" }, new RecordingObserver()));
        Assert.That(e!.Message, Is.EqualTo($"--resume {outDir}: --optimizer rmsprop differs from the run's adam; " +
            "exact resume needs the run's own values (leave it out); start a new run with --out for other settings"));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "losses.csv")), Has.Length.EqualTo(2), "refused before anything ran");
    }
}

public sealed class RecipeTrainingTestsCpu : RecipeTrainingTests { protected override string DeviceSpec => "cpu"; }
public sealed class RecipeTrainingTestsOpenCl : RecipeTrainingTests { protected override string DeviceSpec => "opencl"; }
public sealed class RecipeTrainingTestsCuda : RecipeTrainingTests { protected override string DeviceSpec => "cuda"; }

// A training recipe: everything that makes one GAN training step differ from another, resolved from a preset
// (`--recipe`) and the options that override it. GanTrainer runs any recipe; `dcgan` is pytorch/examples'.
//
//   preset  objective  critic steps  optimizers (D and G)            D norm  clip   source
//   dcgan   bce        1             Adam 2e-4, β (0.5, 0.999)       batch   —      pytorch/examples dcgan/main.py
//   wgan    wgan       5 (+ warm-up) RMSprop 5e-5 (α 0.99)           batch   0.01   Arjovsky et al. 2017, official code
//   hinge   hinge      1             Adam 2e-4, β (0.5, 0.999)       batch   —      Lim & Ye 2017 (settings: DCGAN's)
//   lsgan   lsgan      1             Adam 2e-4, β (0.5, 0.999)       batch   —      Mao et al. 2017 (settings: DCGAN's)
//   wgan-gp wgan       5             Adam 1e-4, β (0.5, 0.9)         none    —      Gulrajani et al. 2017, official code
//           + gradient penalty λ 10 at x̂ = x + α(G(z) − x)                          (its MNIST settings)
//   sngan   hinge      1             Adam 2e-4, β (0.5, 0.999)       none    —      Miyato et al. 2018: spectral norm on
//                                                                                   every conv of D
//   r1      bce        1             Adam 2e-4, β (0.5, 0.999)       none    —      Mescheder et al. 2018: R1 penalty
//           + R1 penalty (γ/2)·E‖∇D(x)‖² on real x, γ RecommendedR1Gamma             (DCGAN's settings otherwise)
//   tuned   bce        1             Adam 8e-4, β (0.5, 0.999);      batch   —      the default until round four of the
//                                    EMA of G (decay 0.999)                            search (docs/recipes.md)
//   tuned-sn hinge     1             Adam 8e-4, β (0.5, 0.999);      none    —      dcgan train's default: sngan at
//                                    EMA of G (decay 0.999)                            tuned's rate with its EMA, chosen by
//                                                                                      measurement on the quality metric
//                                                                                      (docs/recipes.md, "Round four");
//                                                                                      9 epochs by default (DefaultEpochsOf)
//
// The WGAN warm-up (official code): 100 critic steps for each of the first 25 generator steps and for every
// 500th, to train the critic near optimality before G follows it.
using System.Globalization;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;

namespace Dcgan.Nn.Training;

public sealed record GanRecipe(
    string Preset,
    string Loss,
    int CriticSteps,
    bool CriticWarmup,
    OptimizerSettings OptimizerD,
    OptimizerSettings OptimizerG,
    double? ClipWeights,
    bool DiscriminatorBatchNorm,
    double? EmaDecay = null,
    GradientPenalty? Penalty = null,
    string SpectralNorm = "none",
    string LrSchedule = "constant",
    double LabelSmoothing = 0,
    string DiffAugment = "none")
{
    public static readonly string[] Presets = ["tuned-sn", "tuned", "dcgan", "wgan", "hinge", "lsgan", "wgan-gp", "sngan", "r1"];

    /// <summary>
    /// `dcgan train`'s preset when --recipe is not given: pytorch/examples' networks with SN-GAN's critic (hinge loss,
    /// spectral norm, no batchnorm in D) and the learning rate and averaging that gave the best samples in the default
    /// run's wall-clock budget (docs/recipes.md). A new name rather than a new meaning for "tuned", so that runs saved
    /// with "tuned" resume as they were trained. TrainOptions' own default stays "dcgan", the recipe of run files saved
    /// before presets existed.
    /// </summary>
    public const string DefaultPreset = "tuned-sn";

    /// <summary>
    /// A new run's epochs when neither --epochs nor --iterations is given: TrainOptions.DefaultEpochs (10), except for
    /// tuned-sn, 9. Its iteration costs about 4% more than dcgan's (the spectral norm's power iterations and backward,
    /// the EMA), and it was chosen for the best samples within the wall time of dcgan's 10 epochs on this project's
    /// 2-core machine, which its 9 fit and its 10 overran (docs/recipes.md, "Round four").
    /// </summary>
    public static int DefaultEpochsOf(string preset) => preset == "tuned-sn" ? 9 : TrainOptions.DefaultEpochs;

    /// <summary>The tuned presets' Adam learning rate (4× dcgan's) and G's EMA decay (docs/recipes.md).</summary>
    public const double TunedLearningRate = 8e-4, TunedEmaDecay = 0.999;
    /// <summary>Which networks' convolutions are spectrally normalised (--spectral-norm).</summary>
    public static readonly string[] SpectralNorms = ["none", "d", "g", "both"];

    /// <summary>WGAN-GP's λ (Gulrajani et al. 2017, all their experiments).</summary>
    public const double WganGpLambda = 10;

    /// <summary>The r1 preset's γ (docs/recipes.md: how it was chosen).</summary>
    public const double RecommendedR1Gamma = 10;

    /// <summary>
    /// How both learning rates change over the run (--lr-schedule): constant, or decayed to 0 at the run's last
    /// iteration, linearly or along a half cosine. A decay lets the last iterations settle instead of orbiting at the
    /// full step size (docs/recipes.md measures it).
    /// </summary>
    public static readonly string[] LrSchedules = ["constant", "linear", "cosine"];

    /// <summary>
    /// The factor on both learning rates for iteration <paramref name="iteration"/> (1-based) of <paramref name="total"/>:
    /// 1 at the first, (1 − (i − 1)/T) or ½(1 + cos(π(i − 1)/T)) after. A function of the iteration alone, so a
    /// resumed run continues the same schedule (as long as it keeps the run's length).
    /// </summary>
    public double LearningRateScaleAt(int iteration, int total)
    {
        double progress = Math.Clamp((iteration - 1) / (double)Math.Max(total, 1), 0, 1);
        return LrSchedule switch
        {
            "linear" => 1 - progress,
            "cosine" => 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => 1,
        };
    }

    /// <summary>
    /// One-sided label smoothing (Salimans et al. 2016, "Improved techniques for training GANs", §3.4): the bce critic's
    /// target on real images is 1 − s instead of 1; fake images keep 0 and the generator's target stays 1, so only D's
    /// confidence on real data is capped. Only the bce loss has targets (TrainOptions refuses it with the others).
    /// </summary>
    public double RealTarget => 1 - LabelSmoothing;

    /// <summary>
    /// DiffAugment's transforms (Zhao et al. 2020; --diffaugment): applied with fresh randomness to every image D sees,
    /// real and fake, in the critic and the generator step, G's gradient flowing back through them.
    /// </summary>
    public DiffAugmentPolicy Augment => DiffAugmentPolicy.Parse(DiffAugment) ?? DiffAugmentPolicy.None;

    public bool SpectralNormD => SpectralNorm is "d" or "both";
    public bool SpectralNormG => SpectralNorm is "g" or "both";
    public static readonly string[] OptimizerKinds = ["adam", "rmsprop"];
    public static readonly string[] DNorms = ["batch", "none"];

    /// <summary>The official WGAN code's warm-up: critic steps per G step there, and when.</summary>
    public const int WarmupCriticSteps = 100, WarmupFirstGSteps = 25, WarmupEvery = 500;

    public static GanRecipe Dcgan => Named("dcgan");

    public static GanRecipe Named(string name)
    {
        var adam = new OptimizerSettings.Adam(AdamSettings.Dcgan);
        var gpAdam = new OptimizerSettings.Adam(AdamSettings.Dcgan with { LearningRate = 1e-4, Beta2 = 0.9 });
        var tunedAdam = new OptimizerSettings.Adam(AdamSettings.Dcgan with { LearningRate = TunedLearningRate });
        return name switch
        {
            "dcgan" => new("dcgan", "bce", 1, false, adam, adam, null, true),
            "tuned" => new("tuned", "bce", 1, false, tunedAdam, tunedAdam, null, true, EmaDecay: TunedEmaDecay),
            "wgan" => new("wgan", "wgan", 5, true, new OptimizerSettings.RmsProp(RmsPropSettings.Wgan),
                new OptimizerSettings.RmsProp(RmsPropSettings.Wgan), 0.01, true),
            "hinge" => new("hinge", "hinge", 1, false, adam, adam, null, true),
            "lsgan" => new("lsgan", "lsgan", 1, false, adam, adam, null, true),
            "wgan-gp" => new("wgan-gp", "wgan", 5, false, gpAdam, gpAdam, null, false,
                Penalty: new GradientPenalty("wgan-gp", WganGpLambda)),
            "sngan" => new("sngan", "hinge", 1, false, adam, adam, null, false, SpectralNorm: "d"),
            "tuned-sn" => new("tuned-sn", "hinge", 1, false, tunedAdam, tunedAdam, null, false, EmaDecay: TunedEmaDecay,
                SpectralNorm: "d"),
            "r1" => new("r1", "bce", 1, false, adam, adam, null, false, Penalty: new GradientPenalty("r1", RecommendedR1Gamma)),
            _ => throw new ArgumentException($"unknown recipe '{name}'; expected one of {string.Join(", ", Presets)}"),
        };
    }

    /// <summary>Critic steps before generator step <paramref name="g"/> (1-based).</summary>
    public int CriticStepsBefore(int g) =>
        CriticWarmup && (g - 1 < WarmupFirstGSteps || (g - 1) % WarmupEvery == 0) ? WarmupCriticSteps : CriticSteps;

    /// <summary>Critic steps (= real batches) taken by the end of generator step <paramref name="g"/>.</summary>
    public long CriticStepsThrough(int g)
    {
        long total = 0;
        for (int i = 1; i <= g; i++)
            total += CriticStepsBefore(i);
        return total;
    }

    /// <summary>Generator steps whose critic steps all fit in <paramref name="batches"/> real batches (an epoch budget).</summary>
    public int GeneratorStepsWithin(long batches)
    {
        int g = 0;
        long used = 0;
        while (used + CriticStepsBefore(g + 1) <= batches)
            used += CriticStepsBefore(++g);
        return g;
    }

    /// <summary>One line for the console and run.json.</summary>
    public string Describe()
    {
        string warmup = CriticWarmup ? $" ({WarmupCriticSteps} for the first {WarmupFirstGSteps} and every {WarmupEvery}th)" : "";
        string clip = ClipWeights is double c ? FormattableString.Invariant($", D weights clipped to ±{c:G4}") : "";
        return $"{Preset}: loss {Loss}, {CriticSteps} critic step(s) per G step{warmup}, D {OptimizerD}, G {OptimizerG}, " +
               $"D norm {(DiscriminatorBatchNorm ? "batch" : "none")}{clip}" +
               (Penalty is { } p ? $", {p.Describe()}" : "") +
               (SpectralNorm != "none" ? $", spectral norm on {SpectralNorm switch { "d" => "D", "g" => "G", _ => "D and G" }}" : "") +
               (EmaDecay is double d ? FormattableString.Invariant($", EMA of G's weights (decay {d:G6})") : "") +
               (LrSchedule != "constant" ? $", learning rates decayed to 0 ({LrSchedule})" : "") +
               (LabelSmoothing > 0 ? FormattableString.Invariant($", real labels {RealTarget:G4} (one-sided smoothing)") : "") +
               (Augment.Any ? $", DiffAugment {Augment}" : "");
    }

    /// <summary>The same recipe with both learning rates multiplied by <paramref name="factor"/>.</summary>
    public GanRecipe ScaleLearningRates(double factor) =>
        this with { OptimizerD = OptimizerD.ScaleLearningRate(factor), OptimizerG = OptimizerG.ScaleLearningRate(factor) };
}

/// <summary>
/// A gradient penalty on the critic (Dcgan.Nn/Models/CriticPenalty.cs): "wgan-gp" (Weight = λ, at x̂ = x + α(G(z) − x),
/// one α per sample) or "r1" (Weight = γ, (γ/2)·mean ‖∇D(x)‖² on the real batch), applied every Every-th critic step
/// with its gradient weighted by Every (lazy regularisation, StyleGAN2; R1 only).
/// </summary>
public sealed record GradientPenalty(string Kind, double Weight, int Every = 1)
{
    public static readonly string[] Kinds = ["wgan-gp", "r1"];

    public Ops.PenaltyForm Form => Kind == "wgan-gp" ? Ops.PenaltyForm.WganGp(Weight) : Ops.PenaltyForm.R1(Weight);

    /// <summary>losses.csv's column and the console's label of the penalty's value.</summary>
    public string Column => Kind == "wgan-gp" ? "gp" : "r1";

    public string Describe() => Kind == "wgan-gp"
        ? FormattableString.Invariant($"gradient penalty λ {Weight:G4}")
        : FormattableString.Invariant($"R1 penalty γ {Weight:G4}{(Every > 1 ? $" every {Every} critic steps" : "")}");
}

// Every option of `dcgan train`, with pytorch/examples' defaults where it has one. Saved as JSON in run.json
// and in the train state, so `--resume` continues with the same configuration.
using System.Text.Json;
using System.Text.Json.Serialization;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;

namespace Dcgan.Nn.Training;

public sealed record TrainOptions
{
    public string Dataset { get; init; } = "bundled";
    public string? DataRoot { get; init; }
    public bool Download { get; init; }
    public int ImageSize { get; init; } = 32;
    /// <summary>Image channels; null takes the data set's own (1 for the MNIST family, 3 otherwise).</summary>
    public int? Channels { get; init; }
    /// <summary>
    /// 16, not pytorch/examples' 64, chosen by measurement on 2 cores with PoCL: in the same wall time smaller
    /// batches give more updates, and the default run's grids show all ten digits more often (README, "The
    /// default run").
    /// </summary>
    public int BatchSize { get; init; } = DefaultBatchSize;
    public int Epochs { get; init; } = DefaultEpochs;
    /// <summary>Total iterations of the run, counted from 1 across epochs; wins over Epochs when set.</summary>
    public int? Iterations { get; init; }
    public int Nz { get; init; } = 100;
    /// <summary>
    /// Starting weights of a new run (pytorch/examples' --netG / --netD): state dicts in safetensors with its names,
    /// loaded strictly over the initial weights; null: the initialisation alone. A resume starts from its checkpoint.
    /// </summary>
    public string? NetG { get; init; }
    public string? NetD { get; init; }
    public int Ngf { get; init; } = 64;
    public int Ndf { get; init; } = 64;
    /// <summary>
    /// The preset the recipe starts from (GanRecipe.Presets); the options below override it. "dcgan" when absent, as
    /// in run files saved before presets existed; `dcgan train` starts from GanRecipe.DefaultPreset.
    /// </summary>
    public string Recipe { get; init; } = "dcgan";
    /// <summary>The objective (GanObjective.Names); null: the preset's.</summary>
    public string? Loss { get; init; }
    /// <summary>Critic steps per generator step; null: the preset's.</summary>
    public int? CriticSteps { get; init; }
    /// <summary>WGAN's warm-up of 100 critic steps (first 25 G steps and every 500th); null: the preset's.</summary>
    public bool? CriticWarmup { get; init; }
    /// <summary>"adam" or "rmsprop" for both networks; null: the preset's.</summary>
    public string? Optimizer { get; init; }
    /// <summary>Both networks' learning rate (--lr); null: the preset's. --lr-d / --lr-g override it per network.</summary>
    public double? LearningRate { get; init; }
    public double? LrD { get; init; }
    public double? LrG { get; init; }
    /// <summary>Adam's β1 and β2; null: the preset's (0.5 and 0.999).</summary>
    public double? Beta1 { get; init; }
    public double? Beta2 { get; init; }
    /// <summary>WGAN's weight clipping bound c for D (0: none); null: the preset's.</summary>
    public double? ClipWeights { get; init; }
    /// <summary>"batch" or "none": batchnorm in D or not; null: the preset's.</summary>
    public string? DNorm { get; init; }
    /// <summary>WGAN-GP's penalty weight λ (0: no penalty); null: the preset's.</summary>
    public double? GpLambda { get; init; }
    /// <summary>R1's γ (0: no penalty); null: the preset's.</summary>
    public double? R1Gamma { get; init; }
    /// <summary>Lazy R1: the penalty every k-th critic step, its gradient weighted by k; null: 1 (every step).</summary>
    public int? R1Every { get; init; }
    /// <summary>"none", "d", "g" or "both": which networks' convolutions are spectrally normalised; null: the preset's.</summary>
    public string? SpectralNorm { get; init; }
    /// <summary>Decay of an exponential moving average of G's weights (e.g. 0.999); 0: none; null: the preset's.</summary>
    public double? Ema { get; init; }
    /// <summary>"constant", "linear" or "cosine" (GanRecipe.LrSchedules); null: the preset's.</summary>
    public string? LrSchedule { get; init; }
    /// <summary>One-sided label smoothing s: the bce critic's target on real images is 1 − s (0: none); null: the preset's.</summary>
    public double? LabelSmoothing { get; init; }
    /// <summary>DiffAugment's policy: "none" or parts of "translation,cutout" (DiffAugmentPolicy); null: the preset's.</summary>
    public string? DiffAugment { get; init; }
    public string Device { get; init; } = "auto";
    public ulong Seed { get; init; } = 1;
    public string? Out { get; init; }
    /// <summary>Save a checkpoint every N iterations; null: at every epoch end and at the end of the run.</summary>
    public int? CheckpointEvery { get; init; }
    /// <summary>Also render the fixed-noise grid every N iterations (grids are always rendered per epoch).</summary>
    public int? SampleEvery { get; init; }
    /// <summary>
    /// Images the quality metric (Evaluation/QualityMetric.cs) scores at every epoch end and at the end of the run, a
    /// multiple of 64 (0: none). Runs only where a classifier judges the images: the shipped one for digits
    /// (bundled, mnist) at its size, or <see cref="Classifier"/>.
    /// </summary>
    public int EvalCount { get; init; } = DefaultEvalCount;
    /// <summary>The metric's classifier file (dcgan classifier train); null: the shipped one where it applies.</summary>
    public string? Classifier { get; init; }
    /// <summary>
    /// Threads filling batches ahead of training (BatchLoaderOptions.Workers; pytorch/examples' --workers); null: its
    /// default. The batches do not depend on it, so a resume may change it.
    /// </summary>
    public int? Workers { get; init; }
    /// <summary>Number of images of the "fake" data set.</summary>
    public int FakeCount { get; init; } = 10_000;
    /// <summary>"rollback" (restore the last good checkpoint, halve the learning rate, go on) or "stop".</summary>
    public string OnDivergence { get; init; } = "rollback";
    /// <summary>"warn": report a collapsed G or a D that has won (CollapseMonitor) and go on; "stop": end the run there.</summary>
    public string OnCollapse { get; init; } = "warn";
    /// <summary>clip_grad_norm_'s max_norm for each network's gradients; null: no clipping.</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Folder data sets: "skip" an unreadable image (reported by name) or "fail" on it.</summary>
    public string OnBadImage { get; init; } = "skip";
    /// <summary>Folder data sets: directory of the preprocessed cache (decoded once, reused by later runs); null: none.</summary>
    public string? CacheDir { get; init; }
    /// <summary>
    /// Append TensorBoard events (Reporting/TensorBoardExport.cs) to an events.out.tfevents file in the run directory at
    /// every checkpoint; saved, so a resume goes on writing them.
    /// </summary>
    [JsonPropertyName("tensorboard")] // the option's name, not snake case's "tensor_board"
    public bool TensorBoard { get; init; }

    public static readonly string[] DivergencePolicies = ["rollback", "stop"];
    public static readonly string[] CollapsePolicies = ["warn", "stop"];
    public static readonly string[] BadImagePolicies = ["skip", "fail"];

    /// <summary>Chosen by measurement (README): the default run finishes within 10 minutes on 2 cores with PoCL.</summary>
    public const int DefaultEpochs = 10;
    public const int DefaultBatchSize = 16;
    /// <summary>16 batches of 64: about 1.5% of an epoch's time in the default run (docs/metrics.md).</summary>
    public const int DefaultEvalCount = 1024;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// The configuration saved in a train state. Anything unusable (not JSON, a wrong type, an impossible value)
    /// is one <see cref="Checkpoints.CheckpointException"/> line naming the file, the field and what was expected.
    /// </summary>
    public static TrainOptions FromJson(string json, string source)
    {
        TrainOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainOptions>(json, Json)
                      ?? throw new Checkpoints.CheckpointException($"{source}: the saved configuration is JSON null; expected an object of training options");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new Checkpoints.CheckpointException(
                $"{source}: the saved configuration (metadata 'config') is not valid ({OneLine(e.Message)}); expected the JSON object dcgan train writes", e);
        }
        if (options.Problem() is string problem)
            throw new Checkpoints.CheckpointException($"{source}: the saved configuration has {problem}");
        return options;
    }

    /// <summary>The first impossible value, as "field X; expected Y", or null when every value is usable.</summary>
    public string? Problem()
    {
        static string Bad(string field, object? value, string expected) => $"{field} {value ?? "null"}; expected {expected}";
        if (Dataset is null || !Data.DatasetFactory.Names.Contains(Dataset))
            return Bad("dataset", Dataset, $"one of {string.Join(", ", Data.DatasetFactory.Names)}");
        if (!Models.ModelConfig.SupportedImageSizes.Contains(ImageSize))
            return Bad("image_size", ImageSize, "16, 32, 64 or 128");
        if (Channels is not (null or 1 or 3))
            return Bad("channels", Channels, "1, 3 or null");
        if (BatchSize < 2)
            return Bad("batch_size", BatchSize, "at least 2");
        if (Epochs < 1)
            return Bad("epochs", Epochs, "at least 1");
        if (Iterations is < 1)
            return Bad("iterations", Iterations, "at least 1 or null");
        if (Nz < 1 || Ngf < 1 || Ndf < 1)
            return Bad("nz/ngf/ndf", $"{Nz}/{Ngf}/{Ndf}", "positive sizes");
        if (Recipe is null || !GanRecipe.Presets.Contains(Recipe))
            return Bad("recipe", Recipe, $"one of {string.Join(", ", GanRecipe.Presets)}");
        if (Loss is not null && !GanObjective.Names.Contains(Loss))
            return Bad("loss", Loss, $"one of {string.Join(", ", GanObjective.Names)}");
        if (CriticSteps is < 1 or > 1000)
            return Bad("critic_steps", CriticSteps, "1 to 1000");
        if (Optimizer is not null && !GanRecipe.OptimizerKinds.Contains(Optimizer))
            return Bad("optimizer", Optimizer, "adam or rmsprop");
        foreach (var (name, lr) in new[] { ("lr", LearningRate), ("lr_d", LrD), ("lr_g", LrG) })
            if (lr is double v && !(v > 0 && double.IsFinite(v)))
                return Bad(name, v, "a positive number");
        foreach (var (name, beta) in new[] { ("beta1", Beta1), ("beta2", Beta2) })
            if (beta is double b && !(b >= 0 && b < 1))
                return Bad(name, b, "a number in [0, 1)");
        if (ClipWeights is double cw && !(cw >= 0 && double.IsFinite(cw)))
            return Bad("clip_weights", cw, "a non-negative number (0: no clipping)");
        if (Ema is double ema && !(ema >= 0 && ema < 1))
            return Bad("ema", ema, "a decay in [0, 1) (0: none)");
        if (LrSchedule is not null && !GanRecipe.LrSchedules.Contains(LrSchedule))
            return Bad("lr_schedule", LrSchedule, string.Join(", ", GanRecipe.LrSchedules));
        if (LabelSmoothing is double ls && !(ls >= 0 && ls < 0.5))
            return Bad("label_smoothing", ls, "a number in [0, 0.5)");
        if (DiffAugment is not null && DiffAugmentPolicy.Parse(DiffAugment) is null)
            return Bad("diffaugment", DiffAugment,
                $"none or a comma-separated list of {string.Join(", ", DiffAugmentPolicy.Parts)} (color is not written)");
        if (DNorm is not null && !GanRecipe.DNorms.Contains(DNorm))
            return Bad("d_norm", DNorm, "batch or none");
        if (GpLambda is double gp && !(gp >= 0 && gp <= 1e6))
            return Bad("gp_lambda", gp, "a number in [0, 1e6] (0: none)");
        if (R1Gamma is double r1 && !(r1 >= 0 && r1 <= 1e6))
            return Bad("r1_gamma", r1, "a number in [0, 1e6] (0: none)");
        if (R1Every is < 1 or > 1000)
            return Bad("r1_every", R1Every, "1 to 1000");
        if (SpectralNorm is not null && !GanRecipe.SpectralNorms.Contains(SpectralNorm))
            return Bad("spectral_norm", SpectralNorm, "none, d, g or both");
        if (GpLambda is > 0 && R1Gamma is > 0)
            return Bad("gp_lambda/r1_gamma", $"{GpLambda}/{R1Gamma}", "one gradient penalty, not both");
        // The options that conflict only in combination, judged on the recipe they resolve to (Recipe is a preset here).
        var recipe = ResolveRecipe();
        if (recipe is { Penalty: { } p, DiscriminatorBatchNorm: true })
            return Bad("d_norm", "batch", $"none with a gradient penalty ({p.Kind}: batchnorm mixes the samples a per-sample penalty keeps apart, and has no double backward here)");
        if (recipe.LabelSmoothing > 0 && recipe.Loss != "bce")
            return Bad("label_smoothing", LabelSmoothing, $"0 with the {recipe.Loss} loss (only bce has labels to smooth)");
        if (recipe is { Augment.Any: true, Penalty: { } augmentedPenalty })
            return Bad("diffaugment", DiffAugment,
                $"none with a gradient penalty ({augmentedPenalty.Kind} is taken on images DiffAugment does not see)");
        if (Device is null)
            return Bad("device", Device, "auto, cuda[:i], opencl[:i] or cpu");
        if (CheckpointEvery is < 1 || SampleEvery is < 1)
            return Bad("checkpoint_every/sample_every", $"{CheckpointEvery}/{SampleEvery}", "at least 1 or null");
        if (FakeCount < 1)
            return Bad("fake_count", FakeCount, "at least 1");
        if (EvalCount < 0 || EvalCount % 64 != 0 || EvalCount > Evaluation.DataSplit.MaxReference)
            return Bad("eval_count", EvalCount, $"a multiple of 64 up to {Evaluation.DataSplit.MaxReference} (0: no metric)");
        if (OnDivergence is null || !DivergencePolicies.Contains(OnDivergence))
            return Bad("on_divergence", OnDivergence, "rollback or stop");
        if (OnCollapse is null || !CollapsePolicies.Contains(OnCollapse))
            return Bad("on_collapse", OnCollapse, "warn or stop");
        if (ClipGradNorm is double c && !(c > 0 && double.IsFinite(c)))
            return Bad("clip_grad_norm", c, "a positive number or null");
        if (OnBadImage is null || !BadImagePolicies.Contains(OnBadImage))
            return Bad("on_bad_image", OnBadImage, "skip or fail");
        return null;
    }

    /// <summary>The recipe these options ask for: the preset with every given override applied.</summary>
    public GanRecipe ResolveRecipe()
    {
        var preset = GanRecipe.Named(Recipe);
        string kind = Optimizer ?? preset.OptimizerD.Kind;
        OptimizerSettings Settings(OptimizerSettings fromPreset, double? lr)
        {
            double rate = lr ?? LearningRate ?? (fromPreset.Kind == kind ? fromPreset.LearningRate
                : kind == "adam" ? AdamSettings.Dcgan.LearningRate : RmsPropSettings.Wgan.LearningRate);
            if (kind == "rmsprop")
                return new OptimizerSettings.RmsProp(new RmsPropSettings(rate));
            var adam = fromPreset is OptimizerSettings.Adam a ? a.Settings : AdamSettings.Dcgan;
            return new OptimizerSettings.Adam(adam with
            {
                LearningRate = rate, Beta1 = Beta1 ?? adam.Beta1, Beta2 = Beta2 ?? adam.Beta2,
            });
        }
        return preset with
        {
            Loss = Loss ?? preset.Loss,
            CriticSteps = CriticSteps ?? preset.CriticSteps,
            CriticWarmup = CriticWarmup ?? preset.CriticWarmup,
            OptimizerD = Settings(preset.OptimizerD, LrD),
            OptimizerG = Settings(preset.OptimizerG, LrG),
            ClipWeights = ClipWeights is double c ? (c > 0 ? c : null) : preset.ClipWeights,
            DiscriminatorBatchNorm = DNorm is null ? preset.DiscriminatorBatchNorm : DNorm == "batch",
            EmaDecay = Ema is double e ? (e > 0 ? e : null) : preset.EmaDecay,
            Penalty = ResolvePenalty(preset.Penalty),
            SpectralNorm = SpectralNorm ?? preset.SpectralNorm,
            LrSchedule = LrSchedule ?? preset.LrSchedule,
            LabelSmoothing = LabelSmoothing ?? preset.LabelSmoothing,
            DiffAugment = DiffAugment is null ? preset.DiffAugment : DiffAugmentPolicy.Parse(DiffAugment)?.ToString() ?? DiffAugment,
        };
    }

    /// <summary>--gp or --r1-gamma replace the preset's penalty (0 removes that kind); --r1-every sets lazy R1's interval.</summary>
    GradientPenalty? ResolvePenalty(GradientPenalty? preset)
    {
        var penalty = preset;
        if (GpLambda is double l)
            penalty = l > 0 ? new GradientPenalty("wgan-gp", l) : penalty is { Kind: "wgan-gp" } ? null : penalty;
        if (R1Gamma is double g)
            penalty = g > 0 ? new GradientPenalty("r1", g) : penalty is { Kind: "r1" } ? null : penalty;
        return penalty is { Kind: "r1" } && R1Every is int k ? penalty with { Every = k } : penalty;
    }

    /// <summary>The same options with both resolved learning rates multiplied by factor (a divergence rollback).</summary>
    public TrainOptions WithLearningRatesScaled(double factor)
    {
        var recipe = ResolveRecipe();
        return this with
        {
            LrD = recipe.OptimizerD.LearningRate * factor,
            LrG = recipe.OptimizerG.LearningRate * factor,
        };
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

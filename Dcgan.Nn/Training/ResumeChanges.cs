// What `dcgan train --resume DIR` changes of the run's saved options, one record per option, and which changes keep
// the resume exact (2 iterations, then --resume to 4, gives 4 straight bit for bit: TrainingRunTests).
//
//   refused  what the saved state was computed with: the data (--dataset, --data-root, --image-size, --channels,
//            fake_count), the networks (--nz, --ngf, --ndf), --batch-size and --seed (epoch order and noise), and
//            every computed part of the recipe (--recipe/--loss, --critic-steps, --critic-warmup, --optimizer,
//            --beta1, --beta2, --clip-weights, --d-norm, --gp, --r1-gamma, --r1-every, --spectral-norm, --ema,
//            --lr-schedule)
//   allowed  the run's length (--iterations, --epochs), the learning rates (a divergence rollback lowers them and
//            says to resume with a lower --lr), --clip-grad-norm, intervals, policies, --cache-dir, --download,
//            --tensorboard and --device (another device agrees only to rounding)
//
// Options compare as computed, not as stored: --recipe wgan-gp resumed with --loss wgan is no change, nor is
// --channels 1 on an MNIST run saved without it. A recipe part that differs is named by its own option when that
// option differs, by --recipe when the preset does, and left out when it follows from another change (rmsprop has
// no betas; --gp replaces R1's γ).
using System.Globalization;
using Dcgan.Nn.Data;
using Dcgan.Nn.Optim;

namespace Dcgan.Nn.Training;

/// <summary>One option a resume changes, as the user writes it: --batch-size, the run's value and the given one.</summary>
public sealed record ResumeChange(string Option, string Saved, string Resumed, bool Allowed, string? Note = null);

public static class ResumeChanges
{
    public const string DeviceNote = "another device agrees with the original only to rounding";

    /// <summary>
    /// Every option whose computed value differs between a run's saved options and the options it resumes with, in
    /// about the order of `dcgan train --help`; the allowed ones too (a resume may record them).
    /// </summary>
    public static IReadOnlyList<ResumeChange> Between(TrainOptions saved, TrainOptions resumed)
    {
        var changes = new List<ResumeChange>();
        void Compare(string option, object? was, object? now, bool allowed, string? note = null)
        {
            if (Text(was) != Text(now))
                changes.Add(new(option, Text(was), Text(now), allowed, note));
        }

        // The data; its details count only under the same data set (another one is refused already).
        Compare("--dataset", saved.Dataset, resumed.Dataset, allowed: false);
        bool sameData = saved.Dataset == resumed.Dataset;
        if (sameData && FullPath(DataRoot(saved)) != FullPath(DataRoot(resumed)))
            changes.Add(new("--data-root", Text(DataRoot(saved)), Text(DataRoot(resumed)), Allowed: false));
        Compare("--download", saved.Download, resumed.Download, allowed: true);
        Compare("--image-size", saved.ImageSize, resumed.ImageSize, allowed: false);
        if (sameData)
            Compare("--channels", saved.Channels ?? DatasetFactory.DefaultChannels(saved.Dataset),
                resumed.Channels ?? DatasetFactory.DefaultChannels(resumed.Dataset), allowed: false);
        if (sameData && saved.Dataset == "fake") // no command-line option: the saved field's name
            Compare("fake_count", saved.FakeCount, resumed.FakeCount, allowed: false);
        Compare("--batch-size", saved.BatchSize, resumed.BatchSize, allowed: false);
        // --epochs counts only where --iterations does not win over it.
        if (saved.Iterations is null || resumed.Iterations is null)
            Compare("--epochs", saved.Epochs, resumed.Epochs, allowed: true);
        Compare("--iterations", saved.Iterations, resumed.Iterations, allowed: true);
        Compare("--nz", saved.Nz, resumed.Nz, allowed: false);
        Compare("--ngf", saved.Ngf, resumed.Ngf, allowed: false);
        Compare("--ndf", saved.Ndf, resumed.Ndf, allowed: false);

        var (was, now) = (saved.ResolveRecipe(), resumed.ResolveRecipe());
        bool named = false;
        foreach (var (option, part, given) in RecipeParts)
        {
            object? a = part(was), b = part(now);
            if (a is null || b is null || Text(a) == Text(b))
                continue; // the same, or not computed on one side (rmsprop's betas)
            if (!Equals(given(saved), given(resumed)))
                changes.Add(new(option, Text(a), Text(b), Allowed: false));
            else if (saved.Recipe != resumed.Recipe && !changes.Any(c => c.Option == "--recipe"))
                changes.Add(new("--recipe", saved.Recipe, resumed.Recipe, Allowed: false));
            else
                continue; // follows from another option's change, named by it
            named = true;
        }
        // A computed difference the parts above miss (a recipe field added without its option here) is refused too.
        if (!named && WithoutLearningRates(was) != WithoutLearningRates(now))
            changes.Add(new("--recipe", was.Describe(), now.Describe(), Allowed: false));

        double dWas = was.OptimizerD.LearningRate, gWas = was.OptimizerG.LearningRate;
        double dNow = now.OptimizerD.LearningRate, gNow = now.OptimizerG.LearningRate;
        if (dWas == gWas && dNow == gNow)
            Compare("--lr", dWas, dNow, allowed: true);
        else
        {
            Compare("--lr-d", dWas, dNow, allowed: true);
            Compare("--lr-g", gWas, gNow, allowed: true);
        }

        Compare("--device", saved.Device, resumed.Device, allowed: true, DeviceNote);
        Compare("--seed", saved.Seed, resumed.Seed, allowed: false);
        Compare("--checkpoint-every", saved.CheckpointEvery, resumed.CheckpointEvery, allowed: true);
        Compare("--sample-every", saved.SampleEvery, resumed.SampleEvery, allowed: true);
        Compare("--on-divergence", saved.OnDivergence, resumed.OnDivergence, allowed: true);
        Compare("--on-collapse", saved.OnCollapse, resumed.OnCollapse, allowed: true);
        Compare("--clip-grad-norm", saved.ClipGradNorm, resumed.ClipGradNorm, allowed: true);
        Compare("--on-bad-image", saved.OnBadImage, resumed.OnBadImage, allowed: true);
        Compare("--cache-dir", saved.CacheDir, resumed.CacheDir, allowed: true);
        Compare("--workers", saved.Workers, resumed.Workers, allowed: true);
        Compare("--eval-count", saved.EvalCount, resumed.EvalCount, allowed: true);
        Compare("--classifier", saved.Classifier, resumed.Classifier, allowed: true);
        Compare("--tensorboard", saved.TensorBoard, resumed.TensorBoard, allowed: true);
        return changes;
    }

    /// <summary>
    /// The one-line refusal of a resume whose changes include refused ones, naming each with the run's value and the
    /// given one; null when every change is allowed.
    /// </summary>
    public static string? Refusal(string runDirectory, IEnumerable<ResumeChange> changes)
    {
        var refused = changes.Where(c => !c.Allowed).ToList();
        if (refused.Count == 0)
            return null;
        string more = refused.Count == 1 ? ""
            : $" (and {string.Join(", ", refused.Skip(1).Select(c => $"{c.Option} {c.Resumed} from {c.Saved}"))})";
        return $"--resume {runDirectory}: {refused[0].Option} {refused[0].Resumed} differs from the run's {refused[0].Saved}{more}; " +
               $"exact resume needs the run's own values (leave {(refused.Count == 1 ? "it" : "them")} out); " +
               "start a new run with --out for other settings";
    }

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="Refusal"/>'s line when a change breaks exact resume.</summary>
    public static void RefuseInexactResume(TrainOptions saved, TrainOptions resumed)
    {
        if (Refusal(resumed.Out ?? saved.Out ?? "", Between(saved, resumed)) is string refusal)
            throw new ArgumentException(refusal);
    }

    /// <summary>Each computed part of a recipe (null where not computed), and the option that overrides it.</summary>
    static readonly (string Option, Func<GanRecipe, object?> Part, Func<TrainOptions, object?> Given)[] RecipeParts =
    [
        ("--loss", r => r.Loss, o => o.Loss),
        ("--critic-steps", r => r.CriticSteps, o => o.CriticSteps),
        ("--critic-warmup", r => r.CriticWarmup, o => o.CriticWarmup),
        ("--optimizer", r => r.OptimizerD.Kind, o => o.Optimizer),
        ("--beta1", r => (r.OptimizerD as OptimizerSettings.Adam)?.Settings.Beta1, o => o.Beta1),
        ("--beta2", r => (r.OptimizerD as OptimizerSettings.Adam)?.Settings.Beta2, o => o.Beta2),
        ("--clip-weights", r => r.ClipWeights ?? 0, o => o.ClipWeights),
        ("--d-norm", r => r.DiscriminatorBatchNorm ? "batch" : "none", o => o.DNorm),
        ("--gp", r => r.Penalty is { Kind: "wgan-gp" } p ? p.Weight : 0, o => o.GpLambda),
        ("--r1-gamma", r => r.Penalty is { Kind: "r1" } p ? p.Weight : 0, o => o.R1Gamma),
        ("--r1-every", r => r.Penalty is { Kind: "r1" } p ? p.Every : null, o => o.R1Every),
        ("--spectral-norm", r => r.SpectralNorm, o => o.SpectralNorm),
        ("--ema", r => r.EmaDecay ?? 0, o => o.Ema),
        ("--lr-schedule", r => r.LrSchedule, o => o.LrSchedule),
        ("--label-smoothing", r => r.LabelSmoothing, o => o.LabelSmoothing),
        ("--diffaugment", r => r.DiffAugment, o => o.DiffAugment),
    ];

    /// <summary>What a recipe computes: its preset's name and learning rates aside.</summary>
    static GanRecipe WithoutLearningRates(GanRecipe r) =>
        r with { Preset = "", OptimizerD = r.OptimizerD.ScaleLearningRate(0), OptimizerG = r.OptimizerG.ScaleLearningRate(0) };

    /// <summary>The directory the data set reads (DatasetFactory.Open): none for bundled and fake.</summary>
    static string? DataRoot(TrainOptions o) => o.Dataset is "bundled" or "fake" ? null
        : o.DataRoot ?? (o.Dataset == "fashion-mnist" ? DatasetFactory.FashionMnistDefaultRoot : null);

    static string? FullPath(string? path) => path is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>A value as the user writes it on the command line.</summary>
    static string Text(object? value) => value switch
    {
        null => "none",
        bool b => b ? "on" : "off",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

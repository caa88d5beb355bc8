using System.Diagnostics;
using System.Globalization;
using Dcgan.Nn.Training;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan train`: parse options, run Dcgan.Nn's TrainingRun, render progress.</summary>
public static class TrainVerb
{
    public const string Help = """
        usage: dcgan train [options]

        Trains a DCGAN (pytorch/examples' networks) and writes samples, curves and checkpoints to --out.
        With no options: the bundled 10,000 MNIST digits at 32x32 on the best device.

          --dataset NAME         bundled (default) | mnist | fashion-mnist | folder | celeba | cifar10 | fake
          --data-root DIR        where the data set's files are (mnist, fashion-mnist, folder, celeba, cifar10)
          --download             fetch mnist / fashion-mnist into --data-root first (SHA-256 verified)
          --image-size N         16, 32 (default), 64 or 128
          --channels N           1 or 3 (default: the data set's own; fake: 3)
          --batch-size N         images per iteration (default {1})
          --epochs N             passes over the data set (default {0})
          --iterations N         total iterations of the run, counted from 1 across epochs (wins over --epochs)
          --nz N                 latent size (default 100)
          --ngf N, --ndf N       generator / discriminator width (default 64)
          --recipe NAME          tuned (default: dcgan with Adam 8e-4 and an EMA of G, decay 0.999; docs/recipes.md)
                                 | dcgan (pytorch/examples: BCE, Adam 2e-4 β 0.5) |
                                 wgan (critic loss, RMSprop 5e-5, weights clipped to ±0.01, 5 critic steps,
                                 warm-up) | hinge | lsgan (Adam 2e-4 β 0.5) | wgan-gp (critic loss + gradient
                                 penalty λ 10, Adam 1e-4 β 0.5/0.9, 5 critic steps, no batchnorm in D) | sngan
                                 (hinge, spectral norm on D) | r1 (BCE + R1 penalty); the options below override
                                 the preset's settings
          --loss NAME            bce | wgan | hinge | lsgan
          --critic-steps N       critic (D) steps per generator step, each on a fresh real batch; --iterations
                                 counts generator steps, an epoch is still one pass over the data
          --critic-warmup on|off WGAN's 100 critic steps for the first 25 and every 500th generator step
          --optimizer NAME       adam | rmsprop (both networks)
          --lr X                 learning rate of both networks (the preset's: 0.0002, tuned 0.0008, wgan 0.00005,
                                 wgan-gp 0.0001)
          --lr-d X, --lr-g X     the critic's / the generator's learning rate (TTUR)
          --beta1 X, --beta2 X   Adam's betas (the preset's: 0.5, 0.999; wgan-gp 0.5, 0.9)
          --clip-weights C       clip every D parameter to [-C, C] before each critic step (0: off; wgan: 0.01)
          --d-norm batch|none    batchnorm in D or none (WGAN-GP and SN-GAN use none)
          --gp LAMBDA            WGAN-GP's gradient penalty λ·E(‖∇D(x̂)‖ − 1)² (0: off; wgan-gp: 10)
          --r1-gamma G           R1 penalty (G/2)·E‖∇D(x)‖² on real images (0: off; r1: {2})
          --r1-every K           lazy R1: the penalty every K-th critic step, weighted by K (default 1)
          --spectral-norm W      none | d | g | both: spectrally normalise that network's convolutions (sngan: d)
          --ema D                keep an exponential moving average of G's weights with decay D (e.g. 0.999):
                                 the grids show it, and it is saved as netG_ema.safetensors (0: none; tuned: 0.999)
          --lr-schedule S        constant (default) | linear | cosine: both learning rates decay to 0 at the run's
                                 last iteration (linear: (1 - t); cosine: (1 + cos(pi t))/2, t = progress)
          --device D             auto | cuda[:i] | opencl[:i] | cpu (default auto)
          --seed N               seed of weights, noise and data order (default 1)
          --out DIR              output directory (default runs/<timestamp>)
          --resume DIR           continue the run in DIR exactly, from its last checkpoint, with its saved options;
                                 it accepts new --iterations, --epochs (a decaying --lr-schedule then stretches to
                                 the new length), --lr, --lr-d, --lr-g, --download, --device and the options
                                 below, and refuses any other change (exit 2)
          --checkpoint-every N   save every N iterations (default: every epoch and at the end)
          --sample-every N       also render the fixed-noise grid every N iterations
          --eval-count N         images the quality metric scores at each epoch end into metrics.csv (default
                                 1024, a multiple of 64; 0: none); digits at 32x32 or with --classifier only
          --classifier FILE      the metric's classifier (dcgan classifier train); default: the shipped one
          --on-divergence P      rollback (default): on a NaN/Inf or exploded loss, gradient or weight norm (see
                                 README, "When things go wrong"), restore the last good checkpoint, halve --lr and
                                 go on (at most 3 times); stop: exit 1 at once
          --on-collapse P        warn (default): say when G's samples collapse or D has won, and what to try;
                                 stop: exit 1 at that warning (the last checkpoint stays)
          --clip-grad-norm X     scale each network's gradients so their global L2 norm is at most X
                                 (torch.nn.utils.clip_grad_norm_); default: no clipping
          --on-bad-image P       folder/celeba: skip (default) an unreadable image, naming it, or fail on it
          --cache-dir DIR        folder/celeba: decode every image once into a preprocessed cache in DIR, reused by
                                 later epochs and runs (validated against the file list; rebuilt when stale)
          --tensorboard          also write TensorBoard events (losses.csv and metrics.csv as scalars, the grids as
                                 images, weight and gradient histograms) to an events.out.tfevents file in --out,
                                 appended at every checkpoint: tensorboard --logdir runs (kept on --resume)
          --quiet                no progress bar; log lines only
          --verbose              stack traces on errors
        """;

    static readonly HashSet<string> Switches = ["download", "quiet", "tensorboard"];

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Contains("--help"))
        {
            stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, Help, TrainOptions.DefaultEpochs, TrainOptions.DefaultBatchSize,
                GanRecipe.RecommendedR1Gamma));
            return 0;
        }
        var cl = new CommandLine("train", args, Switches);
        string? resume = cl.OptionalString("resume");
        var baseOptions = resume is null ? new TrainOptions { Recipe = GanRecipe.DefaultPreset } : TrainingRun.SavedOptions(resume);
        var options = Parse(cl, baseOptions);
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown();
        if (resume is not null && options.Out != resume)
            throw new UsageException("dcgan train: --resume continues in its own directory; leave out --out");
        // A resume keeps everything its saved state was computed with (ResumeChanges), or it would not be exact.
        if (resume is not null && ResumeChanges.Refusal(resume, ResumeChanges.Between(baseOptions, options)) is string refusal)
            throw new UsageException($"dcgan train: {refusal}");
        // Options valid one by one can still clash (a gradient penalty with batchnorm in D, two penalties): usage.
        if (options.Problem() is string problem)
            throw new UsageException($"dcgan train: option {problem}");

        var observer = new ConsoleTrainingObserver(stdout, quiet);
        if (resume is null)
            TrainingRun.Start(options, observer);
        else
            TrainingRun.Resume(options, observer);
        observer.Finish();
        return 0;
    }

    static TrainOptions Parse(CommandLine cl, TrainOptions o)
    {
        string dataset = cl.String("dataset", o.Dataset);
        if (!Nn.Data.DatasetFactory.Names.Contains(dataset))
            throw new UsageException($"dcgan train: unknown --dataset '{dataset}' (one of {string.Join(", ", Nn.Data.DatasetFactory.Names)})");
        int imageSize = cl.Int("image-size", o.ImageSize, 16, 128);
        if (!Nn.Models.ModelConfig.SupportedImageSizes.Contains(imageSize))
            throw new UsageException($"dcgan train: --image-size {imageSize} must be 16, 32, 64 or 128");
        int? channels = cl.OptionalString("channels") is null ? o.Channels : cl.Int("channels", 0, 1, 3);
        if (channels == 2)
            throw new UsageException("dcgan train: --channels must be 1 or 3");
        int? iterations = cl.OptionalString("iterations") is null ? o.Iterations : cl.Int("iterations", 0, 1);
        int? checkpointEvery = cl.OptionalString("checkpoint-every") is null ? o.CheckpointEvery : cl.Int("checkpoint-every", 0, 1);
        int? sampleEvery = cl.OptionalString("sample-every") is null ? o.SampleEvery : cl.Int("sample-every", 0, 1);
        string onDivergence = cl.String("on-divergence", o.OnDivergence);
        if (!TrainOptions.DivergencePolicies.Contains(onDivergence))
            throw new UsageException($"dcgan train: --on-divergence '{onDivergence}' must be rollback or stop");
        string onCollapse = cl.String("on-collapse", o.OnCollapse);
        if (!TrainOptions.CollapsePolicies.Contains(onCollapse))
            throw new UsageException($"dcgan train: --on-collapse '{onCollapse}' must be warn or stop");
        string onBadImage = cl.String("on-bad-image", o.OnBadImage);
        if (!TrainOptions.BadImagePolicies.Contains(onBadImage))
            throw new UsageException($"dcgan train: --on-bad-image '{onBadImage}' must be skip or fail");
        double? clip = cl.OptionalString("clip-grad-norm") is null ? o.ClipGradNorm
            : cl.Double("clip-grad-norm", 0, min: 0, max: 1e12, exclusiveMin: true);
        string recipe = cl.String("recipe", o.Recipe);
        if (!GanRecipe.Presets.Contains(recipe))
            throw new UsageException($"dcgan train: unknown --recipe '{recipe}' (one of {string.Join(", ", GanRecipe.Presets)})");
        string? loss = OneOf(cl, "loss", o.Loss, GanObjective.Names);
        string? optimizer = OneOf(cl, "optimizer", o.Optimizer, GanRecipe.OptimizerKinds);
        string? dNorm = OneOf(cl, "d-norm", o.DNorm, GanRecipe.DNorms);
        string? spectralNorm = OneOf(cl, "spectral-norm", o.SpectralNorm, GanRecipe.SpectralNorms);
        string? lrSchedule = OneOf(cl, "lr-schedule", o.LrSchedule, GanRecipe.LrSchedules);
        string? warmup = OneOf(cl, "critic-warmup", o.CriticWarmup is bool w ? (w ? "on" : "off") : null, ["on", "off"]);
        return o with
        {
            Dataset = dataset,
            DataRoot = cl.OptionalString("data-root") ?? o.DataRoot,
            Download = cl.Flag("download") || o.Download,
            TensorBoard = cl.Flag("tensorboard") || o.TensorBoard,
            ImageSize = imageSize,
            Channels = channels,
            BatchSize = cl.Int("batch-size", o.BatchSize, 2, 65536),
            Epochs = cl.Int("epochs", o.Epochs, 1),
            Iterations = iterations,
            Nz = cl.Int("nz", o.Nz, 1, 100000),
            Ngf = cl.Int("ngf", o.Ngf, 1, 4096),
            Ndf = cl.Int("ndf", o.Ndf, 1, 4096),
            Recipe = recipe,
            Loss = loss,
            CriticSteps = cl.OptionalString("critic-steps") is null ? o.CriticSteps : cl.Int("critic-steps", 0, 1, 1000),
            CriticWarmup = warmup is null ? null : warmup == "on",
            Optimizer = optimizer,
            LearningRate = OptionalDouble(cl, "lr", o.LearningRate, min: 0, exclusiveMin: true),
            // A given --lr sets both networks: it replaces per-network rates saved in a resumed run (a rollback
            // saves them) unless --lr-d / --lr-g are given too.
            LrD = OptionalDouble(cl, "lr-d", cl.OptionalString("lr") is null ? o.LrD : null, min: 0, exclusiveMin: true),
            LrG = OptionalDouble(cl, "lr-g", cl.OptionalString("lr") is null ? o.LrG : null, min: 0, exclusiveMin: true),
            Beta1 = OptionalDouble(cl, "beta1", o.Beta1, min: 0, max: 0.9999),
            Beta2 = OptionalDouble(cl, "beta2", o.Beta2, min: 0, max: 0.99999),
            ClipWeights = OptionalDouble(cl, "clip-weights", o.ClipWeights, min: 0, max: 1e6),
            DNorm = dNorm,
            GpLambda = OptionalDouble(cl, "gp", o.GpLambda, min: 0, max: 1e6),
            R1Gamma = OptionalDouble(cl, "r1-gamma", o.R1Gamma, min: 0, max: 1e6),
            R1Every = cl.OptionalString("r1-every") is null ? o.R1Every : cl.Int("r1-every", 0, 1, 1000),
            SpectralNorm = spectralNorm,
            Ema = OptionalDouble(cl, "ema", o.Ema, min: 0, max: 0.999999),
            LrSchedule = lrSchedule,
            Device = cl.String("device", o.Device),
            Seed = cl.OptionalString("seed") is null ? o.Seed : (ulong)cl.Int("seed", 0, 0),
            Out = cl.OptionalString("out") ?? o.Out,
            CheckpointEvery = checkpointEvery,
            SampleEvery = sampleEvery,
            OnDivergence = onDivergence,
            OnCollapse = onCollapse,
            OnBadImage = onBadImage,
            CacheDir = cl.OptionalString("cache-dir") ?? o.CacheDir,
            ClipGradNorm = clip,
            EvalCount = EvalCount(cl, o.EvalCount),
            Classifier = cl.OptionalString("classifier") ?? o.Classifier,
        };
    }

    static int EvalCount(CommandLine cl, int fallback)
    {
        int count = cl.Int("eval-count", fallback, 0, Nn.Evaluation.DataSplit.MaxReference);
        return count % 64 == 0 ? count
            : throw new UsageException($"dcgan train: --eval-count {count} must be a multiple of 64 (the generator renders 64 at a time)");
    }

    static string? OneOf(CommandLine cl, string name, string? fallback, string[] allowed)
    {
        string? v = cl.OptionalString(name);
        if (v is null)
            return fallback;
        return allowed.Contains(v) ? v
            : throw new UsageException($"dcgan train: --{name} '{v}' must be one of {string.Join(", ", allowed)}");
    }

    static double? OptionalDouble(CommandLine cl, string name, double? fallback, double min = double.MinValue,
        double max = double.MaxValue, bool exclusiveMin = false) =>
        cl.OptionalString(name) is null ? fallback : cl.Double(name, 0, min, max, exclusiveMin);
}

/// <summary>The console face of a run: pytorch/examples' log line, and a progress bar with ETA and images/s.</summary>
internal sealed class ConsoleTrainingObserver(TextWriter stdout, bool quiet) : ITrainingObserver
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly bool bar = !quiet && !Console.IsErrorRedirected;
    TrainingRunInfo? info;
    int logEvery = 50;
    double smoothedRate;
    bool barVisible;

    public void Started(TrainingRunInfo i)
    {
        info = i;
        logEvery = Math.Clamp(i.BatchesPerEpoch / 10, 1, 50);
        stdout.WriteLine($"device:  {i.Device}");
        string perEpoch = i.Recipe.CriticSteps == 1 && !i.Recipe.CriticWarmup ? "iterations" : "batches (critic steps)";
        stdout.WriteLine($"data:    {i.Dataset}, {i.Model.ImageSize}x{i.Model.ImageSize}x{i.Model.Channels}, batch {i.BatchSize}, {i.BatchesPerEpoch} {perEpoch} per epoch");
        stdout.WriteLine($"model:   nz {i.Model.Nz}, ngf {i.Model.Ngf}, ndf {i.Model.Ndf}");
        stdout.WriteLine($"recipe:  {i.Recipe.Describe()}");
        string steps = i.Recipe.CriticSteps == 1 && !i.Recipe.CriticWarmup ? "" : " (generator steps; each after its critic steps)";
        stdout.WriteLine(i.StartIteration > 0
            ? $"resume:  from iteration {i.StartIteration} of {i.TotalIterations}{steps}"
            : $"run:     {i.TotalIterations} iterations{steps} ({i.Epochs} epoch(s))");
        stdout.WriteLine($"output:  {i.OutDirectory}");
    }

    public void Iteration(IterationRow row)
    {
        var i = info!;
        smoothedRate = smoothedRate == 0 ? row.ImagesPerSecond : 0.9 * smoothedRate + 0.1 * row.ImagesPerSecond;
        bool last = row.Iteration == i.TotalIterations;
        // Log when this iteration's batches include a multiple of logEvery, or the epoch's last one (with one critic
        // step per iteration: pytorch/examples' rhythm).
        int firstBatch = row.BatchInEpoch - row.CriticStepsInIteration + 1;
        bool logRow = firstBatch < 0 || row.BatchInEpoch % logEvery < row.CriticStepsInIteration
                      || row.BatchInEpoch == i.BatchesPerEpoch - 1;
        if (logRow || last)
        {
            ClearBar();
            var s = row.Stats;
            // wgan: the critic's loss is minus the Wasserstein estimate W = mean D(x) − mean D(G(z)), the number to watch.
            string w = i.Recipe.Loss == "wgan" ? string.Create(CultureInfo.InvariantCulture, $" W: {-s.LossD:F4}") : "";
            // A gradient penalty's value, apart from Loss_D (GP: λ·E(‖∇D‖ − 1)², R1: (γ/2)·E‖∇D‖²).
            if (i.Recipe.Penalty is { } penalty)
                w += string.Create(CultureInfo.InvariantCulture, $" {penalty.Column.ToUpperInvariant()}: {s.Penalty:F4}");
            string critic = i.Recipe.CriticSteps == 1 && !i.Recipe.CriticWarmup ? ""
                : string.Create(CultureInfo.InvariantCulture, $" [iteration {row.Iteration}, critic step {row.CriticSteps}]");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{row.Epoch}/{i.Epochs}][{row.BatchInEpoch}/{i.BatchesPerEpoch}] Loss_D: {s.LossD:F4} Loss_G: {s.LossG:F4}{w} D(x): {s.DX:F4} D(G(z)): {s.DGz1:F4} / {s.DGz2:F4}{critic}  ({row.ImagesPerSecond:F0} img/s)"));
        }
        if (bar)
            DrawBar(row, i);
    }

    void DrawBar(IterationRow row, TrainingRunInfo i)
    {
        const int width = 30;
        double fraction = (row.BatchInEpoch + 1) / (double)i.BatchesPerEpoch;
        int filled = (int)(fraction * width);
        int remaining = i.TotalIterations - row.Iteration;
        double eta = smoothedRate > 0 ? (double)remaining * i.BatchSize * i.Recipe.CriticSteps / smoothedRate : 0;
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\repoch {row.Epoch} [{new string('#', filled)}{new string('.', width - filled)}] {row.BatchInEpoch + 1}/{i.BatchesPerEpoch}  {smoothedRate:F0} img/s  ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss} "));
        barVisible = true;
    }

    void ClearBar()
    {
        if (barVisible)
            Console.Error.Write("\r" + new string(' ', 100) + "\r");
        barVisible = false;
    }

    public void Saved(string what)
    {
        ClearBar();
        if (!quiet)
            stdout.WriteLine($"saved {what}");
    }

    public void Message(string line)
    {
        ClearBar();
        stdout.WriteLine(line);
    }

    public void Finish()
    {
        ClearBar();
        stdout.WriteLine($"done in {clock.Elapsed:hh\\:mm\\:ss}; results in {info?.OutDirectory}");
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dcgan.Nn.Training;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan train`: parse options, run Dcgan.Nn's TrainingRun, render progress.</summary>
/// <remarks>
/// pytorch/examples' dcgan/main.py spellings are aliases (--batchSize, --niter, --outf, ...) or options of their own
/// (--cuda, --ngpu, --dry-run, --netG), so that its command lines run unchanged; README, "pytorch/examples' command lines".
/// </remarks>
public static class TrainVerb
{
    // pytorch/examples' --dataset values: ImageFolder for imagenet, folder and lfw is our folder data set.
    static readonly Dictionary<string, string> PytorchDatasets = new() { ["imagenet"] = "folder", ["lfw"] = "folder" };

    static readonly Option<string?> Dataset = Options.Text("--dataset", "NAME",
        "bundled (default) | mnist | fashion-mnist | folder | celeba | cifar10 | fake; pytorch/examples' imagenet and lfw " +
        "are folder (an ImageFolder there too)");
    static readonly Option<string?> DataRoot = Options.Text("--data-root", "DIR",
        "where the data set's files are (mnist, fashion-mnist, folder, celeba, cifar10)", aliases: "--dataroot");
    static readonly Option<bool> Download = Options.Switch("--download",
        "fetch mnist / fashion-mnist into --data-root first (SHA-256 verified)");
    static readonly Option<int?> ImageSize = Options.Int("--image-size", "N", "16, 32 (default), 64 or 128", 16, 128, aliases: "--imageSize");
    static readonly Option<int?> Channels = Options.Int("--channels", "N", "1 or 3 (default: the data set's own; fake: 3)", 1, 3);
    static readonly Option<int?> BatchSize = Options.Int("--batch-size", "N",
        $"images per iteration (default {TrainOptions.DefaultBatchSize})", 2, 65536, aliases: "--batchSize");
    static readonly Option<int?> Epochs = Options.Int("--epochs", "N",
        $"passes over the data set (default {TrainOptions.DefaultEpochs}; the default recipe, {GanRecipe.DefaultPreset}, " +
        $"{GanRecipe.DefaultEpochsOf(GanRecipe.DefaultPreset)}: the wall time of {TrainOptions.DefaultEpochs} epochs of dcgan)", 1, aliases: "--niter");
    static readonly Option<int?> Iterations = Options.Int("--iterations", "N",
        "total iterations of the run, counted from 1 across epochs (wins over --epochs)", 1);
    static readonly Option<bool> DryRun = Options.Switch("--dry-run",
        "one iteration of one epoch, to check that a command line works (pytorch/examples' CI runs it so)");
    static readonly Option<int?> Nz = Options.Int("--nz", "N", "latent size (default 100)", 1, 100000);
    static readonly Option<int?> Ngf = Options.Int("--ngf", "N", "generator width (default 64)", 1, 4096);
    static readonly Option<int?> Ndf = Options.Int("--ndf", "N", "discriminator width (default 64)", 1, 4096);
    static readonly Option<string?> NetG = Options.Text("--netG", "FILE",
        "start a new run from these generator weights (netG.safetensors of a run, or PyTorch's state dict saved as " +
        "safetensors with pytorch/examples' names); their shapes must match the options");
    static readonly Option<string?> NetD = Options.Text("--netD", "FILE", "the same for the discriminator");
    static readonly Option<string?> Recipe = Options.OneOf("--recipe", "NAME",
        "tuned-sn (default: sngan with Adam 8e-4 and an EMA of G, decay 0.999; docs/recipes.md) | tuned (dcgan with " +
        "Adam 8e-4 and the EMA, the default before) | dcgan (pytorch/examples: " +
        "BCE, Adam 2e-4 β 0.5) | wgan (critic loss, RMSprop 5e-5, weights clipped to ±0.01, 5 critic steps, warm-up) | " +
        "hinge | lsgan (Adam 2e-4 β 0.5) | wgan-gp (critic loss + gradient penalty λ 10, Adam 1e-4 β 0.5/0.9, 5 critic " +
        "steps, no batchnorm in D) | sngan (hinge, spectral norm on D) | r1 (BCE + R1 penalty); the options below " +
        "override the preset's settings", GanRecipe.Presets,
        message: (given, v) => $"unknown {given} '{v}' (one of {string.Join(", ", GanRecipe.Presets)})");
    static readonly Option<string?> Loss = Options.OneOf("--loss", "NAME", "bce | wgan | hinge | lsgan", GanObjective.Names);
    static readonly Option<int?> CriticSteps = Options.Int("--critic-steps", "N",
        "critic (D) steps per generator step, each on a fresh real batch; --iterations counts generator steps, an epoch " +
        "is still one pass over the data", 1, 1000);
    static readonly Option<string?> CriticWarmup = Options.OneOf("--critic-warmup", "on|off",
        "WGAN's 100 critic steps for the first 25 and every 500th generator step", ["on", "off"]);
    static readonly Option<string?> Optimizer = Options.OneOf("--optimizer", "NAME", "adam | rmsprop (both networks)",
        GanRecipe.OptimizerKinds);
    static readonly Option<double?> Lr = Options.Number("--lr", "X",
        "learning rate of both networks (the preset's: 0.0002, tuned and tuned-sn 0.0008, wgan 0.00005, wgan-gp 0.0001)", 0, exclusiveMin: true);
    static readonly Option<double?> LrD = Options.Number("--lr-d", "X", "the critic's learning rate (TTUR)", 0, exclusiveMin: true);
    static readonly Option<double?> LrG = Options.Number("--lr-g", "X", "the generator's learning rate (TTUR)", 0, exclusiveMin: true);
    static readonly Option<double?> Beta1 = Options.Number("--beta1", "X", "Adam's β1 (the preset's: 0.5)", 0, 0.9999);
    static readonly Option<double?> Beta2 = Options.Number("--beta2", "X", "Adam's β2 (the preset's: 0.999; wgan-gp 0.9)", 0, 0.99999);
    static readonly Option<double?> ClipWeights = Options.Number("--clip-weights", "C",
        "clip every D parameter to [-C, C] before each critic step (0: off; wgan: 0.01)", 0, 1e6);
    static readonly Option<string?> DNorm = Options.OneOf("--d-norm", "batch|none",
        "batchnorm in D or none (WGAN-GP and SN-GAN use none)", GanRecipe.DNorms);
    static readonly Option<double?> Gp = Options.Number("--gp", "LAMBDA",
        "WGAN-GP's gradient penalty λ·E(‖∇D(x̂)‖ − 1)² (0: off; wgan-gp: 10)", 0, 1e6);
    static readonly Option<double?> R1Gamma = Options.Number("--r1-gamma", "G",
        $"R1 penalty (G/2)·E‖∇D(x)‖² on real images (0: off; r1: {GanRecipe.RecommendedR1Gamma})", 0, 1e6);
    static readonly Option<int?> R1Every = Options.Int("--r1-every", "K",
        "lazy R1: the penalty every K-th critic step, weighted by K (default 1)", 1, 1000);
    static readonly Option<string?> SpectralNorm = Options.OneOf("--spectral-norm", "W",
        "none | d | g | both: spectrally normalise that network's convolutions (sngan: d)", GanRecipe.SpectralNorms);
    static readonly Option<double?> Ema = Options.Number("--ema", "D",
        "keep an exponential moving average of G's weights with decay D (e.g. 0.999): the grids show it, and it is saved " +
        "as netG_ema.safetensors (0: none; tuned and tuned-sn: 0.999)", 0, 0.999999);
    static readonly Option<string?> LrSchedule = Options.OneOf("--lr-schedule", "S",
        "constant (default) | linear | cosine: both learning rates decay to 0 at the run's last iteration (linear: " +
        "(1 - t); cosine: (1 + cos(pi t))/2, t = progress)", GanRecipe.LrSchedules);
    static readonly Option<double?> LabelSmoothing = Options.Number("--label-smoothing", "S",
        "one-sided label smoothing: D's target on real images is 1 - S (bce only; 0: none, the default)", 0, 0.4999);
    static readonly Option<string?> DiffAugment = Options.Text("--diffaugment", "POLICY",
        "DiffAugment (Zhao et al. 2020) on every image D sees, real and fake, in both steps: none (default) | translation | " +
        "cutout | translation,cutout (color is not written)");
    static readonly Option<string?> Device = Options.Device(fallback: null);
    static readonly Option<bool> Cuda = Options.Switch("--cuda", "pytorch/examples' spelling of --device cuda");
    static readonly Option<bool> Accel = Options.Switch("--accel", "pytorch/examples' spelling of --device auto");
    static readonly Option<bool> Mps = Options.Switch("--mps",
        "pytorch/examples' Apple GPU switch: refused in one line, as ILGPU has no Metal backend (--accel picks what there is)");
    static readonly Option<int?> Ngpu = Options.Int("--ngpu", "N",
        "devices to train on: 1 (or 0, as pytorch/examples' default CPU run); a run uses one device for now", 0);
    static readonly Option<int?> Workers = Options.Int("--workers", "N",
        "threads decoding and batching images ahead of training (default: the cores less one, at most 8); the " +
        "results do not depend on it", 1, 256);
    static readonly Option<int?> Seed = Options.Int("--seed", "N", "seed of weights, noise and data order (default 1)", 0,
        aliases: "--manualSeed");
    static readonly Option<string?> Out = Options.Text("--out", "DIR", "output directory (default runs/<timestamp>)", aliases: "--outf");
    static readonly Option<string?> Resume = Options.Text("--resume", "DIR",
        "continue the run in DIR exactly, from its last checkpoint, with its saved options; it accepts new " +
        "--iterations, --epochs (a decaying --lr-schedule then stretches to the new length), --lr, --lr-d, --lr-g, " +
        "--download, --device and the options below, and refuses any other change (exit 2)");
    static readonly Option<int?> CheckpointEvery = Options.Int("--checkpoint-every", "N",
        "save every N iterations (default: every epoch and at the end)", 1);
    static readonly Option<int?> SampleEvery = Options.Int("--sample-every", "N", "also render the fixed-noise grid every N iterations", 1);
    static readonly Option<int?> EvalCount = Options.Int("--eval-count", "N",
        $"images the quality metric scores at each epoch end into metrics.csv (default {TrainOptions.DefaultEvalCount}, a " +
        "multiple of 64; 0: none); digits at 32x32 or with --classifier only", 0, Nn.Evaluation.DataSplit.MaxReference);
    static readonly Option<string?> Classifier = Options.Text("--classifier", "FILE",
        "the metric's classifier (dcgan classifier train); default: the shipped one");
    static readonly Option<string?> OnDivergence = Options.OneOf("--on-divergence", "P",
        "rollback (default): on a NaN/Inf or exploded loss, gradient or weight norm (see README, \"When things go " +
        "wrong\"), restore the last good checkpoint, halve --lr and go on (at most 3 times); stop: exit 1 at once",
        TrainOptions.DivergencePolicies, message: (given, v) => $"{given} '{v}' must be rollback or stop");
    static readonly Option<string?> OnCollapse = Options.OneOf("--on-collapse", "P",
        "warn (default): say when G's samples collapse or D has won, and what to try; stop: exit 1 at that warning " +
        "(the last checkpoint stays)", TrainOptions.CollapsePolicies, message: (given, v) => $"{given} '{v}' must be warn or stop");
    static readonly Option<double?> ClipGradNorm = Options.Number("--clip-grad-norm", "X",
        "scale each network's gradients so their global L2 norm is at most X (torch.nn.utils.clip_grad_norm_); " +
        "default: no clipping", 0, 1e12, exclusiveMin: true);
    static readonly Option<string?> OnBadImage = Options.OneOf("--on-bad-image", "P",
        "folder/celeba: skip (default) an unreadable image, naming it, or fail on it", TrainOptions.BadImagePolicies,
        message: (given, v) => $"{given} '{v}' must be skip or fail");
    static readonly Option<string?> CacheDir = Options.Text("--cache-dir", "DIR",
        "folder/celeba: decode every image once into a preprocessed cache in DIR, reused by later epochs and runs " +
        "(validated against the file list; rebuilt when stale)");
    static readonly Option<bool> TensorBoard = Options.Switch("--tensorboard",
        "also write TensorBoard events (losses.csv and metrics.csv as scalars, the grids as images, weight and gradient " +
        "histograms) to an events.out.tfevents file in --out, appended at every checkpoint: tensorboard --logdir runs " +
        "(kept on --resume)");
    static readonly Option<bool> Quiet = Options.Switch("--quiet", "no progress bar; log lines only");

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("train", "[options]", "train a DCGAN (default: bundled MNIST digits, 32x32)", """
            Trains a DCGAN (pytorch/examples' networks) and writes samples, curves and checkpoints to --out.
            With no options: the bundled 10,000 MNIST digits at 32x32 on the best device. pytorch/examples'
            spellings work too (shown as "also"): python main.py --dataset cifar10 --dataroot DIR --cuda
            is dcgan train --dataset cifar10 --dataroot DIR --cuda.
            """).With(Dataset, DataRoot, Download, ImageSize, Channels, BatchSize, Epochs, Iterations, DryRun, Nz, Ngf, Ndf,
            NetG, NetD, Recipe, Loss, CriticSteps, CriticWarmup, Optimizer, Lr, LrD, LrG, Beta1, Beta2, ClipWeights, DNorm, Gp,
            R1Gamma, R1Every, SpectralNorm, Ema, LrSchedule, LabelSmoothing, DiffAugment, Device, Cuda, Accel, Mps, Ngpu, Workers, Seed, Out, Resume,
            CheckpointEvery, SampleEvery, EvalCount, Classifier, OnDivergence, OnCollapse, ClipGradNorm, OnBadImage, CacheDir, TensorBoard, Quiet);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult result, TextWriter stdout)
    {
        string? resume = result.GetValue(Resume);
        var baseOptions = resume is null ? new TrainOptions { Recipe = GanRecipe.DefaultPreset } : TrainingRun.SavedOptions(resume);
        var options = Parse(result, baseOptions, newRun: resume is null);
        if (resume is not null && options.Out != resume)
            throw new UsageException("dcgan train: --resume continues in its own directory; leave out --out");
        if (resume is not null && (options.NetG ?? options.NetD) is not null && (options.NetG, options.NetD) != (baseOptions.NetG, baseOptions.NetD))
            throw new UsageException("dcgan train: --netG and --netD start a new run from weights; --resume continues a run from its own");
        // A resume keeps everything its saved state was computed with (ResumeChanges), or it would not be exact.
        if (resume is not null && ResumeChanges.Refusal(resume, ResumeChanges.Between(baseOptions, options)) is string refusal)
            throw new UsageException($"dcgan train: {refusal}");
        // Options valid one by one can still clash (a gradient penalty with batchnorm in D, two penalties): usage.
        if (options.Problem() is string problem)
            throw new UsageException($"dcgan train: option {problem}");

        var observer = new ConsoleTrainingObserver(stdout, result.GetValue(Quiet));
        if (resume is null)
            TrainingRun.Start(options, observer);
        else
            TrainingRun.Resume(options, observer);
        observer.Finish();
        return 0;
    }

    /// <summary>
    /// The base options (a new run's defaults or a resumed run's saved ones) with every given option applied. A new run
    /// without --epochs takes its recipe's default length (GanRecipe.DefaultEpochsOf); a resume keeps its own.
    /// </summary>
    static TrainOptions Parse(ParseResult r, TrainOptions o, bool newRun)
    {
        string dataset = r.GetValue(Dataset) ?? o.Dataset;
        dataset = PytorchDatasets.GetValueOrDefault(dataset, dataset);
        if (dataset == "lsun")
            throw new UsageException("dcgan train: --dataset lsun: LSUN's LMDB databases are not read here; export the images " +
                                     "to a folder (fyu/lsun's data.py export) and give --dataset folder --data-root DIR");
        if (!Nn.Data.DatasetFactory.Names.Contains(dataset))
            throw new UsageException($"dcgan train: unknown --dataset '{dataset}' (one of {string.Join(", ", Nn.Data.DatasetFactory.Names)})");
        int imageSize = r.GetValue(ImageSize) ?? o.ImageSize;
        if (!Nn.Models.ModelConfig.SupportedImageSizes.Contains(imageSize))
            throw new UsageException($"dcgan train: --image-size {imageSize} must be 16, 32, 64 or 128");
        int? channels = r.GetValue(Channels) ?? o.Channels;
        if (channels == 2)
            throw new UsageException("dcgan train: --channels must be 1 or 3");
        int? evalCount = r.GetValue(EvalCount);
        if (evalCount is int count && count % 64 != 0)
            throw new UsageException($"dcgan train: --eval-count {evalCount} must be a multiple of 64 (the generator renders 64 at a time)");
        if (r.GetValue(Ngpu) is > 1 and var ngpu)
            throw new UsageException($"dcgan train: --ngpu {ngpu}: a run trains on one device (there is no multi-GPU training yet); " +
                                     "leave out --ngpu or give 1, and pick the device with --device cuda:i");
        if (r.GetValue(Mps))
            throw new UsageException("dcgan train: --mps: ILGPU has no Metal backend, so there is no Apple GPU to train on; " +
                                     "give --accel (an OpenCL device, else the CPU) or leave it out");
        if (new[] { r.Given(Device), r.GetValue(Cuda), r.GetValue(Accel) }.Count(given => given) > 1)
            throw new UsageException("dcgan train: give one of --device, --cuda and --accel");
        string device = r.GetValue(Device) ?? (r.GetValue(Cuda) ? "cuda" : r.GetValue(Accel) ? "auto" : o.Device);
        bool dryRun = r.GetValue(DryRun);
        if (dryRun && r.Given(Iterations))
            throw new UsageException("dcgan train: --dry-run is one iteration; leave out --iterations");
        string? warmup = r.GetValue(CriticWarmup);
        return o with
        {
            Dataset = dataset,
            DataRoot = r.GetValue(DataRoot) ?? o.DataRoot,
            Download = r.GetValue(Download) || o.Download,
            TensorBoard = r.GetValue(TensorBoard) || o.TensorBoard,
            ImageSize = imageSize,
            Channels = channels,
            BatchSize = r.GetValue(BatchSize) ?? o.BatchSize,
            // pytorch/examples' --dry-run: one iteration of one epoch (it sets niter to 1 and breaks after the first batch).
            Epochs = dryRun ? 1 : r.GetValue(Epochs) ?? (newRun ? GanRecipe.DefaultEpochsOf(r.GetValue(Recipe) ?? o.Recipe) : o.Epochs),
            Iterations = dryRun ? 1 : r.GetValue(Iterations) ?? o.Iterations,
            Nz = r.GetValue(Nz) ?? o.Nz,
            Ngf = r.GetValue(Ngf) ?? o.Ngf,
            Ndf = r.GetValue(Ndf) ?? o.Ndf,
            NetG = r.GetValue(NetG) ?? o.NetG,
            NetD = r.GetValue(NetD) ?? o.NetD,
            Recipe = r.GetValue(Recipe) ?? o.Recipe,
            Loss = r.GetValue(Loss) ?? o.Loss,
            CriticSteps = r.GetValue(CriticSteps) ?? o.CriticSteps,
            CriticWarmup = warmup is null ? o.CriticWarmup : warmup == "on",
            Optimizer = r.GetValue(Optimizer) ?? o.Optimizer,
            LearningRate = r.GetValue(Lr) ?? o.LearningRate,
            // A given --lr sets both networks: it replaces per-network rates saved in a resumed run (a rollback
            // saves them) unless --lr-d / --lr-g are given too.
            LrD = r.GetValue(LrD) ?? (r.Given(Lr) ? null : o.LrD),
            LrG = r.GetValue(LrG) ?? (r.Given(Lr) ? null : o.LrG),
            Beta1 = r.GetValue(Beta1) ?? o.Beta1,
            Beta2 = r.GetValue(Beta2) ?? o.Beta2,
            ClipWeights = r.GetValue(ClipWeights) ?? o.ClipWeights,
            DNorm = r.GetValue(DNorm) ?? o.DNorm,
            GpLambda = r.GetValue(Gp) ?? o.GpLambda,
            R1Gamma = r.GetValue(R1Gamma) ?? o.R1Gamma,
            R1Every = r.GetValue(R1Every) ?? o.R1Every,
            SpectralNorm = r.GetValue(SpectralNorm) ?? o.SpectralNorm,
            Ema = r.GetValue(Ema) ?? o.Ema,
            LrSchedule = r.GetValue(LrSchedule) ?? o.LrSchedule,
            LabelSmoothing = r.GetValue(LabelSmoothing) ?? o.LabelSmoothing,
            DiffAugment = r.GetValue(DiffAugment) ?? o.DiffAugment,
            Device = device,
            Workers = r.GetValue(Workers) ?? o.Workers,
            Seed = r.GetValue(Seed) is int seed ? (ulong)seed : o.Seed,
            Out = r.GetValue(Out) ?? o.Out,
            CheckpointEvery = r.GetValue(CheckpointEvery) ?? o.CheckpointEvery,
            SampleEvery = r.GetValue(SampleEvery) ?? o.SampleEvery,
            OnDivergence = r.GetValue(OnDivergence) ?? o.OnDivergence,
            OnCollapse = r.GetValue(OnCollapse) ?? o.OnCollapse,
            OnBadImage = r.GetValue(OnBadImage) ?? o.OnBadImage,
            CacheDir = r.GetValue(CacheDir) ?? o.CacheDir,
            ClipGradNorm = r.GetValue(ClipGradNorm) ?? o.ClipGradNorm,
            EvalCount = evalCount ?? o.EvalCount,
            Classifier = r.GetValue(Classifier) ?? o.Classifier,
        };
    }

    /// <summary>The options a command line gives, for tests: a new run's defaults with the given ones applied.</summary>
    internal static TrainOptions ParseForTest(params string[] args)
    {
        var result = Program.Root.Parse(["train", .. args]);
        CommandLine.Check(result);
        return Parse(result, new TrainOptions { Recipe = GanRecipe.DefaultPreset }, newRun: true);
    }
}

/// <summary>
/// The console face of a run: pytorch/examples' log line, and on a terminal a progress bar with ETA and images/s on
/// stderr, redrawn at most ten times a second. Where either stream is not a terminal (CI, `| tee`, a file) only the
/// plain log lines are written: a bar on stderr would interleave with stdout's lines arriving late through the pipe.
/// </summary>
internal sealed class ConsoleTrainingObserver(TextWriter stdout, bool quiet) : ITrainingObserver
{
    /// <summary>Both streams are a terminal that can return to the line's start.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && !Console.IsErrorRedirected
                                      && Environment.GetEnvironmentVariable("TERM") != "dumb";

    const long RedrawTicks = TimeSpan.TicksPerSecond / 10;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly bool bar = !quiet && Interactive;
    long lastDrawn = -RedrawTicks;
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
        if (bar && (last || clock.Elapsed.Ticks - lastDrawn >= RedrawTicks))
        {
            lastDrawn = clock.Elapsed.Ticks;
            DrawBar(row, i);
        }
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

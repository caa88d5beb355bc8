// A whole `dcgan train` run: data, networks, the iteration loop, and every file in the output directory.
//
//   real_samples.png                 the first real batch (up to 64 images)
//   fake_samples_epoch_NNN.png       the fixed-noise 8×8 grid at the end of epoch NNN (0-based, as pytorch/examples)
//   fake_samples_iter_NNNNNNN.png    the same grid every --sample-every iterations
//   progress.gif                     every grid so far, in order
//   losses.csv / losses.png          one row per iteration / the curves
//   metrics.csv                      the quality metric (Evaluation/QualityMetric.cs) of --eval-count samples per epoch
//   run.json                         configuration, device, versions, seed, timings
//   grid_labels.json                 with a quality metric: its classifier's label and confidence for each grid's tiles
//   snapshots.json                   per checkpoint: D's logits on a fixed real and fake batch, per-layer weight and
//                                    activation statistics, the profile of the iteration (Training/Snapshots.cs)
//   report.html                      a page of all the above (Reporting/RunReport.cs), at every checkpoint and at the end
//   events.out.tfevents.<time>.<host>.<pid>   with --tensorboard: the above as TensorBoard events, appended at every
//                                    checkpoint, one file per process (Reporting/TensorBoardExport.cs)
//   netG.safetensors, netD.safetensors            latest weights, PyTorch state-dict names
//   netG_ema.safetensors             with --ema: the averaged generator, its batchnorm statistics re-estimated
//   checkpoints/netG_epoch_N.safetensors (and netD) per epoch
//   train_state.safetensors          everything exact resume needs (TrainState)
//
// Epochs and batch indices are 0-based like pytorch/examples; iterations are 1-based across epochs.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Imaging;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Reporting;
using ILGPU;
using ILGPU.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Training;

/// <summary>
/// One logged iteration: the columns of losses.csv. Epoch and BatchInEpoch are those of the iteration's last real
/// batch; CriticSteps counts the critic steps (real batches) of the run so far, CriticStepsInIteration this one's.
/// </summary>
public sealed record IterationRow(int Iteration, int Epoch, int BatchInEpoch, IterationStats Stats, double ImagesPerSecond,
    long CriticSteps, int CriticStepsInIteration);

/// <summary>What a run tells its user interface (the CLI's progress bar and log lines).</summary>
public interface ITrainingObserver
{
    void Started(TrainingRunInfo info);
    void Iteration(IterationRow row);
    void Saved(string what);
    void Message(string line);
}

public sealed record TrainingRunInfo(
    string OutDirectory, string Device, string Dataset, int DatasetCount, ModelConfig Model, int BatchSize,
    int BatchesPerEpoch, int Epochs, int TotalIterations, int StartIteration, GanRecipe Recipe);

public sealed partial class TrainingRun
{
    /// <summary>
    /// losses.csv's header for an objective's score columns (bce: d_x, d_g_z1, d_g_z2), with the gradient penalty's
    /// column when the recipe has one (gp or r1: its value at the iteration's last computation of it, 0 when lazy
    /// R1 computed none; not part of loss_d), then the L2 norms of D's and G's weights after their steps.
    /// </summary>
    public static string LossesCsvHeader(IReadOnlyList<string> scoreColumns, string? penaltyColumn = null) =>
        LossesCsvHeaderV2(scoreColumns, penaltyColumn) + ",weight_norm_d,weight_norm_g";

    /// <summary>The header before the weight norms were logged (their cells read NaN on those rows when resumed).</summary>
    internal static string LossesCsvHeaderV2(IReadOnlyList<string> scoreColumns, string? penaltyColumn) =>
        $"iteration,epoch,loss_d,loss_g,{string.Join(",", scoreColumns)},images_per_second,grad_norm_d,grad_norm_g,critic_steps" +
        (penaltyColumn is null ? "" : "," + penaltyColumn);

    /// <summary>The header of runs made before the recipes (bce, one critic step per iteration: critic_steps = iteration).</summary>
    internal const string LossesCsvHeaderV1 =
        "iteration,epoch,loss_d,loss_g,d_x,d_g_z1,d_g_z2,images_per_second,grad_norm_d,grad_norm_g";
    const int GridImages = 64;

    /// <summary>Rollbacks allowed per run before a divergence stops it (docs/reliability.md).</summary>
    public const int MaxRollbacks = 3;
    /// <summary>Each rollback multiplies the learning rate by this.</summary>
    public const double RollbackLearningRateFactor = 0.5;
    public const string SkippedImagesFile = "skipped_images.txt";

    TrainOptions options; // a rollback lowers the learning rate
    readonly ITrainingObserver observer;
    readonly bool resume;
    readonly TrainingHooks hooks;
    // A new run's --netG / --netD, read before anything else so that a wrong file fails at once.
    readonly SafetensorsFile? startingG, startingD;

    TrainingRun(TrainOptions options, ITrainingObserver observer, bool resume, TrainingHooks? hooks)
    {
        this.options = options;
        this.observer = observer;
        this.resume = resume;
        this.hooks = hooks ?? new TrainingHooks();
        if (!resume)
            (startingG, startingD) = (StartingWeights(options.NetG), StartingWeights(options.NetD));
    }

    /// <summary>Starts a new run in options.Out (or runs/&lt;timestamp&gt;).</summary>
    public static string Start(TrainOptions options, ITrainingObserver observer) => Start(options, observer, null);

    internal static string Start(TrainOptions options, ITrainingObserver observer, TrainingHooks? hooks)
    {
        string outDir = options.Out ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        if (File.Exists(Path.Combine(outDir, TrainState.FileName)))
            throw new ArgumentException($"--out {outDir}: holds a run already (train_state.safetensors); use --resume {outDir} to continue it, or another --out");
        new TrainingRun(options with { Out = outDir }, observer, resume: false, hooks).Execute();
        return outDir;
    }

    /// <summary>Reads the saved configuration of a run directory (for --resume, before overrides are applied).</summary>
    public static TrainOptions SavedOptions(string runDirectory)
    {
        string path = Path.Combine(runDirectory, TrainState.FileName);
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: not found; --resume needs a run directory with a checkpoint");
        var (_, json) = TrainState.ReadHeader(SafetensorsFile.Read(path));
        return TrainOptions.FromJson(json, path) with { Out = runDirectory };
    }

    /// <summary>Continues the run in options.Out from its last checkpoint (options: saved ones plus overrides).</summary>
    public static void Resume(TrainOptions options, ITrainingObserver observer) => Resume(options, observer, null);

    internal static void Resume(TrainOptions options, ITrainingObserver observer, TrainingHooks? hooks)
    {
        ResumeChanges.RefuseInexactResume(SavedOptions(options.Out!), options);
        new TrainingRun(options, observer, resume: true, hooks).Execute();
    }

    /// <summary>
    /// A state dict in safetensors for --netG / --netD. torch.save's .pth (a zip of pickles) is not read here: one line
    /// says how to convert it.
    /// </summary>
    static SafetensorsFile? StartingWeights(string? path)
    {
        if (path is null)
            return null;
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: not found; --netG and --netD take a state dict in safetensors (netG.safetensors of a run)");
        using (var file = File.OpenRead(path))
        {
            Span<byte> magic = stackalloc byte[2];
            // "PK": torch.save's zip format; 0x80: the legacy pickle format.
            if (file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && (magic is [(byte)'P', (byte)'K'] || magic[0] == 0x80))
                throw new CheckpointException($"{path}: a PyTorch .pth (torch.save's pickle) is not read here; convert it once: " +
                    $"python3 -c \"import torch, safetensors.torch as st; st.save_file(torch.load('{path}', map_location='cpu'), " +
                    $"'{Path.ChangeExtension(path, ".safetensors")}')\" and give that file");
        }
        return SafetensorsFile.Read(path);
    }

    /// <summary>
    /// A non-finite loss, gradient or weight in one iteration, or a finite explosion (ExplosionDetector); caught by
    /// Execute.
    /// </summary>
    sealed class DivergenceDetected(int iteration, string what) : Exception(what)
    {
        public int Iteration { get; } = iteration;
    }

    void Execute()
    {
        if (options.Problem() is string problem)
            throw new ArgumentException($"dcgan train: option {problem}");
        string outDir = options.Out!;
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(Path.Combine(outDir, "checkpoints"));
        RemoveStaleTemporaryFiles(outDir);
        var wall = Stopwatch.StartNew();

        var folder = new FolderOptions
        {
            OnCorrupt = options.OnBadImage == "fail" ? CorruptImagePolicy.Fail : CorruptImagePolicy.Skip,
            CacheDirectory = options.CacheDir,
        };
        using var dataset = DatasetFactory.Open(options.Dataset, options.DataRoot, options.ImageSize, options.Channels,
            new DatasetOptions { Seed = (long)options.Seed, Download = options.Download, FakeCount = options.FakeCount, Folder = folder });
        var folderData = dataset as FolderDataset;
        if (folderData is { SkippedCount: > 0 })
            observer.Message($"skipped {folderData.SkippedCount} unreadable image(s) of {dataset.Name}: {SkippedSummary(folderData)}");
        if (dataset.Count < options.BatchSize)
            throw new ArgumentException($"--batch-size {options.BatchSize}: the data set has only {dataset.Count} images");
        var model = new ModelConfig(options.ImageSize, dataset.Channels, options.Nz, options.Ngf, options.Ndf);
        using var lease = DeviceLease.Open(options.Device);
        var device = lease.Device;
        var runInfo = new RunInfo(options, device, dataset.Name, dataset.Count, model);
        double realDiversity = RealDiversity(dataset);
        using var metric = OpenQualityMetric(dataset, device, model, runInfo);
        var divergenceLog = new DivergenceLog(outDir);
        string statePath = Path.Combine(outDir, TrainState.FileName);
        using var tensorBoardLog = tensorBoard = options.TensorBoard
            ? TensorBoardLog.Open(outDir, resume ? LastCheckpointIteration(statePath) : null, observer.Message) : null;

        bool fromCheckpoint = resume;
        int rollbacks = 0;
        if (resume)
        {
            var state = SafetensorsFile.Read(statePath);
            rollbacks = TrainState.ReadRollbacks(state);
            RecordResume(runInfo, state);
        }
        try
        {
            while (true)
            {
                try
                {
                    RunFrom(fromCheckpoint, rollbacks, dataset, device, model, runInfo, realDiversity, metric, wall);
                    break;
                }
                catch (DivergenceDetected d)
                {
                    int? good = LastCheckpointIteration(statePath);
                    string where = good is int g
                        ? $"the last good checkpoint (iteration {g}) is {statePath}" : "no checkpoint had been saved yet";
                    var recipe = options.ResolveRecipe();
                    var lowered = options.WithLearningRatesScaled(RollbackLearningRateFactor);
                    var newRecipe = lowered.ResolveRecipe();
                    string lr = "lr " + LearningRates(recipe), newLr = LearningRates(newRecipe);
                    bool giveUp = options.OnDivergence == "stop" || rollbacks >= MaxRollbacks;
                    string action = giveUp ? "stop" : "rollback";
                    var ev = runInfo.AddEvent("divergence", d.Iteration, new JsonObject
                    {
                        ["what"] = d.Message, ["action"] = action,
                        ["lr"] = recipe.OptimizerD.LearningRate, ["lr_g"] = recipe.OptimizerG.LearningRate,
                        ["restored_iteration"] = giveUp ? null : (good ?? 0),
                        ["new_lr"] = giveUp ? null : newRecipe.OptimizerD.LearningRate,
                        ["new_lr_g"] = giveUp ? null : newRecipe.OptimizerG.LearningRate,
                    });
                    string logLine = $"{ev["utc"]} iteration {d.Iteration}: {d.Message} ({lr}); " + (giveUp
                        ? $"stopped; {where}"
                        : $"rollback {rollbacks + 1} of {MaxRollbacks}: restored iteration {good ?? 0}, lr now {newLr}");
                    divergenceLog.Add(logLine);
                    if (giveUp)
                    {
                        runInfo.State = "stopped (divergence)";
                        runInfo.Write(outDir, -1, good ?? 0, wall.Elapsed);
                        WriteReport(outDir);
                        string why = options.OnDivergence == "stop"
                            ? "stopped (--on-divergence stop)"
                            : $"stopped after {MaxRollbacks} rollbacks, each halving the learning rate";
                        string next = good is not null
                            ? $"; continue with --resume {outDir} {LearningRateOptions(newRecipe)}"
                            : "; start again with a lower --lr";
                        throw new TrainingDivergedException(
                            $"{outDir}: training diverged at iteration {d.Iteration}: {d.Message} ({lr}); {why}; {where}{next}");
                    }
                    rollbacks++;
                    options = lowered;
                    runInfo.Options = options;
                    fromCheckpoint = good is not null;
                    observer.Message(
                        $"diverged at iteration {d.Iteration}: {d.Message}; rollback {rollbacks} of {MaxRollbacks}: back to iteration {good ?? 0}, {lr} -> {newLr}");
                }
            }
        }
        finally
        {
            if (folderData is not null)
                ReportSkipped(outDir, folderData, runInfo);
        }
    }

    /// <summary>
    /// A resume continues run.json's events and adds its own: where it resumed, and the allowed option changes
    /// (ResumeChanges; the refused ones never get here), each change's note told to the user.
    /// </summary>
    void RecordResume(RunInfo runInfo, SafetensorsFile state)
    {
        runInfo.LoadEvents(options.Out!);
        var (position, json) = TrainState.ReadHeader(state);
        var changes = ResumeChanges.Between(TrainOptions.FromJson(json, TrainState.FileName), options);
        runInfo.AddEvent("resume", position.Iteration, new JsonObject
        {
            ["changes"] = new JsonArray(changes.Select(c => (JsonNode)new JsonObject
            {
                ["option"] = c.Option, ["saved"] = c.Saved, ["resumed"] = c.Resumed, ["note"] = c.Note,
            }).ToArray()),
        });
        foreach (var c in changes.Where(c => c.Note is not null))
            observer.Message($"{c.Option} {c.Resumed} (the run had {c.Saved}): {c.Note}");
    }

    /// <summary>
    /// One pass of the iteration loop from the last checkpoint (or from the start): a divergence ends it with
    /// <see cref="DivergenceDetected"/>, after which Execute may call it again with a lower learning rate.
    /// </summary>
    void RunFrom(bool fromCheckpoint, int rollbacks, IImageDataset dataset, ComputeDevice device, ModelConfig model,
        RunInfo runInfo, double realDiversity, QualityMetric? metric, Stopwatch wall)
    {
        string outDir = options.Out!;
        var recipe = options.ResolveRecipe();
        GanTrainer trainer;
        Models.Sequential<float> sampler;
        try
        {
            trainer = new GanTrainer(device, model, options.BatchSize, recipe, options.Seed) { ClipGradNorm = options.ClipGradNorm };
            try
            {
                sampler = DcganModels.Generator<float>(device, model, GridImages, recipe.SpectralNormG);
            }
            catch
            {
                trainer.Dispose();
                throw;
            }
        }
        // The options are valid (Problem() passed), so a size error building the networks means they are too
        // large: the layers' checked size arithmetic (OverflowException, or ArgumentException "more than 2^31").
        catch (Exception e) when (DeviceMemory.IsOutOfMemory(e) || e is OverflowException or ArgumentException)
        {
            throw DeviceMemory.Advice(e, device.Describe(), options);
        }
        using var trainerScope = trainer;
        using var samplerScope = sampler;

        int batchesPerEpoch = dataset.Count / options.BatchSize;
        // --iterations counts generator steps; an epoch is one pass over the real data, i.e. batchesPerEpoch critic
        // steps, so with k critic steps per generator step an epoch has about 1/k of the generator steps.
        int totalIterations = options.Iterations ?? recipe.GeneratorStepsWithin((long)options.Epochs * batchesPerEpoch);
        if (totalIterations < 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--epochs {options.Epochs}: {(long)options.Epochs * batchesPerEpoch} real batches are fewer than the first generator step's {recipe.CriticStepsBefore(1)} critic steps; raise --epochs or set --iterations"));
        int[] fixedNoiseShape = [GridImages, options.Nz, 1, 1];
        float[] fixedNoise = NormalRngReference.Normal(trainer.StreamSeed('f'), 0, GridImages * options.Nz);

        var position = new TrainPosition(0, 0, 0, 0);
        string statePath = Path.Combine(outDir, TrainState.FileName);
        if (fromCheckpoint)
        {
            var file = SafetensorsFile.Read(statePath);
            (position, _) = TrainState.ReadHeader(file);
            fixedNoise = TrainState.Load(file, trainer.Generator, trainer.Discriminator, trainer.OptimizerG,
                trainer.OptimizerD, trainer.EmaWeights, fixedNoiseShape);
            trainer.SetPosition(position.Iteration, position.CriticSteps);
        }
        else if (startingG is not null || startingD is not null)
            trainer.LoadStartingWeights(startingG, startingD);

        // The explosion and d-won rules judge each iteration against the history of the run so far, kept rows included.
        var explosions = new ExplosionDetector(recipe.Loss, trainer.InitialWeightNorms, trainer.TensorNormNames);
        var collapse = new CollapseMonitor(recipe.Loss, realDiversity);
        using var csv = new LossesCsv(Path.Combine(outDir, "losses.csv"), trainer.Objective.ScoreColumns,
            trainer.Recipe.Penalty?.Column, position.Iteration, (it, stats) =>
            {
                explosions.Remember(stats);
                collapse.Iteration(it, stats);
            });
        using var normsCsv = new GradNormsCsv(Path.Combine(outDir, GradNormsCsv.FileName), trainer.TensorNormNames, position.Iteration,
            explosions.RememberTensors);
        using var metricsCsv = metric is null ? null : new CsvLog(Path.Combine(outDir, MetricsCsvFile), MetricsCsvHeader, position.Iteration);
        var grids = new GridHistory(outDir, position.Iteration);
        // What D sees and where the time goes, at every checkpoint (Snapshots.cs): training runs the same without it.
        var snapshotsFile = hooks.NoSnapshots ? null : new SnapshotsFile(outDir, position.Iteration, SnapshotRecorder.About(options.BatchSize));
        using var snapshots = hooks.NoSnapshots ? null : OpenSnapshots(device, trainer, dataset);
        // The metric's classifier's label for each tile of each grid, for the report to overlay (GridLabels.cs).
        var gridLabels = metric is null ? null : new GridLabels(outDir, position.Iteration, metric.ClassifierPath, options.ImageSize);
        observer.Started(new TrainingRunInfo(outDir, device.Describe(), $"{dataset.Name} ({dataset.Count} images)",
            dataset.Count, model, options.BatchSize, batchesPerEpoch,
            (int)((recipe.CriticStepsThrough(totalIterations) + batchesPerEpoch - 1) / batchesPerEpoch),
            totalIterations, position.Iteration, recipe));
        runInfo.Write(outDir, totalIterations, position.Iteration, wall.Elapsed);

        if (position.Iteration >= totalIterations)
        {
            observer.Message($"nothing to do: the run is at iteration {position.Iteration} of {totalIterations} (raise --iterations or --epochs)");
            return;
        }

        int startEpoch = checked((int)(position.CriticSteps / batchesPerEpoch));
        int startBatch = (int)(position.CriticSteps % batchesPerEpoch);
        var loaderOptions = new BatchLoaderOptions { StartEpoch = startEpoch, StartBatch = startBatch };
        using var loader = new BatchLoader(dataset, options.BatchSize, (long)options.Seed,
            options.Workers is int workers ? loaderOptions with { Workers = workers } : loaderOptions);

        // For labelled greyscale digit sets: how many of the ten classes the fixed-noise samples show.
        var classifier = dataset.Labels is not null && dataset.Channels == 1 && dataset.ImageSize == options.ImageSize
            ? new DigitClassifier(dataset, useOnly: Enumerable.Range(0, Math.Min(dataset.Count, 10_000)).ToList())
            : null;
        var accelerator = device.Accelerator;
        using var fixedNoiseOnDevice = accelerator.Allocate1D(fixedNoise);
        var samples = new float[Count(sampler.OutputShape)];
        int imageLength = samples.Length / GridImages;
        // The metric's own latent vectors, drawn once from their own stream: the same images every epoch and every session.
        using var evalNoise = metric is null ? null
            : accelerator.Allocate1D(NormalRngReference.Normal(trainer.StreamSeed('q'), 0, options.EvalCount * options.Nz));
        var evalImages = metric is null ? [] : new float[options.EvalCount * (samples.Length / GridImages)];
        // A checkpoint closes the run's last iteration and each epoch's (or every --checkpoint-every-th iteration).
        bool CheckpointDue(int iteration, long criticBefore, long criticAfter) => iteration == totalIterations ||
            (options.CheckpointEvery is int ce ? iteration % ce == 0 : criticAfter / batchesPerEpoch > criticBefore / batchesPerEpoch);
        var speed = Stopwatch.StartNew();
        for (int iteration = position.Iteration + 1; iteration <= totalIterations; iteration++)
        {
            long criticBefore = trainer.CriticStepsTaken;
            int criticSteps = trainer.CriticStepsForNextIteration;
            // The iteration that ends at a checkpoint is profiled op by op for its snapshot (the same numbers result),
            // and with --tensorboard keeps its gradients for the checkpoint's histograms before the steps clear them.
            bool endsAtCheckpoint = CheckpointDue(iteration, criticBefore, criticBefore + criticSteps);
            if (tensorBoard is not null)
                trainer.KeepGradients = endsAtCheckpoint;
            double lrScale = recipe.LearningRateScaleAt(iteration, totalIterations);
            trainer.OptimizerD.LearningRateScale = lrScale;
            trainer.OptimizerG.LearningRateScale = lrScale;
            int epoch = 0, batchIndex = 0;
            bool profiled = snapshots is not null && endsAtCheckpoint;
            if (profiled)
                snapshots!.BeginProfile();
            for (int k = 0; k < criticSteps; k++)
            {
                var batch = loader.Next();
                if (trainer.CriticStepsTaken == 0)
                    SaveRealSamples(outDir, batch.Data, dataset);
                (epoch, batchIndex) = (batch.Epoch, batch.Index);
                hooks.BeforeStep?.Invoke(iteration, batch.Data);
                if (profiled)
                    snapshots!.ProfiledOp("real batch from the loader (host)", "data");
                trainer.CriticStep(batch.Data);
                loader.Return(batch);
            }
            var stats = trainer.GeneratorStep();
            if (profiled)
                snapshots!.EndProfile(iteration, device, firstOfSession: iteration == position.Iteration + 1);
            long criticAfter = trainer.CriticStepsTaken;
            // Real images per second: the batches of this iteration's critic steps over its wall time.
            double imagesPerSecond = (double)criticSteps * options.BatchSize / Math.Max(speed.Elapsed.TotalSeconds, 1e-9);
            speed.Restart();
            var row = new IterationRow(iteration, epoch, batchIndex, stats, imagesPerSecond, criticAfter, criticSteps);
            csv.Append(row);
            normsCsv.Append(iteration, trainer.TensorNorms);
            observer.Iteration(row);
            if (stats.NonFinite)
                throw new DivergenceDetected(iteration, WhatIsNotFinite(stats, trainer));
            if (explosions.Check(stats, trainer.TensorNorms) is string exploded)
                throw new DivergenceDetected(iteration, exploded);
            Report(collapse.Iteration(iteration, stats), runInfo, wall);

            // An epoch ends in this iteration when its critic steps took the epoch's last batch.
            bool epochEnd = criticAfter / batchesPerEpoch > criticBefore / batchesPerEpoch;
            int endedEpoch = (int)(criticAfter / batchesPerEpoch) - 1;
            bool last = iteration == totalIterations;
            bool gridDue = epochEnd || last || (options.SampleEvery is int se && iteration % se == 0);
            bool diversityDue = CollapseMonitor.DiversityDue(iteration);
            if (gridDue || diversityDue)
                RenderSamples(trainer, sampler, fixedNoiseOnDevice.View, samples);
            if (diversityDue)
                Report(collapse.Samples(iteration, CollapseMonitor.Diversity(samples, GridImages, imageLength)), runInfo, wall);
            if (gridDue)
            {
                var shape = sampler.OutputShape;
                string gridFile = grids.Add(ImageGrid.Compose(samples, shape[0], shape[1], shape[2], shape[3]), iteration, epochEnd ? endedEpoch : null);
                gridLabels?.Add(gridFile, iteration, metric!.Classify(samples));
                if (classifier is not null && (epochEnd || last))
                {
                    var report = classifier.Report(samples);
                    runInfo.ClassReport = report;
                    observer.Message($"[{(epochEnd ? endedEpoch : epoch)}] fixed-noise samples: {report}");
                }
            }
            if (metric is not null && (epochEnd || last))
            {
                var clock = Stopwatch.StartNew();
                RenderSamples(trainer, sampler, evalNoise!.View, evalImages);
                var quality = metric.Score(evalImages);
                double seconds = clock.Elapsed.TotalSeconds;
                int shownEpoch = epochEnd ? endedEpoch : epoch;
                metricsCsv!.Append(string.Create(CultureInfo.InvariantCulture,
                    $"{iteration},{shownEpoch},{quality.Count},{quality.ClassifierScore:R},{quality.ClassifierScoreStd:R},{quality.FrechetDistance:R},{quality.Kid:R},{quality.KidStd:R},{quality.Precision:R},{quality.Recall:R},{quality.ClassesPresent},{seconds:F3}"));
                var latest = quality.ToJson();
                latest["iteration"] = iteration;
                latest["epoch"] = shownEpoch;
                latest["seconds"] = Math.Round(seconds, 3);
                runInfo.Quality!["latest"] = latest;
                observer.Message($"[{shownEpoch}] quality of {quality.Count} samples: {quality.Summary()} ({seconds:F1} s)");
            }
            if (CheckpointDue(iteration, criticBefore, criticAfter))
            {
                var now = new TrainPosition(iteration, (int)(criticAfter / batchesPerEpoch), (int)(criticAfter % batchesPerEpoch),
                    criticAfter);
                SaveCheckpoint(outDir, trainer, sampler, fixedNoise, fixedNoiseShape, now, epochEnd ? endedEpoch : null, rollbacks);
                if (snapshots is not null)
                    snapshotsFile!.Add(snapshots.Take(iteration, epochEnd ? endedEpoch : null));
                LossPlot.SavePng(Path.Combine(outDir, "losses.png"), csv.Points, loss: recipe.Loss);
                grids.SaveGif();
                if (dataset is FolderDataset f)
                    runInfo.SkippedImages = f.SkippedCount;
                runInfo.Write(outDir, totalIterations, iteration, wall.Elapsed);
                WriteReport(outDir);
                tensorBoard?.Checkpoint(iteration, trainer.KeptGradients());
                observer.Saved($"checkpoint at iteration {iteration}");
            }
        }
        foreach (var (what, since) in collapse.Ongoing())
            observer.Message($"warning: the run ended with {what} (since iteration {since}; run.json's events)");
        runInfo.State = "done";
        runInfo.Write(outDir, totalIterations, totalIterations, wall.Elapsed);
        WriteReport(outDir);
    }

    /// <summary>
    /// The snapshot recorder (copies of G and D at the batch size), or null with a warning when the device has no room
    /// for it: snapshots are a view of the run, never the reason it cannot train.
    /// </summary>
    SnapshotRecorder? OpenSnapshots(ComputeDevice device, GanTrainer trainer, IImageDataset dataset)
    {
        try
        {
            return new SnapshotRecorder(device, trainer, dataset);
        }
        catch (Exception e) when (DeviceMemory.IsOutOfMemory(e))
        {
            observer.Message($"warning: no {SnapshotsFile.FileName}: the device has no memory left for copies of G and D ({e.Message}); training goes on");
            return null;
        }
    }

    bool reportFailed;
    TensorBoardLog? tensorBoard;

    /// <summary>
    /// Rewrites report.html from the files just written (it reads the CSV logs whole: cheap at checkpoint frequency).
    /// The page is a view of the run, not its state: a failure costs one warning line, the first time, never the run.
    /// </summary>
    void WriteReport(string outDir)
    {
        try
        {
            RunReport.Write(outDir);
        }
        catch (Exception e)
        {
            if (!reportFailed)
                observer.Message($"warning: {RunReport.FileName} not written: {e.Message} (training goes on; dcgan report {outDir} writes it later)");
            reportFailed = true;
        }
    }

    /// <summary>
    /// Tells the user of a collapse or d-won episode starting or ending, records it in run.json, and with
    /// --on-collapse stop ends the run at a warning (the last checkpoint stays as it was).
    /// </summary>
    void Report(CollapseNews? news, RunInfo runInfo, Stopwatch wall)
    {
        if (news is null)
            return;
        string outDir = options.Out!;
        bool stop = news.Warning && options.OnCollapse == "stop";
        runInfo.AddEvent(news.Kind, news.Iteration, new JsonObject
        {
            ["detail"] = news.Detail, ["action"] = news.Warning ? (stop ? "stop" : "warn") : null,
        });
        if (!stop)
        {
            observer.Message(news.Message);
            runInfo.Write(outDir, -1, news.Iteration, wall.Elapsed);
            return;
        }
        string statePath = Path.Combine(outDir, TrainState.FileName);
        int? good = LastCheckpointIteration(statePath);
        runInfo.State = $"stopped ({news.Kind})";
        runInfo.Write(outDir, -1, good ?? 0, wall.Elapsed);
        WriteReport(outDir);
        string where = good is int g
            ? $"the last checkpoint (iteration {g}) is {statePath}; continue with --resume {outDir} and other learning rates"
            : "no checkpoint had been saved yet";
        string what = news.Kind == "d-won" ? "the discriminator has won" : "the generator has collapsed";
        throw new TrainingCollapsedException(
            $"{outDir}: training stopped at iteration {news.Iteration} (--on-collapse stop): {what}: {news.Detail}; {where}");
    }

    /// <summary>The iteration of the run's last checkpoint (the train state at statePath), or null when none was saved.</summary>
    static int? LastCheckpointIteration(string statePath) =>
        File.Exists(statePath) ? TrainState.ReadHeader(SafetensorsFile.Read(statePath)).Position.Iteration : null;

    /// <summary>The diversity (CollapseMonitor.Diversity) of 64 real images spread over the data set: the collapse rule's reference.</summary>
    static double RealDiversity(IImageDataset dataset)
    {
        int n = Math.Min(GridImages, dataset.Count), length = dataset.ImageLength();
        var images = new float[n * length];
        for (int i = 0; i < n; i++)
            dataset.ReadImage((int)((long)i * dataset.Count / n), images.AsSpan(i * length, length));
        return CollapseMonitor.Diversity(images, n, length);
    }

    /// <summary>
    /// The first non-finite number of the iteration: a loss or D output; else a gradient (its tensor named, D's
    /// first since D steps first); else a weight made non-finite by an Adam step.
    /// </summary>
    static string WhatIsNotFinite(IterationStats s, GanTrainer trainer)
    {
        (string Name, float Value)[] scalars =
            [("Loss_D", s.LossD), ("Loss_G", s.LossG), ("D(x)", s.DX), ("D(G(z))", s.DGz1), ("D(G(z)) after D's step", s.DGz2)];
        foreach (var (name, value) in scalars)
            if (!float.IsFinite(value))
                return string.Create(CultureInfo.InvariantCulture, $"{name} is {value}");
        var norms = trainer.TensorNorms;
        var names = trainer.TensorNormNames;
        foreach (string net in new[] { "netD.", "netG." })
            for (int i = 0; i < norms.Length; i++)
                if (names[i].StartsWith(net, StringComparison.Ordinal) && !float.IsFinite(norms[i]))
                    return string.Create(CultureInfo.InvariantCulture, $"the gradient of {names[i]} has norm {norms[i]}");
        if (!float.IsFinite(s.GradNormD) || !float.IsFinite(s.GradNormG))
            return string.Create(CultureInfo.InvariantCulture, $"the gradient norms of D and G are {s.GradNormD} and {s.GradNormG}");
        foreach (var (net, norm) in new[] { ("D", s.WeightNormD), ("G", s.WeightNormG) })
            if (!float.IsFinite(norm))
                return string.Create(CultureInfo.InvariantCulture,
                    $"the weight norm of {net} is {norm} after its optimizer step (a weight non-finite, or beyond 1.8e19; losses and gradients were finite)");
        return "a weight became non-finite in an optimizer step (losses and gradients were finite)";
    }

    /// <summary>
    /// Deletes the temporary files of atomic writes a crash left behind (name.tmp-&lt;12 hex digits&gt;): the
    /// complete previous version of each file is in place, so they hold nothing worth keeping.
    /// </summary>
    internal static void RemoveStaleTemporaryFiles(string outDir)
    {
        foreach (string dir in new[] { outDir, Path.Combine(outDir, "checkpoints") })
            if (Directory.Exists(dir))
                foreach (string file in Directory.EnumerateFiles(dir, "*.tmp-*"))
                    if (StaleTemporary().IsMatch(Path.GetFileName(file)))
                        File.Delete(file);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\.tmp-[0-9a-f]{12}$")]
    private static partial System.Text.RegularExpressions.Regex StaleTemporary();

    static string SkippedSummary(FolderDataset folder)
    {
        var skipped = folder.Skipped;
        string first = string.Join("; ", skipped.Take(5).Select(s => $"{s.Path} ({s.Reason})"));
        return skipped.Count > 5 ? $"{first}; and {skipped.Count - 5} more" : first;
    }

    /// <summary>The count of skipped images at the end of a run, their list in skipped_images.txt.</summary>
    void ReportSkipped(string outDir, FolderDataset folder, RunInfo runInfo)
    {
        runInfo.SkippedImages = folder.SkippedCount;
        if (folder.SkippedCount == 0)
            return;
        AtomicFile.WriteAllBytes(Path.Combine(outDir, SkippedImagesFile),
            Encoding.UTF8.GetBytes(string.Concat(folder.Skipped.Select(s => $"{s.Path}\t{s.Reason}\n"))));
        observer.Message($"skipped images: {folder.SkippedCount} unreadable file(s) left out (--on-bad-image skip), " +
                         $"listed in {Path.Combine(outDir, SkippedImagesFile)}");
    }

    void SaveCheckpoint(string outDir, GanTrainer trainer, Models.Sequential<float> sampler, float[] fixedNoise,
        int[] fixedNoiseShape, TrainPosition position, int? epochDone, int rollbacks)
    {
        // The train state first: it alone is what --resume reads.
        TrainState.Save(Path.Combine(outDir, TrainState.FileName), trainer.Generator, trainer.Discriminator,
            trainer.OptimizerG, trainer.OptimizerD, trainer.EmaWeights, fixedNoise, fixedNoiseShape, position, options.ToJson(), rollbacks);
        var metadata = new Dictionary<string, string>
        {
            ["iteration"] = position.Iteration.ToString(CultureInfo.InvariantCulture),
            ["config"] = options.ToJson(),
        };
        StateDict.Save(Path.Combine(outDir, "netG.safetensors"), trainer.Generator, metadata);
        StateDict.Save(Path.Combine(outDir, "netD.safetensors"), trainer.Discriminator, metadata);
        if (trainer.EmaWeights is not null)
        {
            EmaGenerator(trainer, sampler);
            StateDict.Save(Path.Combine(outDir, EmaGeneratorFile), sampler, metadata);
        }
        if (epochDone is int e)
        {
            StateDict.Save(Path.Combine(outDir, "checkpoints", $"netG_epoch_{e}.safetensors"), trainer.Generator, metadata);
            StateDict.Save(Path.Combine(outDir, "checkpoints", $"netD_epoch_{e}.safetensors"), trainer.Discriminator, metadata);
        }
    }

    public const string MetricsCsvFile = "metrics.csv";
    public const string MetricsCsvHeader =
        "iteration,epoch,images,classifier_score,classifier_score_std,frechet_distance,kid,kid_std,precision,recall,classes_present,seconds";

    /// <summary>
    /// The quality metric of this run, or null: --eval-count 0, or no classifier for these images (the shipped one
    /// judges digits, bundled or mnist, at its size; --classifier names any other). The real held-out images'
    /// numbers at --eval-count go to run.json and the log once, as the ceiling the per-epoch numbers climb towards.
    /// </summary>
    QualityMetric? OpenQualityMetric(IImageDataset dataset, ComputeDevice device, ModelConfig model, RunInfo runInfo)
    {
        if (options.EvalCount == 0)
            return null;
        string? path = options.Classifier;
        if (path is null && options.Dataset is "bundled" or "mnist" && model.Channels == 1)
            path = ClassifierFile.FindShipped("bundled", model.ImageSize);
        if (path is null)
        {
            if (dataset.Labels is not null)
                observer.Message($"no quality metric: no classifier ships for {dataset.Name} at {model.ImageSize}x{model.ImageSize}x{model.Channels} " +
                                 "(make one with dcgan classifier train and pass --classifier FILE)");
            return null;
        }
        var metric = QualityMetric.Open(device, path, options.Classifier is null ? null : options.DataRoot);
        try
        {
            metric.RequireShape(model.Channels, model.ImageSize, "this run's images");
            var real = metric.RealReference(options.EvalCount);
            runInfo.Quality = new JsonObject
            {
                ["classifier"] = path, ["classifier_dataset"] = metric.Provenance.Dataset, ["images"] = options.EvalCount,
                ["real_held_out"] = real.ToJson(),
            };
            observer.Message($"quality metric: {options.EvalCount} samples per epoch against {metric.ReferenceCount} real images; " +
                             $"real held-out images: {real.Summary()}");
            return metric;
        }
        catch
        {
            metric.Dispose();
            throw;
        }
    }

    public const string EmaGeneratorFile = "netG_ema.safetensors";

    /// <summary>Batches of 64 noise vectors whose batch statistics re-estimate the EMA generator's running statistics.</summary>
    public const int EmaStatisticsBatches = 16;

    /// <summary>
    /// Makes <paramref name="sampler"/> the EMA generator for eval-mode use: G's averaged weights, and batchnorm
    /// running statistics re-estimated for them (G's own belong to G's weights, not to their average): reset, then
    /// the plain average over EmaStatisticsBatches training-mode passes on fresh noise (momentum 1/k on the k-th,
    /// as torch.optim.swa_utils.update_bn). The noise comes from the 'e' stream, so the statistics are reproducible.
    /// </summary>
    static void EmaGenerator(GanTrainer trainer, Models.Sequential<float> sampler)
    {
        var accelerator = sampler.Parameters.Values.GetAccelerator();
        var stream = accelerator.DefaultStream;
        CopyState(trainer.Generator, sampler, stream);
        trainer.EmaWeights!.Value.CopyTo(stream, sampler.Parameters.Values);
        var norms = sampler.Layers.OfType<Layers.BatchNorm2dLayer<float>>().ToList();
        foreach (var bn in norms)
            bn.ResetRunningStatistics();
        using var noise = accelerator.Allocate1D<float>(Count(sampler.InputShape));
        var rng = NormalRngOps.On(trainer.Device);
        for (int k = 1; k <= EmaStatisticsBatches; k++)
        {
            foreach (var bn in norms)
                bn.Momentum = 1f / k;
            rng.Normal(stream, trainer.StreamSeed('e'), (long)(k - 1) * noise.Length, noise.View);
            sampler.Forward(stream, noise.View, training: true);
        }
        foreach (var bn in norms)
            bn.Momentum = Ops.BatchNorm2dOps<float>.DefaultMomentum;
        stream.Synchronize();
    }

    /// <summary>
    /// G(fixed noise) as pytorch/examples renders it: batchnorm in training mode (batch statistics of the 64
    /// fixed-noise samples), on a copy of G so the training network's running statistics are not disturbed. With
    /// --ema the copy takes the averaged weights: the grids show the EMA generator. noise may hold several batches of
    /// the sampler's 64 (the quality metric's samples): each pass normalises with its own batch, the copy is made once.
    /// </summary>
    static void RenderSamples(GanTrainer trainer, Models.Sequential<float> sampler, ArrayView<float> noise, Span<float> images)
    {
        var stream = sampler.Parameters.Values.GetAccelerator().DefaultStream;
        CopyState(trainer.Generator, sampler, stream);
        if (trainer.EmaWeights is ArrayView<float> ema)
            ema.CopyTo(stream, sampler.Parameters.Values);
        long noisePerPass = Count(sampler.InputShape);
        int imagesPerPass = (int)sampler.Output.Length;
        for (int pass = 0; (long)pass * noisePerPass < noise.Length; pass++)
        {
            sampler.Forward(stream, noise.SubView(pass * noisePerPass, noisePerPass), training: true);
            stream.Synchronize();
            // A span (pinned while the copy runs), never CopyToCPU(ref T, length): Snapshots.AddActivations says why.
            sampler.Output.SubView(0, imagesPerPass).CopyToCPU(images.Slice(pass * imagesPerPass, imagesPerPass));
        }
    }

    /// <summary>Copies weights and batchnorm running statistics between two networks of the same config.</summary>
    internal static void CopyState(Models.Sequential<float> from, Models.Sequential<float> to, AcceleratorStream stream)
    {
        from.Parameters.Values.CopyTo(stream, to.Parameters.Values);
        foreach (var (a, b) in from.Layers.Zip(to.Layers))
            foreach (var (sa, sb) in a.StateBuffers.Zip(b.StateBuffers))
                sa.View.CopyTo(stream, sb.View);
    }

    static void SaveRealSamples(string outDir, float[] batch, IImageDataset dataset)
    {
        int imageLength = dataset.ImageLength();
        int n = Math.Min(GridImages, batch.Length / imageLength);
        ImageGrid.SavePng(Path.Combine(outDir, "real_samples.png"), batch.AsSpan(0, n * imageLength), n,
            dataset.Channels, dataset.ImageSize, dataset.ImageSize);
    }

    static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>"0.0002", or "D 0.0004, G 0.0001" when the two learning rates differ (TTUR).</summary>
    static string LearningRates(GanRecipe r) => r.OptimizerD.LearningRate == r.OptimizerG.LearningRate
        ? string.Create(CultureInfo.InvariantCulture, $"{r.OptimizerD.LearningRate:G4}")
        : string.Create(CultureInfo.InvariantCulture, $"D {r.OptimizerD.LearningRate:G4}, G {r.OptimizerG.LearningRate:G4}");

    static string LearningRateOptions(GanRecipe r) => r.OptimizerD.LearningRate == r.OptimizerG.LearningRate
        ? string.Create(CultureInfo.InvariantCulture, $"--lr {r.OptimizerD.LearningRate:G4}")
        : string.Create(CultureInfo.InvariantCulture, $"--lr-d {r.OptimizerD.LearningRate:G4} --lr-g {r.OptimizerG.LearningRate:G4}");
}

/// <summary>A divergence the run did not recover from (--on-divergence stop, or too many rollbacks): exit 1.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>A collapse or d-won warning with --on-collapse stop: exit 1.</summary>
public sealed class TrainingCollapsedException(string message) : Exception(message);

/// <summary>Test seams of a run (fault injection); empty in production.</summary>
internal sealed class TrainingHooks
{
    /// <summary>Called with (iteration, the real batch) just before the batch goes to the device.</summary>
    public Action<int, float[]>? BeforeStep { get; init; }

    /// <summary>No snapshots.json (the tests that prove snapshots leave the training trajectory as it was).</summary>
    public bool NoSnapshots { get; init; }
}

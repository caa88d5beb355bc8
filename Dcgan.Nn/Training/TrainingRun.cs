// A whole `dcgan train` run: data, networks, the iteration loop, and every file in the output directory.
//
//   real_samples.png                 the first real batch (up to 64 images)
//   fake_samples_epoch_NNN.png       the fixed-noise 8×8 grid at the end of epoch NNN (0-based, as pytorch/examples)
//   fake_samples_iter_NNNNNNN.png    the same grid every --sample-every iterations
//   progress.gif                     every grid so far, in order
//   losses.csv / losses.png          one row per iteration / the curves
//   run.json                         configuration, device, versions, seed, timings
//   netG.safetensors, netD.safetensors            latest weights, PyTorch state-dict names
//   checkpoints/netG_epoch_N.safetensors (and netD) per epoch
//   train_state.safetensors          everything exact resume needs (TrainState)
//
// Epochs and batch indices are 0-based like pytorch/examples; iterations are 1-based across epochs.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Imaging;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using ILGPU;
using ILGPU.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Training;

/// <summary>One logged iteration: the columns of losses.csv.</summary>
public sealed record IterationRow(int Iteration, int Epoch, int BatchInEpoch, IterationStats Stats, double ImagesPerSecond);

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
    int BatchesPerEpoch, int Epochs, int TotalIterations, int StartIteration);

public sealed class TrainingRun
{
    public const string LossesCsvHeader =
        "iteration,epoch,loss_d,loss_g,d_x,d_g_z1,d_g_z2,images_per_second,grad_norm_d,grad_norm_g";
    const int GridImages = 64;

    readonly TrainOptions options;
    readonly ITrainingObserver observer;
    readonly bool resume;

    TrainingRun(TrainOptions options, ITrainingObserver observer, bool resume)
    {
        this.options = options;
        this.observer = observer;
        this.resume = resume;
    }

    /// <summary>Starts a new run in options.Out (or runs/&lt;timestamp&gt;).</summary>
    public static string Start(TrainOptions options, ITrainingObserver observer)
    {
        string outDir = options.Out ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        if (File.Exists(Path.Combine(outDir, TrainState.FileName)))
            throw new ArgumentException($"--out {outDir}: holds a run already (train_state.safetensors); use --resume {outDir} to continue it, or another --out");
        new TrainingRun(options with { Out = outDir }, observer, resume: false).Execute();
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
    public static void Resume(TrainOptions options, ITrainingObserver observer) =>
        new TrainingRun(options, observer, resume: true).Execute();

    void Execute()
    {
        string outDir = options.Out!;
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(Path.Combine(outDir, "checkpoints"));
        var wall = Stopwatch.StartNew();

        using var dataset = DatasetFactory.Open(options.Dataset, options.DataRoot, options.ImageSize, options.Channels,
            new DatasetOptions { Seed = (long)options.Seed, Download = options.Download, FakeCount = options.FakeCount });
        if (dataset.Count < options.BatchSize)
            throw new ArgumentException($"--batch-size {options.BatchSize}: the data set has only {dataset.Count} images");
        var model = new ModelConfig(options.ImageSize, dataset.Channels, options.Nz, options.Ngf, options.Ndf);
        using var device = ComputeDevice.Open(options.Device);
        var adam = new AdamSettings(options.LearningRate, options.Beta1, 0.999, 1e-8);
        using var trainer = new GanTrainer(device, model, options.BatchSize, adam, options.Seed);
        using var sampler = DcganModels.Generator(device, model, GridImages);

        int batchesPerEpoch = dataset.Count / options.BatchSize;
        int totalIterations = options.Iterations ?? checked(options.Epochs * batchesPerEpoch);
        int[] fixedNoiseShape = [GridImages, options.Nz, 1, 1];
        float[] fixedNoise = NormalRngReference.Normal(trainer.StreamSeed('f'), 0, GridImages * options.Nz);

        var position = new TrainPosition(0, 0, 0);
        string statePath = Path.Combine(outDir, TrainState.FileName);
        if (resume)
        {
            var file = SafetensorsFile.Read(statePath);
            (position, _) = TrainState.ReadHeader(file);
            fixedNoise = TrainState.Load(file, trainer.Generator, trainer.Discriminator, fixedNoiseShape);
            trainer.StepsTaken = position.Iteration;
        }

        var csv = new LossesCsv(Path.Combine(outDir, "losses.csv"), position.Iteration);
        var grids = new GridHistory(outDir, position.Iteration);
        observer.Started(new TrainingRunInfo(outDir, device.Describe(), $"{dataset.Name} ({dataset.Count} images)",
            dataset.Count, model, options.BatchSize, batchesPerEpoch, (totalIterations + batchesPerEpoch - 1) / batchesPerEpoch,
            totalIterations, position.Iteration));
        var runInfo = new RunInfo(options, device, dataset.Name, dataset.Count, model);
        runInfo.Write(outDir, totalIterations, position.Iteration, wall.Elapsed);

        if (position.Iteration >= totalIterations)
        {
            observer.Message($"nothing to do: the run is at iteration {position.Iteration} of {totalIterations} (raise --iterations or --epochs)");
            return;
        }

        int startEpoch = position.Iteration / batchesPerEpoch;
        int startBatch = position.Iteration % batchesPerEpoch;
        using var loader = new BatchLoader(dataset, options.BatchSize, (long)options.Seed,
            new BatchLoaderOptions { StartEpoch = startEpoch, StartBatch = startBatch });

        // For labelled greyscale digit sets: how many of the ten classes the fixed-noise samples show.
        var classifier = dataset.Labels is not null && dataset.Channels == 1 && dataset.ImageSize == options.ImageSize
            ? new DigitClassifier(dataset, useOnly: Enumerable.Range(0, Math.Min(dataset.Count, 10_000)).ToList())
            : null;
        var speed = Stopwatch.StartNew();
        for (int iteration = position.Iteration + 1; iteration <= totalIterations; iteration++)
        {
            var batch = loader.Next();
            if (iteration == 1)
                SaveRealSamples(outDir, batch.Data, dataset);
            int epoch = batch.Epoch, batchIndex = batch.Index;
            var stats = trainer.Step(batch.Data);
            loader.Return(batch);
            double imagesPerSecond = options.BatchSize / Math.Max(speed.Elapsed.TotalSeconds, 1e-9);
            speed.Restart();
            var row = new IterationRow(iteration, epoch, batchIndex, stats, imagesPerSecond);
            csv.Append(row);
            observer.Iteration(row);
            if (stats.NonFinite)
                throw new TrainingDivergedException(
                    $"iteration {iteration}: a loss or gradient is not finite (Loss_D {stats.LossD}, Loss_G {stats.LossG}); " +
                    "the last checkpoint is intact — lower --lr or resume from it");

            bool epochEnd = batchIndex == batchesPerEpoch - 1;
            bool last = iteration == totalIterations;
            if (epochEnd || last || (options.SampleEvery is int se && iteration % se == 0))
            {
                float[] samples = RenderSamples(trainer, sampler, fixedNoise);
                var shape = sampler.OutputShape;
                grids.Add(ImageGrid.Compose(samples, shape[0], shape[1], shape[2], shape[3]), iteration, epochEnd ? epoch : null);
                if (classifier is not null && (epochEnd || last))
                {
                    var report = classifier.Report(samples);
                    runInfo.ClassReport = report;
                    observer.Message($"[{epoch}] fixed-noise samples: {report}");
                }
            }
            bool checkpoint = last || (options.CheckpointEvery is int ce ? iteration % ce == 0 : epochEnd);
            if (checkpoint)
            {
                var now = new TrainPosition(iteration, epochEnd ? epoch + 1 : epoch, epochEnd ? 0 : batchIndex + 1);
                SaveCheckpoint(outDir, trainer, fixedNoise, fixedNoiseShape, now, epochEnd ? epoch : null);
                csv.Flush();
                LossPlot.SavePng(Path.Combine(outDir, "losses.png"), csv.Points);
                grids.SaveGif();
                runInfo.Write(outDir, totalIterations, iteration, wall.Elapsed);
                observer.Saved($"checkpoint at iteration {iteration}");
            }
        }
        csv.Dispose();
        runInfo.Write(outDir, totalIterations, totalIterations, wall.Elapsed);
    }

    void SaveCheckpoint(string outDir, GanTrainer trainer, float[] fixedNoise, int[] fixedNoiseShape,
        TrainPosition position, int? epochDone)
    {
        // The train state first: it alone is what --resume reads.
        TrainState.Save(Path.Combine(outDir, TrainState.FileName), trainer.Generator, trainer.Discriminator,
            fixedNoise, fixedNoiseShape, position, options.ToJson());
        var metadata = new Dictionary<string, string>
        {
            ["iteration"] = position.Iteration.ToString(CultureInfo.InvariantCulture),
            ["config"] = options.ToJson(),
        };
        StateDict.Save(Path.Combine(outDir, "netG.safetensors"), trainer.Generator, metadata);
        StateDict.Save(Path.Combine(outDir, "netD.safetensors"), trainer.Discriminator, metadata);
        if (epochDone is int e)
        {
            StateDict.Save(Path.Combine(outDir, "checkpoints", $"netG_epoch_{e}.safetensors"), trainer.Generator, metadata);
            StateDict.Save(Path.Combine(outDir, "checkpoints", $"netD_epoch_{e}.safetensors"), trainer.Discriminator, metadata);
        }
    }

    /// <summary>
    /// G(fixed noise) as pytorch/examples renders it: batchnorm in training mode (batch statistics of the 64
    /// fixed-noise samples), on a copy of G so the training network's running statistics are not disturbed.
    /// </summary>
    static float[] RenderSamples(GanTrainer trainer, Models.Sequential sampler, float[] fixedNoise)
    {
        var accelerator = sampler.Parameters.Values.GetAccelerator();
        var stream = accelerator.DefaultStream;
        CopyState(trainer.Generator, sampler, stream);
        using var noise = accelerator.Allocate1D(fixedNoise);
        sampler.Forward(stream, noise.View, training: true);
        stream.Synchronize();
        var images = new float[Count(sampler.OutputShape)];
        sampler.Output.CopyToCPU(images);
        return images;
    }

    /// <summary>Copies weights and batchnorm running statistics between two networks of the same config.</summary>
    internal static void CopyState(Models.Sequential from, Models.Sequential to, AcceleratorStream stream)
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
}

/// <summary>A non-finite loss or gradient: the run stops, its last checkpoint intact.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

// Trains the quality metric's classifier (Models/ClassifierModels.cs) on the training part of a labelled data set
// (DataSplit) with softmax cross-entropy and Adam (learning rate on a cosine decay to zero), reproducibly: the split, the epoch order and the augmentation
// come from the seed, and every kernel is deterministic, so the same seed on the same device gives the same bytes.
// Augmentation: each training image is shifted by a whole number of pixels in [−Shift, Shift] in x and y (the
// uncovered border takes the background, −1), drawn per image and epoch; it is what lifts held-out accuracy on the
// bundled digits' 8,000 training images (docs/metrics.md has the measurements). After every epoch the held-out
// images are classified in eval mode (batchnorm running statistics), as `dcgan eval` will use the classifier.
using System.Diagnostics;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Evaluation;

public sealed record ClassifierTrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Seed of the split, the epoch order, the augmentation and the initial weights.</summary>
    public long Seed { get; init; } = 1;
    /// <summary>Largest shift of the augmentation in pixels (0: none).</summary>
    public int Shift { get; init; } = 2;

    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        ["epochs"] = Invariant(Epochs), ["batch_size"] = Invariant(BatchSize), ["seed"] = Invariant(Seed),
        ["lr"] = LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture), ["shift"] = Invariant(Shift),
    };

    static string Invariant(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One epoch's result: mean training loss, training accuracy (augmented batches, training-mode batchnorm), held-out accuracy.</summary>
public sealed record ClassifierEpoch(int Epoch, double Loss, double TrainAccuracy, double HeldOutAccuracy, double Seconds);

public static class ClassifierTraining
{
    /// <summary>
    /// Trains a classifier of <paramref name="config"/> on <paramref name="dataset"/>; returns the network (the caller
    /// disposes it) and the held-out accuracy after the last epoch. epochDone is told of every epoch.
    /// </summary>
    public static (Sequential<float> Net, double HeldOutAccuracy) Train(ComputeDevice device, IImageDataset dataset,
        ClassifierConfig config, ClassifierTrainingOptions options, Action<ClassifierEpoch>? epochDone = null)
    {
        if (dataset.Labels is null)
            throw new DatasetException($"{dataset.Name}: no labels; a classifier needs a labelled data set (bundled, mnist, fashion-mnist, cifar10)");
        if (dataset.ImageSize != config.ImageSize || dataset.Channels != config.Channels)
            throw new ArgumentException($"{dataset.Name} is {dataset.ImageSize}x{dataset.ImageSize}x{dataset.Channels}; the classifier is for {config.ImageSize}x{config.ImageSize}x{config.Channels}");
        if (dataset.Labels.Any(l => l >= config.Classes))
            throw new DatasetException($"{dataset.Name}: a label is ≥ {config.Classes}, the classifier's number of classes");
        var split = DataSplit.For(dataset.Count, options.Seed);
        int batch = options.BatchSize;
        if (split.Train.Length < batch)
            throw new ArgumentException($"{dataset.Name}: {split.Train.Length} training images are fewer than one batch of {batch}");
        int length = dataset.ImageLength();
        float[] trainImages = DataSplit.ReadImages(dataset, split.Train);
        int[] trainLabels = DataSplit.ReadLabels(dataset, split.Train);
        float[] heldOutImages = DataSplit.ReadImages(dataset, split.HeldOut);
        int[] heldOutLabels = DataSplit.ReadLabels(dataset, split.HeldOut);

        var net = ClassifierModels.Classifier<float>(device, config, batch);
        try
        {
            DcganModels.InitializeWeights(net, (ulong)options.Seed);
            var accelerator = device.Accelerator;
            var stream = accelerator.DefaultStream;
            var loss = SoftmaxCrossEntropyOps<float>.On(device);
            using var optimizer = new AdamOptimizer(device, new AdamSettings(options.LearningRate, 0.9, 0.999, 1e-8), net.Parameters.Length);
            using var x = accelerator.Allocate1D<float>(batch * length);
            using var labels = accelerator.Allocate1D<int>(batch);
            using var lossValue = accelerator.Allocate1D<float>(1);
            using var dLoss = accelerator.Allocate1D(new[] { 1f });
            using var dLogits = accelerator.Allocate1D<float>(batch * config.Classes);
            using var features = new ClassifierFeatures(device, net);
            var hostBatch = new float[batch * length];
            var hostLabels = new int[batch];
            var logits = new float[batch * config.Classes];
            var hostLoss = new float[1];
            int batches = split.Train.Length / batch;
            double accuracy = double.NaN;
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                int[] order = BatchLoader.EpochOrder(split.Train.Length, options.Seed, epoch + 1);
                var rng = DataRng.For(options.Seed ^ 0x5368696674L, epoch); // "Shift"
                double lossSum = 0;
                int correct = 0;
                for (int b = 0; b < batches; b++)
                {
                    // Cosine decay to zero over the run: the last epochs settle the weights and with them batchnorm's
                    // running statistics (at a constant rate held-out accuracy swung by up to 9 points between epochs).
                    double progress = (epoch * batches + b) / (double)(options.Epochs * batches);
                    optimizer.LearningRateScale = 0.5 * (1 + Math.Cos(Math.PI * progress));
                    for (int i = 0; i < batch; i++)
                    {
                        int k = order[b * batch + i];
                        int dx = options.Shift == 0 ? 0 : rng.NextInt(2 * options.Shift + 1) - options.Shift;
                        int dy = options.Shift == 0 ? 0 : rng.NextInt(2 * options.Shift + 1) - options.Shift;
                        Shift(trainImages.AsSpan(k * length, length), hostBatch.AsSpan(i * length, length), config.Channels,
                            config.ImageSize, dx, dy);
                        hostLabels[i] = trainLabels[k];
                    }
                    x.View.CopyFromCPU(hostBatch);
                    labels.View.CopyFromCPU(hostLabels);
                    net.Forward(stream, x.View, training: true);
                    loss.Forward(stream, net.Output, labels.View, config.Classes, lossValue.View);
                    loss.Backward(stream, net.Output, labels.View, config.Classes, dLoss.View, dLogits.View);
                    net.Backward(stream, x.View, dLogits.View, needInputGradient: false);
                    optimizer.Step(stream, net.Parameters);
                    stream.Synchronize();
                    net.Output.CopyToCPU(logits); // the logits of this batch's forward: the step changed the weights, not the output
                    lossValue.View.CopyToCPU(hostLoss);
                    lossSum += hostLoss[0];
                    for (int i = 0; i < batch; i++)
                        if (ClassifierFeatures.ArgMax(logits.AsSpan(i * config.Classes, config.Classes)) == hostLabels[i])
                            correct++;
                }
                var (_, probabilities) = features.Compute(heldOutImages);
                accuracy = ClassifierFeatures.Accuracy(probabilities, config.Classes, heldOutLabels);
                epochDone?.Invoke(new ClassifierEpoch(epoch, lossSum / batches, correct / (double)(batches * batch), accuracy,
                    clock.Elapsed.TotalSeconds));
            }
            return (net, accuracy);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>Copies a CHW image shifted by (dx, dy) pixels; pixels shifted in from outside are −1 (the background).</summary>
    internal static void Shift(ReadOnlySpan<float> source, Span<float> destination, int channels, int size, int dx, int dy)
    {
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < size; y++)
            {
                int sy = y - dy;
                var row = destination.Slice((c * size + y) * size, size);
                if (sy < 0 || sy >= size)
                {
                    row.Fill(-1f);
                    continue;
                }
                var from = source.Slice((c * size + sy) * size, size);
                for (int xx = 0; xx < size; xx++)
                {
                    int sx = xx - dx;
                    row[xx] = sx < 0 || sx >= size ? -1f : from[sx];
                }
            }
    }
}

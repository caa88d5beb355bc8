// Runs a classifier in eval mode (batchnorm with running statistics, so each image's result depends on that image
// alone) over any number of images, a batch at a time, and returns for each image its feature vector (the
// classifier's penultimate layer) and its class probabilities (softmax of the logits, on the device). The last
// batch is padded with zeros; the padding's results are dropped. Buffers are allocated once per instance.
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Evaluation;

public sealed class ClassifierFeatures : IDisposable
{
    readonly Sequential<float> net;
    readonly SoftmaxCrossEntropyOps<float> softmax;
    readonly MemoryBuffer1D<float, Stride1D.Dense> input, probabilities;
    readonly float[] batchImages, batchFeatures, batchProbabilities;

    public int Batch { get; }
    public int ImageLength { get; }
    public int FeatureCount { get; }
    public int Classes { get; }

    public ClassifierFeatures(Devices.ComputeDevice device, Sequential<float> classifier)
    {
        net = classifier;
        Batch = classifier.InputShape[0];
        ImageLength = classifier.InputShape[1] * classifier.InputShape[2] * classifier.InputShape[3];
        FeatureCount = ClassifierModels.FeatureLayer(classifier).OutputShape[1];
        Classes = classifier.OutputShape[1];
        softmax = SoftmaxCrossEntropyOps<float>.On(device);
        var accelerator = device.Accelerator;
        input = accelerator.Allocate1D<float>(Batch * ImageLength);
        probabilities = accelerator.Allocate1D<float>(Batch * Classes);
        batchImages = new float[Batch * ImageLength];
        batchFeatures = new float[Batch * FeatureCount];
        batchProbabilities = new float[Batch * Classes];
    }

    /// <summary>Features [count × FeatureCount] and probabilities [count × Classes] of count images (count × ImageLength floats).</summary>
    public (float[] Features, float[] Probabilities) Compute(ReadOnlySpan<float> images)
    {
        if (images.Length % ImageLength != 0)
            throw new ArgumentException($"{images.Length} floats are not whole images of {ImageLength}");
        int count = images.Length / ImageLength;
        var features = new float[count * FeatureCount];
        var probs = new float[count * Classes];
        var stream = input.View.GetAccelerator().DefaultStream;
        var featureView = ClassifierModels.FeatureLayer(net).Output;
        for (int start = 0; start < count; start += Batch)
        {
            int n = Math.Min(Batch, count - start);
            images.Slice(start * ImageLength, n * ImageLength).CopyTo(batchImages);
            Array.Clear(batchImages, n * ImageLength, (Batch - n) * ImageLength);
            input.View.CopyFromCPU(batchImages);
            net.Forward(stream, input.View, training: false);
            softmax.Softmax(stream, net.Output, Classes, probabilities.View);
            stream.Synchronize();
            featureView.CopyToCPU(batchFeatures);
            probabilities.View.CopyToCPU(batchProbabilities);
            batchFeatures.AsSpan(0, n * FeatureCount).CopyTo(features.AsSpan(start * FeatureCount));
            batchProbabilities.AsSpan(0, n * Classes).CopyTo(probs.AsSpan(start * Classes));
        }
        return (features, probs);
    }

    /// <summary>The share of images whose most probable class is their label.</summary>
    public static double Accuracy(float[] probabilities, int classes, IReadOnlyList<int> labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
            if (ArgMax(probabilities.AsSpan(i * classes, classes)) == labels[i])
                correct++;
        return labels.Count == 0 ? double.NaN : correct / (double)labels.Count;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int c = 1; c < values.Length; c++)
            if (values[c] > values[best])
                best = c;
        return best;
    }

    public void Dispose()
    {
        input.Dispose();
        probabilities.Dispose();
    }
}

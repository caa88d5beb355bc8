// A k-nearest-neighbour digit classifier over a labelled data set (the bundled MNIST digits at the training
// size): the honest, dependency-free answer to "are these generated digits recognisable?". A sample's label is
// the majority of its k nearest real digits (Euclidean distance in pixel space); its confidence is the share
// of the k that agree. Measured on the bundled set (Dcgan.Tests/Evaluation): ≥ 90% accuracy on held-out digits.
using Dcgan.Nn.Data;

namespace Dcgan.Nn.Evaluation;

public readonly record struct DigitPrediction(int Label, double Confidence);

/// <summary>How many of the ten classes appear among confident predictions.</summary>
public sealed record DigitReport(int ClassesRecognised, int ConfidentSamples, int Samples, int[] ConfidentPerClass)
{
    public const double ConfidenceThreshold = 0.8;

    public override string ToString() =>
        $"{ClassesRecognised}/10 classes recognised ({ConfidentSamples} of {Samples} samples confident: " +
        $"≥ {ConfidenceThreshold:P0} of nearest real digits agree; per class {string.Join(" ", ConfidentPerClass)})";
}

public sealed class DigitClassifier
{
    readonly float[] references;   // count × length
    readonly float[] norms;        // ‖reference‖²
    readonly byte[] labels;
    readonly int length;
    readonly int k;

    public int ImageLength => length;

    public DigitClassifier(IImageDataset dataset, int k = 10, IReadOnlyList<int>? useOnly = null)
    {
        if (dataset.Labels is null || dataset.Channels != 1)
            throw new ArgumentException($"{dataset.Name}: a digit classifier needs labelled greyscale digits");
        length = dataset.ImageLength();
        this.k = k;
        var indices = useOnly ?? Enumerable.Range(0, dataset.Count).ToList();
        references = new float[indices.Count * length];
        norms = new float[indices.Count];
        labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            var image = references.AsSpan(i * length, length);
            dataset.ReadImage(indices[i], image);
            labels[i] = dataset.Labels[indices[i]];
            norms[i] = Dot(image, image);
        }
    }

    /// <summary>Classifies each of the images (count × ImageLength floats in [-1, 1]).</summary>
    public DigitPrediction[] Classify(ReadOnlySpan<float> images)
    {
        int count = images.Length / length;
        var predictions = new DigitPrediction[count];
        var best = new (float Distance, byte Label)[k];
        Span<int> votes = stackalloc int[10];
        for (int s = 0; s < count; s++)
        {
            var x = images.Slice(s * length, length);
            float xx = Dot(x, x);
            Array.Fill(best, (float.MaxValue, (byte)0));
            for (int r = 0; r < labels.Length; r++)
            {
                float d = xx + norms[r] - 2 * Dot(x, references.AsSpan(r * length, length));
                if (d >= best[k - 1].Distance)
                    continue;
                int j = k - 1;
                while (j > 0 && best[j - 1].Distance > d) { best[j] = best[j - 1]; j--; }
                best[j] = (d, labels[r]);
            }
            votes.Clear();
            foreach (var (_, label) in best)
                votes[label]++;
            int winner = 0;
            for (int c = 1; c < 10; c++)
                if (votes[c] > votes[winner]) winner = c;
            predictions[s] = new DigitPrediction(winner, votes[winner] / (double)k);
        }
        return predictions;
    }

    public DigitReport Report(ReadOnlySpan<float> images)
    {
        var predictions = Classify(images);
        var perClass = new int[10];
        foreach (var p in predictions.Where(p => p.Confidence >= DigitReport.ConfidenceThreshold))
            perClass[p.Label]++;
        return new DigitReport(perClass.Count(c => c > 0), perClass.Sum(), predictions.Length, perClass);
    }

    static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var va = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(a);
        var vb = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(b);
        var acc = System.Numerics.Vector<float>.Zero;
        for (int i = 0; i < va.Length; i++)
            acc += va[i] * vb[i];
        float sum = System.Numerics.Vector.Sum(acc);
        for (int i = va.Length * System.Numerics.Vector<float>.Count; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}

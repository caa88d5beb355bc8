// The quality metric of `dcgan eval` and of a training run's per-epoch evaluation: generated images go through
// the classifier (ClassifierFeatures), and their class probabilities and features are compared with real images
// of the classifier's data set (QualityStatistics; every formula in docs/metrics.md):
//   classifier score    exp E[KL(p(y|x) ‖ p(y))] over the generated images (the Inception Score on our classifier)
//   Fréchet distance    between Gaussians fitted to the generated and the reference features
//   KID                 unbiased MMD² with the cubic polynomial kernel, generated against reference features
//   precision, recall   k-NN manifolds (k = 3) of the reference and the generated features
//   class histogram     the most probable class of each generated image
// The reference features are DataSplit's reference images (up to 5,000 the classifier trained on). The real-data
// row scores the held-out images (never trained on) exactly as generated ones: the ceiling a generator can reach.
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;

namespace Dcgan.Nn.Evaluation;

/// <summary>The metric's numbers for one set of images.</summary>
public sealed record QualityReport(int Count, double ClassifierScore, double ClassifierScoreStd, double FrechetDistance,
    double Kid, double KidStd, double Precision, double Recall, int[] ClassHistogram)
{
    /// <summary>Classes that are the most probable class of at least 1% of the images (a collapsed G shows few).</summary>
    public int ClassesPresent => ClassHistogram.Count(c => c >= Math.Max(1, Count / 100));

    /// <summary>The numbers under snake_case names, as `dcgan eval --json` and run.json write them.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["images"] = Count, ["classifier_score"] = ClassifierScore, ["classifier_score_std"] = ClassifierScoreStd,
        ["frechet_distance"] = FrechetDistance, ["kid"] = Kid, ["kid_std"] = KidStd, ["precision"] = Precision,
        ["recall"] = Recall, ["classes_present"] = ClassesPresent,
        ["class_histogram"] = new System.Text.Json.Nodes.JsonArray(ClassHistogram.Select(c => (System.Text.Json.Nodes.JsonNode)c).ToArray()),
    };

    /// <summary>One line for logs: "classifier score 8.12, FD 3.41, KID×1000 2.10, precision 0.81, recall 0.74, 10 classes".</summary>
    public string Summary() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"classifier score {ClassifierScore:F2}, FD {FrechetDistance:F2}, KID×1000 {Kid * 1000:F2}, precision {Precision:F2}, " +
        $"recall {Recall:F2}, {ClassesPresent}/{ClassHistogram.Length} classes");
}

public sealed class QualityMetric : IDisposable
{
    /// <summary>KID's random subsets: as many as the standard code's 100 is slow on 2 cores for little gain; 50 of ≤ 1,000.</summary>
    public const int KidSubsets = 50, KidSubsetSize = 1_000;
    /// <summary>Precision and recall's neighbourhood: Kynkäänniemi et al.'s k = 3.</summary>
    public const int Neighbours = 3;

    readonly Sequential<float> net;
    readonly ClassifierFeatures features;
    readonly float[] referenceFeatures;
    readonly Gaussian reference;
    readonly RealManifold manifold;
    readonly float[] heldOutImages;

    public string ClassifierPath { get; }
    public ClassifierConfig Config { get; }
    public ClassifierProvenance Provenance { get; }
    public int ReferenceCount { get; }
    public int HeldOutCount { get; }

    QualityMetric(string path, ClassifierConfig config, ClassifierProvenance provenance, Sequential<float> net,
        ClassifierFeatures features, float[] referenceFeatures, float[] heldOutImages)
    {
        ClassifierPath = path;
        Config = config;
        Provenance = provenance;
        this.net = net;
        this.features = features;
        this.referenceFeatures = referenceFeatures;
        this.heldOutImages = heldOutImages;
        ReferenceCount = referenceFeatures.Length / features.FeatureCount;
        HeldOutCount = heldOutImages.Length / features.ImageLength;
        reference = Gaussian.Fit(referenceFeatures, features.FeatureCount);
        manifold = new RealManifold(referenceFeatures, features.FeatureCount, Neighbours);
    }

    /// <summary>
    /// Loads a classifier file, opens its data set (dataRoot where it needs one), rebuilds its split and computes the
    /// reference features. batch: images per classifier pass.
    /// </summary>
    public static QualityMetric Open(ComputeDevice device, string classifierPath, string? dataRoot, int batch = 100)
    {
        var (config, provenance, file) = ClassifierFile.Read(classifierPath);
        using var dataset = ClassifierFile.OpenDataset(classifierPath, config, provenance, dataRoot);
        var split = DataSplit.For(dataset.Count, provenance.SplitSeed);
        var net = ClassifierFile.Load(device, file, config, batch);
        try
        {
            var features = new ClassifierFeatures(device, net);
            float[] referenceFeatures = features.Compute(DataSplit.ReadImages(dataset, split.Reference)).Features;
            float[] heldOut = DataSplit.ReadImages(dataset, split.HeldOut[..Math.Min(split.HeldOut.Length, DataSplit.MaxReference)]);
            return new QualityMetric(classifierPath, config, provenance, net, features, referenceFeatures, heldOut);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>Checks that images of this size and channel count are what the classifier judges; a clear message otherwise.</summary>
    public void RequireShape(int channels, int size, string what)
    {
        if (channels != Config.Channels || size != Config.ImageSize)
            throw new ArgumentException($"{what} are {size}x{size}x{channels}, but the classifier {ClassifierPath} judges " +
                $"{Config.ImageSize}x{Config.ImageSize}x{Config.Channels} images (train one at this size: dcgan classifier train --image-size {size})");
    }

    /// <summary>The metric of count images (count × C × S × S floats in [−1, 1]); seed fixes KID's subsets.</summary>
    public QualityReport Score(ReadOnlySpan<float> images, int seed = 1)
    {
        var (f, p) = features.Compute(images);
        int count = f.Length / features.FeatureCount;
        if (count < Neighbours + 1)
            throw new ArgumentException($"the metric needs at least {Neighbours + 1} images, not {count}");
        int dim = features.FeatureCount;
        var score = QualityStatistics.ClassifierScore(p, features.Classes);
        double fd = QualityStatistics.FrechetDistance(Gaussian.Fit(f, dim), reference);
        var kid = QualityStatistics.KernelInceptionDistance(f, referenceFeatures, dim, KidSubsets, KidSubsetSize, seed);
        var pr = QualityStatistics.PrecisionRecall(manifold, f);
        return new QualityReport(count, score.Score, score.SplitStd, fd, kid.Mean, kid.Std, pr.Precision, pr.Recall,
            QualityStatistics.ClassHistogram(p, features.Classes));
    }

    /// <summary>
    /// The classifier's verdict on each of count images (count × C × S × S floats in [−1, 1]): its most probable class
    /// and that probability (the report overlays them on the fixed-noise grid).
    /// </summary>
    public (int Label, float Confidence)[] Classify(ReadOnlySpan<float> images)
    {
        var (_, p) = features.Compute(images);
        int classes = features.Classes;
        var verdicts = new (int, float)[p.Length / classes];
        for (int i = 0; i < verdicts.Length; i++)
        {
            var row = p.AsSpan(i * classes, classes);
            int label = ClassifierFeatures.ArgMax(row);
            verdicts[i] = (label, row[label]);
        }
        return verdicts;
    }

    /// <summary>The same numbers for the first count held-out real images (never trained on): the ceiling.</summary>
    public QualityReport RealReference(int count, int seed = 1) =>
        Score(heldOutImages.AsSpan(0, Math.Min(count, HeldOutCount) * features.ImageLength), seed);

    public void Dispose()
    {
        features.Dispose();
        net.Dispose();
    }
}

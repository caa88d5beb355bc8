using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Models;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Evaluation;

/// <summary>The split of a labelled data set between the classifier and the metric (host only).</summary>
public sealed class DataSplitTests
{
    [Test]
    public void TheSplitIsDisjointCompleteAndFixedByTheSeed()
    {
        var split = DataSplit.For(10_000, seed: 1);
        Assert.That((split.Train.Length, split.HeldOut.Length, split.Reference.Length), Is.EqualTo((8_000, 2_000, 5_000)));
        Assert.That(split.Train.Concat(split.HeldOut).Order(), Is.EqualTo(Enumerable.Range(0, 10_000)));
        Assert.That(split.Reference, Is.EqualTo(split.Train[..5_000]), "the reference images are training images");
        Assert.That(DataSplit.For(10_000, seed: 1).HeldOut, Is.EqualTo(split.HeldOut));
        Assert.That(DataSplit.For(10_000, seed: 2).HeldOut, Is.Not.EqualTo(split.HeldOut));
        Assert.That(DataSplit.For(60_000, seed: 1).HeldOut, Has.Length.EqualTo(10_000), "at most 10,000 held out");
    }

    [Test]
    public void AShiftMovesTheImageAndFillsWithBackground()
    {
        // A 4×4 image 0..15, shifted right by 1 and up by 2: row y takes source row y + 2, column x source x − 1.
        float[] source = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        var shifted = new float[16];
        ClassifierTraining.Shift(source, shifted, channels: 1, size: 4, dx: 1, dy: -2);
        Assert.That(shifted, Is.EqualTo(new float[] { -1, 8, 9, 10, -1, 12, 13, 14, -1, -1, -1, -1, -1, -1, -1, -1 }));
        ClassifierTraining.Shift(source, shifted, 1, 4, 0, 0);
        Assert.That(shifted, Is.EqualTo(source));
    }
}

/// <summary>
/// The classifier trained by our kernels and the shipped one. PoCL only: the ILGPU CPU accelerator runs a classifier
/// epoch on 8,000 digits in minutes, not seconds.
/// </summary>
public abstract class ClassifierTests : BackendTest
{
    [Test]
    public void TheShippedClassifierHasTheAccuracyItsFileStates()
    {
        string path = ClassifierFile.FindShipped("bundled", 32) ?? throw new AssertionException("no shipped classifier beside the tests");
        var (config, provenance, file) = ClassifierFile.Read(path);
        Assert.That(config, Is.EqualTo(new ClassifierConfig(32, 1, 10, 16, 128)));
        using var dataset = ClassifierFile.OpenDataset(path, config, provenance, null);
        var split = DataSplit.For(dataset.Count, provenance.SplitSeed);
        using var net = ClassifierFile.Load(Device, file, config, batch: 100);
        using var features = new ClassifierFeatures(Device, net);
        var (f, p) = features.Compute(DataSplit.ReadImages(dataset, split.HeldOut));
        double accuracy = ClassifierFeatures.Accuracy(p, 10, DataSplit.ReadLabels(dataset, split.HeldOut));
        // The floor, and the file's own claim (the same kernels give the same count of correct images).
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.98));
        Assert.That(accuracy, Is.EqualTo(provenance.HeldOutAccuracy).Within(1.0 / split.HeldOut.Length));
        Assert.That(f, Has.Length.EqualTo(split.HeldOut.Length * 128));
        Assert.That(f, Has.All.Matches<float>(float.IsFinite), "features");
        Assert.That(p, Has.All.Matches<float>(float.IsFinite), "probabilities");
    }

    [Test]
    public void TrainingLearnsAndIsReproducible()
    {
        using var dataset = DatasetFactory.Open("bundled", null, 16);
        var config = new ClassifierConfig(16, 1, Width: 8, Features: 32);
        var options = new ClassifierTrainingOptions { Epochs = 2, Seed = 3, Shift = 0 };
        var (a, accuracyA) = ClassifierTraining.Train(Device, dataset, config, options);
        var (b, accuracyB) = ClassifierTraining.Train(Device, dataset, config, options);
        float[] weightsA = Host(a.Parameters.Values);
        using (a)
        using (b)
        {
            // Two epochs of an 8-wide net on 8,000 digits at 16×16 without shifts (94% measured); chance is 10%.
            Assert.That(accuracyA, Is.GreaterThan(0.9));
            Assert.That(accuracyB, Is.EqualTo(accuracyA));
            Assert.That(Host(a.Parameters.Values), Is.EqualTo(Host(b.Parameters.Values)), "same seed, same weights, bit for bit");
        }
        var (c, _) = ClassifierTraining.Train(Device, dataset, config, options with { Seed = 4 });
        using (c)
            Assert.That(Host(c.Parameters.Values), Is.Not.EqualTo(weightsA), "another seed, other weights");
    }

    [Test]
    public void AFileThatIsNotAClassifierIsRefusedInOneLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dcgan-classifier-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string generator = Path.Combine(dir, "netG.safetensors");
            using (var g = DcganModels.Generator<float>(Device, new ModelConfig(16, 1, 5, 4, 4), 2))
                StateDict.Save(generator, g);
            var e = Assert.Throws<CheckpointException>(() => ClassifierFile.Read(generator));
            Assert.That(e!.Message, Does.Contain("not a classifier of dcgan").And.Not.Contain("\n"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static float[] Host(ILGPU.ArrayView<float> view)
    {
        var data = new float[view.Length];
        view.CopyToCPU(data);
        return data;
    }
}

public sealed class ClassifierTestsOpenCl : ClassifierTests { protected override string DeviceSpec => "opencl"; }

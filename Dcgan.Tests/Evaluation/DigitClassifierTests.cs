using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Imaging;

namespace Dcgan.Tests.Evaluation;

public sealed class DigitClassifierTests
{
    // A seeded 9,000/1,000 split: the bundled file is ordered round-robin over the classes and runs out of 5s
    // near its end, so a tail split would hold out no 5 at all.
    static (List<int> Train, List<int> HeldOut) Split(IImageDataset digits)
    {
        var rng = new Random(1);
        var order = Enumerable.Range(0, digits.Count).OrderBy(_ => rng.Next()).ToList();
        return (order.Take(9000).ToList(), order.Skip(9000).ToList());
    }

    static (double Accuracy, double[] ConfidentRecall, int ConfidentMistakes) Evaluate(bool deskew)
    {
        using var digits = DatasetFactory.Open("bundled", null, 32);
        var (train, heldOut) = Split(digits);
        var classifier = new DigitClassifier(digits, useOnly: train, deskew: deskew);
        int length = digits.ImageLength();
        var images = new float[heldOut.Count * length];
        for (int i = 0; i < heldOut.Count; i++)
            digits.ReadImage(heldOut[i], images.AsSpan(i * length, length));
        var predictions = classifier.Classify(images);
        int correct = 0, mistakes = 0;
        var total = new int[10];
        var confident = new int[10];
        for (int i = 0; i < heldOut.Count; i++)
        {
            int label = digits.Labels![heldOut[i]];
            total[label]++;
            bool isConfident = predictions[i].Confident;
            if (predictions[i].Label == label)
            {
                correct++;
                if (isConfident) confident[label]++;
            }
            else if (isConfident)
                mistakes++;
        }
        return (correct / (double)heldOut.Count, confident.Select((c, label) => c / (double)total[label]).ToArray(), mistakes);
    }

    [Test]
    public void RecognisesHeldOutBundledDigitsOfEveryClass()
    {
        var (accuracy, recall, mistakes) = Evaluate(deskew: true);
        TestContext.Out.WriteLine($"accuracy {accuracy:P1}, confident recall per class {string.Join(" ", recall.Select(r => r.ToString("F2")))}, confident mistakes {mistakes}");
        Assert.That(accuracy, Is.GreaterThan(0.95));
        // Every class of real digit is called confidently and correctly most of the time, and confident calls
        // are rarely wrong (measured: 0.80 for the 2s at worst; 11 confident mistakes in 1,000).
        Assert.That(recall, Has.All.GreaterThan(0.75));
        Assert.That(mistakes, Is.LessThan(25));
    }

    [Test]
    public void DeskewingMakesRealDigitsEasierToRecognise()
    {
        var raw = Evaluate(deskew: false);
        var deskewed = Evaluate(deskew: true);
        TestContext.Out.WriteLine($"raw: {raw.Accuracy:P1}, 8s confident {raw.ConfidentRecall[8]:F2}; deskewed: {deskewed.Accuracy:P1}, 8s confident {deskewed.ConfidentRecall[8]:F2}");
        Assert.That(deskewed.Accuracy, Is.GreaterThan(raw.Accuracy));
        Assert.That(deskewed.ConfidentRecall.Average(), Is.GreaterThan(raw.ConfidentRecall.Average() + 0.02));
    }

    [Test]
    public void DeskewRemovesSlantAndCentresTheInk()
    {
        // A one-pixel-wide bar slanted by one column per two rows, off centre: after deskewing it is upright,
        // so every row's ink sits in the same columns, centred on the image.
        const int side = 16;
        var image = Enumerable.Repeat(-1f, side * side).ToArray();
        for (int y = 2; y < 14; y++)
            image[y * side + 3 + y / 2] = 1f;
        var output = new float[side * side];
        DigitClassifier.Deskew(image, side, output);
        for (int y = 4; y < 12; y++)
        {
            var row = output.AsSpan(y * side, side).ToArray();
            double ink = row.Sum(v => (v + 1) / 2), centre = row.Select((v, x) => (v + 1) / 2 * x).Sum() / ink;
            Assert.That(centre, Is.EqualTo((side - 1) / 2.0).Within(0.6), $"row {y}");
        }
    }

    [Test]
    public void NoiseIsNotConfidentlyADigitOfEveryClass()
    {
        using var digits = DatasetFactory.Open("bundled", null, 32);
        var classifier = new DigitClassifier(digits, useOnly: Enumerable.Range(0, 2000).ToList());
        var rng = new Random(1);
        var noise = Enumerable.Range(0, 64 * 1024).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        Assert.That(classifier.Report(noise).ClassesRecognised, Is.LessThan(4));
    }

    [Test]
    public void BlotchyGridAfterOneEpochIsNotConfidentlyEveryDigit()
    {
        // The fixed-noise grid of a default run (seed 2) after its first epoch: blotchy strokes that k-NN's
        // neighbours nevertheless agree about. The distance test is what rejects most of them.
        using var digits = DatasetFactory.Open("bundled", null, 32);
        var classifier = new DigitClassifier(digits);
        float[] samples = ImageGrid.ReadGreyscale(Path.Combine(AppContext.BaseDirectory, "Evaluation", "Fixtures", "grid-after-one-epoch.png"), 32, out int count);
        Assert.That(count, Is.EqualTo(64));
        var predictions = classifier.Classify(samples);
        int agreeing = predictions.Count(p => p.Agreement >= DigitReport.AgreementThreshold);
        var report = DigitClassifier.Report(predictions);
        TestContext.Out.WriteLine($"agreement alone: {agreeing} of 64; {report}");
        Assert.That(agreeing, Is.GreaterThan(25), "the fixture should fool the agreement test on its own");
        Assert.That(report.ClassesRecognised, Is.LessThanOrEqualTo(6));
        Assert.That(report.ConfidentSamples, Is.LessThan(agreeing / 2));
    }
}

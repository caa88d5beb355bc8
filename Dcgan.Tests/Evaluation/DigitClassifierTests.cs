using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;

namespace Dcgan.Tests.Evaluation;

public sealed class DigitClassifierTests
{
    [Test]
    public void RecognisesHeldOutBundledDigits()
    {
        using var digits = DatasetFactory.Open("bundled", null, 32);
        var train = Enumerable.Range(0, 9000).ToList();
        var classifier = new DigitClassifier(digits, useOnly: train);
        const int held = 500;
        var images = new float[held * digits.ImageLength()];
        for (int i = 0; i < held; i++)
            digits.ReadImage(9000 + i, images.AsSpan(i * digits.ImageLength(), digits.ImageLength()));
        var predictions = classifier.Classify(images);
        int correct = predictions.Where((p, i) => p.Label == digits.Labels![9000 + i]).Count();
        Assert.That(correct / (double)held, Is.GreaterThan(0.9), $"{correct} of {held}");
        // Real digits of every class are found confidently.
        Assert.That(classifier.Report(images).ClassesRecognised, Is.EqualTo(10));
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
}

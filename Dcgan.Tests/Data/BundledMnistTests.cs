using System.Security.Cryptography;
using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

/// <summary>The 10,000 digits committed in data/bundled-mnist (see its README for provenance).</summary>
public sealed class BundledMnistTests
{
    [Test]
    public void FilesMatchTheRecordedChecksums()
    {
        string dir = DatasetFactory.FindBundledDirectory()!;
        Assert.That(dir, Is.Not.Null);
        // The same values as data/bundled-mnist/README.md; scripts/make-bundled-mnist.sh reproduces them.
        Assert.That(Sha256(Path.Combine(dir, "images-idx3-ubyte.gz")), Is.EqualTo("b63dde38f6c5e48c77ef7385db4cae3187626caf4a90e5102bd4d4799f2521ce"));
        Assert.That(Sha256(Path.Combine(dir, "labels-idx1-ubyte.gz")), Is.EqualTo("486fb7372923bcd3248a8948154af493d5f58d9b735a139ad42bd0d3184032f5"));
    }

    [Test]
    public void LoadsTenThousandDigitsWithPlausibleStatistics()
    {
        using var ds = DatasetFactory.Open("bundled", null, imageSize: 28);
        Assert.That((ds.Count, ds.Channels, ds.ImageSize), Is.EqualTo((10_000, 1, 28)));

        // Round-robin class order, and the package's per-class counts.
        Assert.That(ds.Labels!.Take(20), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (byte)(i % 10))));
        int[] perClass = new int[10];
        foreach (byte label in ds.Labels!)
            perClass[label]++;
        Assert.That(perClass, Is.EqualTo(new[] { 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 }));

        // MNIST: mean intensity ≈ 0.13 (i.e. ≈ −0.74 in [-1, 1]), ~80% pure background, every image has ink.
        var image = new float[28 * 28];
        double sum = 0;
        long background = 0, total = 0;
        for (int i = 0; i < ds.Count; i++)
        {
            ds.ReadImage(i, image);
            Assert.That(image.Max(), Is.GreaterThan(0.5f), $"image {i} has no ink");
            foreach (float v in image)
            {
                sum += v;
                background += v == -1f ? 1 : 0;
            }
            total += image.Length;
        }
        Assert.That(sum / total, Is.InRange(-0.80, -0.68));
        Assert.That((double)background / total, Is.InRange(0.75, 0.85));
    }

    [Test]
    public void ResizedToThirtyTwoKeepsTheRange()
    {
        using var ds = DatasetFactory.Open("bundled", null, imageSize: 32, channels: 3);
        var image = new float[3 * 32 * 32];
        ds.ReadImage(123, image);
        Assert.That(image, Has.All.InRange(-1f, 1f));
        Assert.That(image.Count(v => v > 0), Is.GreaterThan(20));
    }

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

public sealed class DatasetFactoryTests
{
    string dir = "";

    [SetUp] public void SetUp() => dir = DataFiles.NewFolder("factory");
    [TearDown] public void TearDown() => DataFiles.Delete(dir);

    [Test]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetFactory.Open("imagenet", null, 32))!;
        Assert.That(e.Message, Is.EqualTo("--dataset imagenet: unknown data set; expected one of bundled, mnist, fashion-mnist, folder, celeba, cifar10, fake"));
    }

    [Test]
    public void MissingFilesNameWhatWasLookedForWhere()
    {
        var mnist = Assert.Throws<DatasetException>(() => DatasetFactory.Open("mnist", dir, 32))!;
        Assert.That(mnist.Message, Does.StartWith(Path.Combine(dir, "train-images-idx3-ubyte") + "[.gz]: not found"));
        Assert.That(mnist.Message, Does.Contain(Path.Combine(dir, "MNIST", "raw")));

        var noRoot = Assert.Throws<DatasetException>(() => DatasetFactory.Open("cifar10", null, 32))!;
        Assert.That(noRoot.Message, Does.Contain("no data root given"));

        var cifar = Assert.Throws<DatasetException>(() => DatasetFactory.Open("cifar10", dir, 32))!;
        Assert.That(cifar.Message, Does.StartWith(Path.Combine(dir, "data_batch_1.bin") + ": not found"));
    }

    [Test]
    public void MnistFromTorchvisionLayoutWithGzip()
    {
        string raw = Path.Combine(dir, "FashionMNIST", "raw");
        Directory.CreateDirectory(raw);
        DataFiles.WriteIdxPair(raw, DataFiles.PatternPixels(6, 28, 28), 6, 28, 28, [0, 1, 2, 3, 4, 5], gzip: true);
        using var ds = DatasetFactory.Open("fashion-mnist", dir, 32);
        Assert.That((ds.Name, ds.Count, ds.Channels, ds.ImageSize), Is.EqualTo(("fashion-mnist", 6, 1, 32)));
        Assert.That(ds.Labels![5], Is.EqualTo(5));
    }

    [Test]
    public void FakeIsDeterministicPerSeedAndIndex()
    {
        using var a = DatasetFactory.Open("fake", null, 4, channels: 3, new DatasetOptions { Seed = 5, FakeCount = 10 });
        using var b = DatasetFactory.Open("fake", null, 4, channels: 3, new DatasetOptions { Seed = 5, FakeCount = 10 });
        using var c = DatasetFactory.Open("fake", null, 4, channels: 3, new DatasetOptions { Seed = 6, FakeCount = 10 });
        float[] x = new float[48], y = new float[48], z = new float[48];
        a.ReadImage(7, x);
        b.ReadImage(7, y);
        c.ReadImage(7, z);
        Assert.That(y, Is.EqualTo(x));
        Assert.That(z, Is.Not.EqualTo(x));
        Assert.That(x, Has.All.InRange(-1f, 1f));
    }
}

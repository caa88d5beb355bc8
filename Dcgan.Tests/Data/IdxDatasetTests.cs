using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

public sealed class IdxDatasetTests
{
    string dir = "";

    [SetUp] public void SetUp() => dir = DataFiles.NewFolder("idx");
    [TearDown] public void TearDown() => DataFiles.Delete(dir);

    [TestCase(false)]
    [TestCase(true)]
    public void ReadsRawAndGzipAtNativeSize(bool gzip)
    {
        // Odd, non-square source images (5 rows × 7 cols) would be cropped; use square 6×6 at native size.
        var pixels = DataFiles.PatternPixels(3, 6, 6);
        var (images, labels) = DataFiles.WriteIdxPair(dir, pixels, 3, 6, 6, [4, 0, 9], gzip);
        using var ds = IdxDataset.Open("t", images, labels, imageSize: 6);

        Assert.That((ds.Count, ds.Channels, ds.ImageSize), Is.EqualTo((3, 1, 6)));
        Assert.That(ds.Labels, Is.EqualTo(new byte[] { 4, 0, 9 }));
        var image = new float[36];
        ds.ReadImage(2, image);
        for (int k = 0; k < 36; k++)
            Assert.That(image[k], Is.EqualTo(DataFiles.Unit(pixels[72 + k])), $"pixel {k}");
    }

    [Test]
    public void GreyToThreeChannelsRepeatsThePlane()
    {
        var (images, _) = DataFiles.WriteIdxPair(dir, DataFiles.PatternPixels(2, 4, 4), 2, 4, 4, [1, 2], gzip: false);
        using var ds = IdxDataset.Open("t", images, null, imageSize: 4, channels: 3);
        var image = new float[48];
        ds.ReadImage(1, image);
        Assert.That(image.AsSpan(16, 16).ToArray(), Is.EqualTo(image.AsSpan(0, 16).ToArray()));
        Assert.That(image.AsSpan(32, 16).ToArray(), Is.EqualTo(image.AsSpan(0, 16).ToArray()));
        Assert.That(ds.Labels, Is.Null);
    }

    [Test]
    public void ResizesTwentyEightToThirtyTwoBilinearly()
    {
        // A constant image stays constant; a left-to-right ramp stays monotone and keeps its ends.
        var pixels = new byte[2 * 28 * 28];
        Array.Fill(pixels, (byte)200, 0, 784);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                pixels[784 + y * 28 + x] = (byte)(x * 9);
        var (images, _) = DataFiles.WriteIdxPair(dir, pixels, 2, 28, 28, [0, 1], gzip: true);
        using var ds = IdxDataset.Open("t", images, null, imageSize: 32);

        var image = new float[32 * 32];
        ds.ReadImage(0, image);
        Assert.That(image, Has.All.EqualTo(DataFiles.Unit(200)));
        ds.ReadImage(1, image);
        Assert.That(image[0], Is.EqualTo(DataFiles.Unit(0)), "left edge clamps to the first pixel");
        Assert.That(image[31], Is.EqualTo(DataFiles.Unit(243)), "right edge clamps to the last pixel");
        for (int x = 1; x < 32; x++)
            Assert.That(image[5 * 32 + x], Is.GreaterThanOrEqualTo(image[5 * 32 + x - 1]));
        // Output column 16: centre 16.5·28/32 = 14.4375 → between source columns 13 (117) and 14 (126): 0.0625·117 + 0.9375·126.
        Assert.That(image[16], Is.EqualTo(DataFiles.Unit((int)(0.0625 * 117 + 0.9375 * 126 + 0.5))));
    }

    static IEnumerable<TestCaseData> BadFiles()
    {
        byte[] good = DataFiles.Idx(0x803, [2, 3, 3], new byte[18]);
        yield return new TestCaseData(DataFiles.Idx(0x801, [2, 3, 3], new byte[18]), "magic 0x00000801, expected 0x00000803").SetName("WrongMagic");
        yield return new TestCaseData(DataFiles.Idx(0x80D, [2, 3, 3], new byte[18]), "magic 0x0000080D").SetName("FloatType");
        yield return new TestCaseData(good[..^5], "need 34").SetName("Truncated");
        yield return new TestCaseData(good.Concat(new byte[3]).ToArray(), "3 more than").SetName("TrailingBytes");
        yield return new TestCaseData(DataFiles.Idx(0x803, [5, 3, 3], new byte[18]), "dims 5x3x3 need 61").SetName("DimsExceedFile");
        yield return new TestCaseData(DataFiles.Idx(0x803, [int.MaxValue, 1000, 1000], []), "expected at most").SetName("HugeDims");
        yield return new TestCaseData(DataFiles.Idx(0x803, [int.MaxValue, int.MaxValue, 1000], []), "overflow").SetName("DimsOverflow");
        yield return new TestCaseData(DataFiles.Idx(0x803, [0, 3, 3], []), "dimension 0 is 0").SetName("ZeroDim");
        yield return new TestCaseData(good[..10], "ends inside the header").SetName("HeaderCut");
        yield return new TestCaseData(new byte[] { 0, 0 }, "shorter than the 4-byte").SetName("TwoBytes");
        yield return new TestCaseData(DataFiles.Gzip(DataFiles.Idx(0x803, [5, 3, 3], new byte[18])), "gzip trailer says 34").SetName("GzipDimsExceedData");
        yield return new TestCaseData(DataFiles.Gzip(good)[..^12], "").SetName("GzipTruncated");
        yield return new TestCaseData(DataFiles.Gzip(DataFiles.Idx(0x803, [int.MaxValue, 1000, 1000], [])), "expected at most").SetName("GzipHugeDims");
    }

    [TestCaseSource(nameof(BadFiles))]
    public void BadImageFileIsOneLineDatasetExceptionNamingTheFile(byte[] contents, string expected)
    {
        string path = Path.Combine(dir, "bad-images-idx3-ubyte");
        File.WriteAllBytes(path, contents);
        var e = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path))!;
        Assert.That(e.Message, Does.StartWith(path + ": "));
        Assert.That(e.Message, Does.Contain(expected));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void LabelCountMustMatchImageCount()
    {
        var (images, labels) = DataFiles.WriteIdxPair(dir, new byte[3 * 4], 3, 2, 2, [1, 2, 3], gzip: false);
        File.WriteAllBytes(labels, DataFiles.Idx(0x801, [2], [1, 2]));
        var e = Assert.Throws<DatasetException>(() => IdxDataset.Open("t", images, labels, 2))!;
        Assert.That(e.Message, Does.StartWith(labels).And.Contain("2 labels; expected 3"));
    }

    [Test]
    public void MissingFileNamesIt()
    {
        string path = Path.Combine(dir, "nope");
        var e = Assert.Throws<DatasetException>(() => IdxFile.ReadLabels(path))!;
        Assert.That(e.Message, Does.StartWith(path + ": cannot open"));
    }
}

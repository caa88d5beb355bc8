using Dcgan.Nn.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Tests.Data;

public sealed class FolderDatasetTests
{
    string dir = "";

    [SetUp] public void SetUp() => dir = DataFiles.NewFolder("folder");
    [TearDown] public void TearDown() => DataFiles.Delete(dir);

    /// <summary>
    /// a.png: 8×8 solid (10, 20, 30); b/c.png: 12 wide × 6 tall, left third red, middle green, right third blue
    /// (centre-crop to 6 must keep only the middle... plus a column each side); d.jpg: 8×8 grey 128;
    /// e.png: garbage bytes (corrupt); notes.txt: ignored.
    /// </summary>
    void WriteFolder()
    {
        using (var a = new Image<Rgb24>(8, 8, new Rgb24(10, 20, 30)))
            a.SaveAsPng(Path.Combine(dir, "a.png"));
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        using (var c = new Image<Rgb24>(12, 6))
        {
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 12; x++)
                    c[x, y] = x < 4 ? new Rgb24(255, 0, 0) : x < 8 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);
            c.SaveAsPng(Path.Combine(dir, "b", "c.png"));
        }
        using (var d = new Image<Rgb24>(8, 8, new Rgb24(128, 128, 128)))
            d.SaveAsJpeg(Path.Combine(dir, "d.jpg"));
        File.WriteAllBytes(Path.Combine(dir, "e.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5, 6, 7, 8]);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image");
    }

    [Test]
    public void DecodesResizesCentreCropsAndSkipsTheCorruptFile()
    {
        WriteFolder();
        using var ds = FolderDataset.Open("folder", dir, imageSize: 6);

        Assert.That((ds.Count, ds.Channels, ds.ImageSize), Is.EqualTo((3, 3, 6)));
        Assert.That(ds.Skipped.Select(s => Path.GetFileName(s.Path)), Is.EqualTo(new[] { "e.png" }));
        Assert.That(ds.SkippedCount, Is.EqualTo(1));

        // Order is by relative path: a.png, b/c.png, d.jpg.
        var image = new float[3 * 36];
        ds.ReadImage(0, image);
        Assert.That(image[..36], Has.All.EqualTo(DataFiles.Unit(10)));
        Assert.That(image[36..72], Has.All.EqualTo(DataFiles.Unit(20)));
        Assert.That(image[72..], Has.All.EqualTo(DataFiles.Unit(30)));

        // 12×6 → shorter side 6 already: no resize, crop columns 3..8 (left = round((12−6)/2) = 3):
        // column 3 red, 4..7 green, 8 blue.
        ds.ReadImage(1, image);
        for (int y = 0; y < 6; y++)
        {
            float[] red = [.. Enumerable.Range(0, 6).Select(x => image[y * 6 + x])];
            float[] green = [.. Enumerable.Range(0, 6).Select(x => image[36 + y * 6 + x])];
            float[] blue = [.. Enumerable.Range(0, 6).Select(x => image[72 + y * 6 + x])];
            Assert.That(red, Is.EqualTo(new[] { 1f, -1, -1, -1, -1, -1 }));
            Assert.That(green, Is.EqualTo(new[] { -1f, 1, 1, 1, 1, -1 }));
            Assert.That(blue, Is.EqualTo(new[] { -1f, -1, -1, -1, -1, 1 }));
        }

        ds.ReadImage(2, image);
        Assert.That(image, Has.All.InRange(DataFiles.Unit(124), DataFiles.Unit(132)), "JPEG grey 128, within compression error");
    }

    [Test]
    public void NonSquareIsResizedByTheShorterSideThenCropped()
    {
        // 24 wide × 12 tall → 8 tall × 16 wide → crop resized columns 4..11 (left = round((16 − 8)/2)).
        using (var c = new Image<Rgb24>(24, 12))
        {
            for (int y = 0; y < 12; y++)
                for (int x = 0; x < 24; x++)
                    c[x, y] = x < 8 ? new Rgb24(255, 0, 0) : x < 16 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);
            c.SaveAsPng(Path.Combine(dir, "wide.png"));
        }
        using var ds = FolderDataset.Open("folder", dir, imageSize: 8, channels: 3);
        var image = new float[3 * 64];
        ds.ReadImage(0, image);
        float[] green = [.. Enumerable.Range(0, 8).Select(x => image[64 + 3 * 8 + x])];
        // Resized width 16, scale 1.5, support ±1.5 source pixels: output columns 2..5 see only green sources,
        // 1 and 6 straddle a colour edge, 0 and 7 see only red / blue.
        Assert.That(green[2..6], Has.All.EqualTo(1f));
        Assert.That(green[1], Is.LessThan(1f).And.GreaterThan(-1f));
        Assert.That(green[6], Is.LessThan(1f).And.GreaterThan(-1f));
        Assert.That(new[] { green[0], green[7] }, Has.All.EqualTo(-1f));
    }

    [Test]
    public void BmpGifAndWebpDecodeToo()
    {
        using (var image = new Image<Rgb24>(5, 5, new Rgb24(0, 255, 0)))
        {
            image.SaveAsBmp(Path.Combine(dir, "x.bmp"));
            image.SaveAsGif(Path.Combine(dir, "x.gif"));
            image.SaveAsWebp(Path.Combine(dir, "x.webp"), new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless });
        }
        using var ds = FolderDataset.Open("folder", dir, 5);
        Assert.That((ds.Count, ds.SkippedCount), Is.EqualTo((3, 0)));
        var pixels = new float[75];
        for (int i = 0; i < 3; i++)
        {
            ds.ReadImage(i, pixels);
            Assert.That(pixels[25..50], Has.All.EqualTo(1f), $"green plane of image {i}");
            Assert.That(pixels[..25].Concat(pixels[50..]), Has.All.EqualTo(-1f), $"red and blue planes of image {i}");
        }
    }

    [Test]
    public void FailPolicyNamesTheCorruptFile()
    {
        WriteFolder();
        var e = Assert.Throws<DatasetException>(() =>
            FolderDataset.Open("folder", dir, 6, options: new FolderOptions { OnCorrupt = CorruptImagePolicy.Fail }))!;
        Assert.That(e.Message, Does.StartWith(Path.Combine(dir, "e.png") + ": "));
    }

    [Test]
    public void FolderWithoutUsableImagesIsAnError()
    {
        File.WriteAllBytes(Path.Combine(dir, "x.jpg"), [1, 2, 3]);
        var e = Assert.Throws<DatasetException>(() => FolderDataset.Open("folder", dir, 6))!;
        Assert.That(e.Message, Does.StartWith(dir + ": none of the 1 image files is usable"));

        var empty = Assert.Throws<DatasetException>(() => FolderDataset.Open("folder", Path.Combine(dir, "missing"), 6))!;
        Assert.That(empty.Message, Does.Contain("directory not found"));
    }

    [Test]
    public void OversizedImagesAreRefusedFromTheirHeader()
    {
        using (var wide = new Image<L8>(300, 2))
            wide.SaveAsPng(Path.Combine(dir, "wide.png"));
        using (var ok = new Image<L8>(4, 4))
            ok.SaveAsPng(Path.Combine(dir, "ok.png"));
        using var ds = FolderDataset.Open("folder", dir, 4, options: new FolderOptions { MaxSide = 256 });
        Assert.That(ds.Count, Is.EqualTo(1));
        Assert.That(ds.Skipped.Single().Reason, Does.Contain("300x2 exceeds 256"));
    }

    [Test]
    public void CacheGivesTheSamePixelsAndIsReusedUntilTheFilesChange()
    {
        WriteFolder();
        string cacheDir = Path.Combine(dir, "..", Path.GetFileName(dir) + "-cache");
        try
        {
            using var plain = FolderDataset.Open("folder", dir, 6, channels: 1);
            var options = new FolderOptions { CacheDirectory = cacheDir };
            float[] expected = new float[36], actual = new float[36];
            using (var first = FolderDataset.Open("folder", dir, 6, channels: 1, options))
            {
                Assert.That(first.CachePath, Is.Not.Null);
                Assert.That(first.Count, Is.EqualTo(3));
                Assert.That(first.Skipped.Single().Path, Does.EndWith("e.png"));
                for (int i = 0; i < 3; i++)
                {
                    plain.ReadImage(i, expected);
                    first.ReadImage(i, actual);
                    Assert.That(actual, Is.EqualTo(expected), $"image {i}");
                }
            }
            string cachePath = Directory.GetFiles(cacheDir).Single();
            var written = File.GetLastWriteTimeUtc(cachePath);

            using (var second = FolderDataset.Open("folder", dir, 6, channels: 1, options))
            {
                Assert.That(second.CachePath, Is.EqualTo(cachePath));
                Assert.That(File.GetLastWriteTimeUtc(cachePath), Is.EqualTo(written), "a valid cache is not rewritten");
                Assert.That(second.Skipped.Single().Reason, Is.EqualTo(plain.Skipped.Single().Reason));
            }

            // A changed file changes the fingerprint: a new cache file.
            using (var a = new Image<Rgb24>(8, 8, new Rgb24(200, 200, 200)))
                a.SaveAsPng(Path.Combine(dir, "a.png"));
            using (var third = FolderDataset.Open("folder", dir, 6, channels: 1, options))
            {
                Assert.That(third.CachePath, Is.Not.EqualTo(cachePath));
                third.ReadImage(0, actual);
                Assert.That(actual, Has.All.EqualTo(DataFiles.Unit(200)));
            }

            // A damaged cache is rebuilt, not trusted.
            string current = Directory.GetFiles(cacheDir).OrderBy(File.GetLastWriteTimeUtc).Last();
            File.WriteAllBytes(current, [1, 2, 3]);
            using (var fourth = FolderDataset.Open("folder", dir, 6, channels: 1, options))
            {
                fourth.ReadImage(0, actual);
                Assert.That(actual, Has.All.EqualTo(DataFiles.Unit(200)));
            }
        }
        finally
        {
            DataFiles.Delete(cacheDir);
        }
    }
}

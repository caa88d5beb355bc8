using Dcgan.Nn.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Tests.Imaging;

/// <summary>Sample grids, the GIF of grids and the loss plot, decoded back and checked pixel by pixel where it
/// matters.</summary>
public sealed class ImagingTests
{
    string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("dcgan-imaging-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    string PathOf(string name) => Path.Combine(directory, name);

    /// <summary>Pixel value j/255 of the [-1, 1] range, so the expected byte is exactly j.</summary>
    static float Level(int j) => -1f + 2f * j / 255f;

    /// <summary>Image k, channel ch, pixel (y, x) gets level (31k + 7ch + 5y + 3x) mod 256.</summary>
    static int Pattern(int k, int ch, int y, int x) => (31 * k + 7 * ch + 5 * y + 3 * x) % 256;

    static float[] PatternImages(int n, int c, int h, int w)
    {
        var images = new float[n * c * h * w];
        for (int k = 0; k < n; k++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        images[((k * c + ch) * h + y) * w + x] = Level(Pattern(k, ch, y, x));
        return images;
    }

    [Test]
    public void AColourGridHasMakeGridsSizeLayoutAndPixels()
    {
        // 10 images of 3×5×7 with 8 per row: 2 rows; width (7+2)·8+2 = 74, height (5+2)·2+2 = 16.
        const int n = 10, c = 3, h = 5, w = 7;
        string path = PathOf("fake_samples_epoch_000.png");
        ImageGrid.SavePng(path, PatternImages(n, c, h, w), n, c, h, w);

        using var grid = Image.Load<Rgb24>(path);
        Assert.That((grid.Width, grid.Height), Is.EqualTo((74, 16)));
        for (int k = 0; k < n; k++)
        {
            int top = 7 * (k / 8) + 2, left = 9 * (k % 8) + 2;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    var pixel = grid[left + x, top + y];
                    Assert.That(new[] { pixel.R, pixel.G, pixel.B },
                        Is.EqualTo(new[] { Pattern(k, 0, y, x), Pattern(k, 1, y, x), Pattern(k, 2, y, x) }),
                        $"image {k} pixel ({y}, {x})");
                }
        }
        // Padding, between images and in the empty cells of the last row, is black.
        foreach (var (x, y) in new[] { (0, 0), (1, 5), (9, 3), (10, 8), (73, 15), (2 + 9 * 2 + 3, 9 + 2), (72, 10) })
            Assert.That(grid[x, y], Is.EqualTo(new Rgb24(0, 0, 0)), $"padding at ({x}, {y})");
    }

    [Test]
    public void AGrayscaleGridRepeatsTheChannelAndClampsOutOfRangeValues()
    {
        // One row of 3 single-channel 1×4 images.
        float[] images =
        [
            -1f, 0f, 1f, 0.5f,
            -5f, 3f, float.NaN, float.PositiveInfinity,
            Level(17), Level(200), -0.999f, 0.999f,
        ];
        using var grid = ImageGrid.Compose(images, 3, 1, 1, 4);
        Assert.That((grid.Width, grid.Height), Is.EqualTo((3 * 6 + 2, 5)));
        byte[][] expected =
        [
            [0, 128, 255, 191],  // (v + 1) / 2 · 255 + 0.5, truncated: 0.5 → 0, 128, 255.5 → 255, 191.75 → 191
            [0, 255, 0, 255],    // clamped; NaN → 0
            [17, 200, 0, 255],
        ];
        for (int k = 0; k < 3; k++)
            for (int x = 0; x < 4; x++)
            {
                var pixel = grid[2 + 6 * k + x, 2];
                Assert.That(new[] { pixel.R, pixel.G, pixel.B }, Is.All.EqualTo(expected[k][x]), $"image {k} x {x}");
            }
    }

    [Test]
    public void BatchMinMaxScalingMapsTheBatchRangeToTheFullByteRange()
    {
        float[] images = [2f, 4f, 6f, 10f];
        using var grid = ImageGrid.Compose(images, 2, 1, 1, 2, new GridOptions(Scaling: GridScaling.BatchMinMax));
        Assert.That(new[] { grid[2, 2].R, grid[3, 2].R, grid[6, 2].R, grid[7, 2].R }, Is.EqualTo(new byte[] { 0, 64, 128, 255 }));
    }

    [Test]
    public void ASingleImageIsNotPaddedAndRowWidthFollowsTheOption()
    {
        using (var single = ImageGrid.Compose(PatternImages(1, 3, 4, 6), 1, 3, 4, 6))
            Assert.That((single.Width, single.Height), Is.EqualTo((6, 4)));
        using var narrow = ImageGrid.Compose(PatternImages(5, 1, 3, 3), 5, 1, 3, 3, new GridOptions(ImagesPerRow: 2, Padding: 1));
        Assert.That((narrow.Width, narrow.Height), Is.EqualTo((2 * 4 + 1, 3 * 4 + 1)));
    }

    [Test]
    public void ComposeRejectsBadShapes()
    {
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose(new float[8], 2, 2, 1, 2), "2 channels");
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose(new float[7], 2, 1, 2, 2), "length");
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([], 0, 1, 2, 2), "no images");
    }

    [Test]
    public void AGifHoldsOneLoopingFramePerGrid()
    {
        string path = PathOf("progress.gif");
        var frames = Enumerable.Range(0, 4)
            .Select(e => ImageGrid.Compose(PatternImages(6, 3, 8, 8).Select(v => v * (e + 1) / 4f).ToArray(), 6, 3, 8, 8))
            .ToList();
        GifAnimation.Save(path, frames, frameDelayMilliseconds: 200);
        frames.ForEach(f => f.Dispose());

        using var gif = Image.Load<Rgba32>(path);
        Assert.That(gif.Frames, Has.Count.EqualTo(4));
        Assert.That((gif.Width, gif.Height), Is.EqualTo(((8 + 2) * 6 + 2, 8 + 4)));
        Assert.That(gif.Metadata.GetGifMetadata().RepeatCount, Is.Zero, "0 loops forever");
        for (int i = 0; i < gif.Frames.Count; i++)
            Assert.That(gif.Frames[i].Metadata.GetGifMetadata().FrameDelay, Is.EqualTo(20), $"frame {i} delay");
        Assert.That(gif.Frames[3][0, 0], Is.EqualTo(new Rgba32(0, 0, 0, 255)), "padding stays black");
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EqualTo(new[] { "progress.gif" }));
    }

    [Test]
    public void AGifRejectsFramesOfAnotherSize()
    {
        using var gif = new GifAnimation();
        using var first = new Image<Rgb24>(10, 10);
        using var second = new Image<Rgb24>(10, 11);
        gif.AddFrame(first);
        Assert.Throws<ArgumentException>(() => gif.AddFrame(second));
        Assert.That(gif.FrameCount, Is.EqualTo(1));
    }

    [Test]
    public void TheLossPlotRendersHeadlessToAPngOfTheRequestedSize()
    {
        var random = new Random(5);
        var points = Enumerable.Range(0, 300)
            .Select(i => new LossPoint(i, 1.4 - i / 400.0 + random.NextDouble() * 0.2, 2 + Math.Sin(i / 20.0),
                0.6 + random.NextDouble() * 0.2, 0.3 + random.NextDouble() * 0.1))
            .ToList();
        string path = PathOf("loss.png");
        LossPlot.SavePng(path, points, width: 900, height: 700);

        Assert.That(new FileInfo(path).Length, Is.GreaterThan(1000));
        using var plot = Image.Load<Rgb24>(path);
        Assert.That((plot.Width, plot.Height), Is.EqualTo((900, 700)));
        Assert.That(DistinctColours(plot, 0, 350), Is.GreaterThan(3), "the top panel has lines and text");
        Assert.That(DistinctColours(plot, 350, 700), Is.GreaterThan(3), "the bottom panel has lines and text");
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EqualTo(new[] { "loss.png" }));
    }

    [Test]
    public void TheLossPlotAcceptsNoPointsYetAndDivergedValues()
    {
        string path = PathOf("loss.png");
        LossPlot.SavePng(path, [], width: 400, height: 300);
        Assert.That(Image.Identify(path).Width, Is.EqualTo(400));

        LossPoint[] diverged = [new(0, 1, 2, 0.5, 0.5), new(1, double.NaN, double.PositiveInfinity, 0.5, 0.5), new(2, 1, 2, 0.5, 0.5)];
        LossPlot.SavePng(path, diverged, width: 400, height: 300);
        Assert.That(Image.Identify(path).Height, Is.EqualTo(300));
    }

    [Test]
    public void TheLossPlotSmoothsLikeTheReportDebiasedWithGapsKept()
    {
        Assert.That(LossPlot.SmoothingWeight(3), Is.EqualTo(0), "a few points are drawn as they are");
        Assert.That(LossPlot.SmoothingWeight(6250), Is.EqualTo(0.9904).Within(1e-9), "the default run: about 100 iterations");
        // Debiased: the first value is the first raw value, a constant stays constant (no pull towards the 0 start).
        var smoothed = LossPlot.Smooth([2, 2, double.NaN, 2, 5], 0.9);
        Assert.That(smoothed[0], Is.EqualTo(2).Within(1e-12));
        Assert.That(smoothed[1], Is.EqualTo(2).Within(1e-12));
        Assert.That(smoothed[2], Is.NaN, "a non-finite value is a gap");
        Assert.That(smoothed[3], Is.EqualTo(2).Within(1e-12), "and does not enter the average");
        // After three 2s, a 5: (0.1·0.9³·… debiased) = 2 + 3·0.1/(1 − 0.9⁴).
        Assert.That(smoothed[4], Is.EqualTo(2 + 3 * 0.1 / (1 - Math.Pow(0.9, 4))).Within(1e-12));
    }

    static int DistinctColours(Image<Rgb24> image, int top, int bottom)
    {
        var colours = new HashSet<Rgb24>();
        for (int y = top; y < bottom; y += 3)
            for (int x = 0; x < image.Width; x += 3)
                colours.Add(image[x, y]);
        return colours.Count;
    }
}

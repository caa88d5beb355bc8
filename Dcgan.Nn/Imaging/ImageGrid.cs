// A batch of images as one grid picture, as torchvision.utils.make_grid + save_image lay it out
// (https://pytorch.org/vision/stable/generated/torchvision.utils.make_grid.html), the way pytorch/examples
// dcgan/main.py writes real_samples.png and fake_samples_epoch_NNN.png.
//
//   input:  x[n, c, h, w], float32, NCHW, c = 1 or 3, generator output in [-1, 1]
//   layout: xmaps = min(perRow, n) columns, ymaps = ceil(n / xmaps) rows; grid is
//           (h + p)·ymaps + p tall and (w + p)·xmaps + p wide; image k sits at row k / xmaps, column k % xmaps,
//           its top-left pixel at ((h + p)·row + p, (w + p)·col + p); padding pixels are black (pad_value = 0);
//           a single image (n = 1) is returned unpadded, as make_grid does
//   pixel:  v01 = (clamp(x, lo, hi) − lo) / max(hi − lo, 1e-5)      (make_grid's normalize, in float32)
//           byte = (uint8) clamp(v01·255 + 0.5, 0, 255)             (save_image's conversion)
//           [lo, hi] = [-1, 1] by default; GridScaling.BatchMinMax uses the batch's min and max, which is what
//           make_grid(normalize=True) does without value_range. NaN maps to 0. c = 1 repeats into R, G and B.
using Dcgan.Nn.Checkpoints;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Imaging;

public enum GridScaling
{
    /// <summary>Map [-1, 1] (tanh output) to [0, 255], clamping values outside.</summary>
    MinusOneToOne,
    /// <summary>Map the batch's [min, max] to [0, 255], like make_grid(normalize=True) with no value_range.</summary>
    BatchMinMax,
}

public sealed record GridOptions(int ImagesPerRow = 8, int Padding = 2, GridScaling Scaling = GridScaling.MinusOneToOne)
{
    public static GridOptions Default { get; } = new();
}

public static class ImageGrid
{
    /// <summary>Lays out <paramref name="n"/> images of <paramref name="c"/>×<paramref name="h"/>×<paramref name="w"/>
    /// floats (NCHW) as one RGB grid. The caller disposes the image.</summary>
    public static Image<Rgb24> Compose(ReadOnlySpan<float> images, int n, int c, int h, int w, GridOptions? options = null)
    {
        options ??= GridOptions.Default;
        if (n < 1 || h < 1 || w < 1)
            throw new ArgumentException($"grid needs at least one non-empty image; got n={n}, h={h}, w={w}");
        if (c != 1 && c != 3)
            throw new ArgumentException($"grid images have {c} channels; expected 1 or 3", nameof(c));
        if (options.ImagesPerRow < 1 || options.Padding < 0)
            throw new ArgumentException($"grid options {options} need ImagesPerRow >= 1 and Padding >= 0", nameof(options));
        long expected = (long)n * c * h * w;
        if (images.Length != expected)
            throw new ArgumentException($"grid input has {images.Length} floats; expected n·c·h·w = {expected}", nameof(images));

        var (lo, hi) = options.Scaling == GridScaling.BatchMinMax ? MinMax(images) : (-1f, 1f);
        float range = Math.Max(hi - lo, 1e-5f);

        int p = n == 1 ? 0 : options.Padding;
        int columns = Math.Min(options.ImagesPerRow, n);
        int rows = (n + columns - 1) / columns;
        int gridWidth = checked((w + p) * columns + p);
        int gridHeight = checked((h + p) * rows + p);
        var pixels = new Rgb24[gridWidth * gridHeight]; // zero-initialised: black padding
        int plane = h * w;
        for (int k = 0; k < n; k++)
        {
            int top = (h + p) * (k / columns) + p;
            int left = (w + p) * (k % columns) + p;
            for (int y = 0; y < h; y++)
            {
                var row = pixels.AsSpan((top + y) * gridWidth + left, w);
                for (int x = 0; x < w; x++)
                {
                    int at = k * c * plane + y * w + x;
                    byte r = ToByte(images[at], lo, hi, range);
                    row[x] = c == 1
                        ? new Rgb24(r, r, r)
                        : new Rgb24(r, ToByte(images[at + plane], lo, hi, range), ToByte(images[at + 2 * plane], lo, hi, range));
                }
            }
        }
        var grid = Image.LoadPixelData<Rgb24>(pixels, gridWidth, gridHeight);
        return grid;
    }

    /// <summary>Composes the grid and writes it to <paramref name="path"/> as PNG, atomically.</summary>
    public static void SavePng(string path, ReadOnlySpan<float> images, int n, int c, int h, int w, GridOptions? options = null)
    {
        using var grid = Compose(images, n, c, h, w, options);
        SavePng(path, grid);
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> as PNG, atomically.</summary>
    public static void SavePng(string path, Image image) =>
        AtomicFile.Write(path, stream => image.Save(stream, new PngEncoder()));

    /// <summary>
    /// The inverse of Compose for greyscale grids: reads a PNG (or any image ImageSharp decodes) laid out with
    /// <paramref name="options"/> (default: 8 per row, 2-pixel padding) from images of side
    /// <paramref name="size"/>, and returns every cell as floats in [-1, 1] (the red channel; a greyscale grid
    /// repeats it). Throws InvalidDataException when the picture's size is not that of such a grid.
    /// </summary>
    public static float[] ReadGreyscale(string path, int size, out int count, GridOptions? options = null)
    {
        options ??= GridOptions.Default;
        Image<Rgb24> loaded;
        try
        {
            loaded = Image.Load<Rgb24>(path);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException)
        {
            throw new InvalidDataException($"{path}: not a picture ImageSharp can decode ({e.GetType().Name})", e);
        }
        using var grid = loaded;
        int p = options.Padding, cell = size + p;
        int columns = (grid.Width - p) / cell, rows = (grid.Height - p) / cell;
        if (columns < 1 || rows < 1 || grid.Width != columns * cell + p || grid.Height != rows * cell + p
            || columns > options.ImagesPerRow)
            throw new InvalidDataException($"{path}: {grid.Width}x{grid.Height} is not a grid of {size}x{size} images " +
                                           $"with {p}-pixel padding, at most {options.ImagesPerRow} per row");
        count = rows * columns;
        var images = new float[count * size * size];
        for (int k = 0; k < count; k++)
        {
            int top = cell * (k / columns) + p, left = cell * (k % columns) + p;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    images[(k * size + y) * size + x] = grid[left + x, top + y].R / 255f * 2 - 1;
        }
        return images;
    }

    /// <summary>make_grid's normalisation then save_image's float → byte step, both in float32.</summary>
    internal static byte ToByte(float value, float lo, float hi, float range)
    {
        if (float.IsNaN(value))
            return 0;
        float unit = (Math.Clamp(value, lo, hi) - lo) / range;
        float scaled = unit * 255f + 0.5f;
        return (byte)Math.Clamp(scaled, 0f, 255f);
    }

    static (float Lo, float Hi) MinMax(ReadOnlySpan<float> values)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (float.IsNaN(v))
                continue;
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        return float.IsFinite(lo) && float.IsFinite(hi) ? (lo, hi) : (-1f, 1f);
    }
}

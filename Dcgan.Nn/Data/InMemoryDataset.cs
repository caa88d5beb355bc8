using System.Buffers;

namespace Dcgan.Nn.Data;

/// <summary>
/// Images held in memory as 8-bit CHW planes at their native size (IDX, CIFAR-10), resized and centre-cropped
/// to <see cref="ImageSize"/> on every read by <see cref="ImageResampler"/> and scaled to [-1, 1].
/// Reading allocates nothing in steady state (scratch comes from <see cref="ArrayPool{T}.Shared"/>).
/// </summary>
public sealed class InMemoryDataset : IImageDataset
{
    readonly byte[] pixels;
    readonly int sourceChannels, sourceImageBytes;
    readonly ImageResampler resampler;
    readonly byte[]? labels;

    public string Name { get; }
    public int Count { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public IReadOnlyList<byte>? Labels => labels;

    /// <param name="pixels">count images of sourceChannels×height×width bytes, CHW, one after another.</param>
    /// <param name="channels">1 or 3; grey sources are repeated to RGB, RGB sources converted to luma.</param>
    public InMemoryDataset(string name, byte[] pixels, int count, int sourceChannels, int height, int width,
                           int imageSize, int channels, byte[]? labels)
    {
        if (channels is not (1 or 3) || sourceChannels is not (1 or 3))
            throw new ArgumentException($"{name}: channels must be 1 or 3 (source {sourceChannels}, requested {channels})");
        if (imageSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "image size must be positive");
        sourceImageBytes = checked(sourceChannels * height * width);
        if (count <= 0 || pixels.LongLength != (long)count * sourceImageBytes)
            throw new ArgumentException($"{name}: {pixels.LongLength} pixel bytes for {count} images of {sourceImageBytes}");
        if (labels != null && labels.Length != count)
            throw new ArgumentException($"{name}: {labels.Length} labels for {count} images");
        Name = name;
        Count = count;
        Channels = channels;
        ImageSize = imageSize;
        this.pixels = pixels;
        this.sourceChannels = sourceChannels;
        this.labels = labels;
        resampler = new ImageResampler(height, width, imageSize);
    }

    public void ReadImage(int index, Span<float> chw)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images");
        int plane = ImageSize * ImageSize;
        if (chw.Length < Channels * plane)
            throw new ArgumentException($"destination holds {chw.Length} floats, image needs {Channels * plane}");
        var source = pixels.AsSpan(index * sourceImageBytes, sourceImageBytes);
        if (resampler.IsIdentity)
        {
            PixelConvert.ToUnitRange(source, sourceChannels, plane, chw, Channels);
            return;
        }

        byte[] resized = ArrayPool<byte>.Shared.Rent(sourceChannels * plane);
        float[] scratch = ArrayPool<float>.Shared.Rent(resampler.ScratchLength);
        try
        {
            int sourcePlane = sourceImageBytes / sourceChannels;
            for (int c = 0; c < sourceChannels; c++)
                resampler.Resample(source.Slice(c * sourcePlane, sourcePlane), resized.AsSpan(c * plane, plane), scratch);
            PixelConvert.ToUnitRange(resized, sourceChannels, plane, chw, Channels);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<byte>.Shared.Return(resized);
        }
    }

    public void Dispose() { }
}

/// <summary>MNIST-format data sets: an IDX image file (count×rows×cols) and an optional IDX label file.</summary>
public static class IdxDataset
{
    public static InMemoryDataset Open(string name, string imagesPath, string? labelsPath, int imageSize, int channels = 1)
    {
        var images = IdxFile.ReadImages(imagesPath);
        byte[]? labels = null;
        if (labelsPath != null)
        {
            labels = IdxFile.ReadLabels(labelsPath);
            if (labels.Length != images.Count)
                throw new DatasetException($"{labelsPath}: {labels.Length} labels; expected {images.Count}, one per image in {imagesPath}");
        }
        return new InMemoryDataset(name, images.Pixels, images.Count, 1, images.Rows, images.Cols, imageSize, channels, labels);
    }
}

namespace Dcgan.Nn.Data;

/// <summary>
/// Random images for smoke tests and benchmarks: pixel values uniform in [-1, 1], image i a pure function of
/// (seed, i) — the same in any order, on any thread, in any run.
/// </summary>
public sealed class FakeDataset : IImageDataset
{
    readonly long seed;

    public string Name => "fake";
    public int Count { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public IReadOnlyList<byte>? Labels => null;

    public FakeDataset(int count, int channels, int imageSize, long seed)
    {
        if (count <= 0 || channels <= 0 || imageSize <= 0)
            throw new ArgumentException($"fake data set needs positive count, channels and size (got {count}, {channels}, {imageSize})");
        Count = count;
        Channels = channels;
        ImageSize = imageSize;
        this.seed = seed;
    }

    public void ReadImage(int index, Span<float> chw)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"fake has {Count} images");
        var rng = DataRng.For(seed, index);
        int length = this.ImageLength();
        for (int i = 0; i < length; i++)
            chw[i] = rng.NextFloat() * 2f - 1f;
    }

    public void Dispose() { }
}

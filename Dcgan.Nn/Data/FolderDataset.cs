using System.Buffers;
using System.Collections.Concurrent;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Data;

/// <summary>What to do with an image file that cannot be identified or decoded.</summary>
public enum CorruptImagePolicy
{
    /// <summary>Leave it out and record it in <see cref="FolderDataset.Skipped"/>.</summary>
    Skip,
    /// <summary>Throw a <see cref="DatasetException"/> naming the file.</summary>
    Fail,
}

/// <summary>One image file that was left out, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);

public sealed record FolderOptions
{
    public CorruptImagePolicy OnCorrupt { get; init; } = CorruptImagePolicy.Skip;

    /// <summary>Where to keep the preprocessed cache (see <see cref="FolderImageCache"/>); null: no cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Images wider or taller than this are refused from their header, before decoding.</summary>
    public int MaxSide { get; init; } = 16384;

    /// <summary>Images with more pixels than this are refused from their header, before decoding.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Threads used to read headers at open and to build the cache.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// A directory tree of JPEG/PNG/BMP/GIF/WebP images (torchvision's ImageFolder as DCGAN uses it: labels are
/// ignored), decoded with ImageSharp 2.1 to RGB, resized so the shorter side is <see cref="ImageSize"/> and
/// centre-cropped (<see cref="ImageResampler"/>), then scaled to [-1, 1]. Files are ordered by relative path
/// (ordinal), so indices are stable for a given tree.
///
/// Opening reads every file's header (in parallel) and refuses unknown formats and images over the size caps
/// before any pixel is decoded. Without a cache, decoding happens inside <see cref="ReadImage"/>, i.e. on
/// <see cref="BatchLoader"/>'s worker threads. A file whose header was fine but whose pixels fail to decode is
/// found only then: with <see cref="CorruptImagePolicy.Skip"/> it is recorded and the next index (wrapping)
/// is read in its place, so batches keep their size and a run stays reproducible; with Fail it throws.
/// With <see cref="FolderOptions.CacheDirectory"/> set, every image is decoded once at open, in parallel, into
/// a raw uint8 file that later reads (and later runs) use instead of decoding.
/// </summary>
public sealed class FolderDataset : IImageDataset
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    readonly string root;
    readonly string[] files;          // every candidate, relative path order
    readonly int[] usable;            // dataset index → candidate index
    readonly FolderOptions options;
    readonly ConcurrentDictionary<int, string> skipped = new();
    readonly FolderImageCache? cache;

    public string Name { get; }
    public int Count => usable.Length;
    public int Channels { get; }
    public int ImageSize { get; }
    public IReadOnlyList<byte>? Labels => null;

    /// <summary>Path of the preprocessed cache in use, or null.</summary>
    public string? CachePath => cache?.Path;

    /// <summary>Files left out so far (at open, or found corrupt while reading), ordered by path.</summary>
    public IReadOnlyList<SkippedImage> Skipped =>
        [.. skipped.OrderBy(s => s.Key).Select(s => new SkippedImage(files[s.Key], s.Value))];

    public int SkippedCount => skipped.Count;

    FolderDataset(string name, string root, string[] files, int[] usable, IEnumerable<KeyValuePair<int, string>> skippedAtOpen,
                  int imageSize, int channels, FolderOptions options, FolderImageCache? cache)
    {
        Name = name;
        this.root = root;
        this.files = files;
        this.usable = usable;
        ImageSize = imageSize;
        Channels = channels;
        this.options = options;
        this.cache = cache;
        foreach (var (k, v) in skippedAtOpen)
            skipped[k] = v;
    }

    public static FolderDataset Open(string name, string root, int imageSize, int channels = 3, FolderOptions? options = null)
    {
        options ??= new FolderOptions();
        if (channels is not (1 or 3))
            throw new ArgumentException($"channels must be 1 or 3, got {channels}");
        if (!Directory.Exists(root))
            throw new DatasetException($"{root}: directory not found; expected a folder of {string.Join("/", Extensions)} images");

        string[] files = FindImages(root);
        if (files.Length == 0)
            throw new DatasetException($"{root}: no image files found; expected {string.Join(", ", Extensions)} files in the tree");

        FolderImageCache? cache = null;
        Dictionary<int, string> skippedAtOpen;
        if (options.CacheDirectory != null)
        {
            cache = FolderImageCache.OpenOrBuild(options.CacheDirectory, root, files, imageSize, options);
            skippedAtOpen = cache.Skipped;
        }
        else
        {
            var reasons = new string?[files.Length];
            Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism) },
                i => reasons[i] = CheckHeader(files[i], options));
            skippedAtOpen = [];
            for (int i = 0; i < files.Length; i++)
                if (reasons[i] is string reason)
                    skippedAtOpen[i] = reason;
        }

        if (options.OnCorrupt == CorruptImagePolicy.Fail && skippedAtOpen.Count > 0)
        {
            cache?.Dispose();
            var first = skippedAtOpen.MinBy(s => s.Key);
            throw new DatasetException($"{files[first.Key]}: {first.Value}; expected a readable image (policy: fail)");
        }
        int[] usable = [.. Enumerable.Range(0, files.Length).Where(i => !skippedAtOpen.ContainsKey(i))];
        if (usable.Length == 0)
        {
            cache?.Dispose();
            var first = skippedAtOpen.MinBy(s => s.Key);
            throw new DatasetException($"{root}: none of the {files.Length} image files is usable (first: {Path.GetFileName(files[first.Key])}: {first.Value}); expected at least one");
        }
        return new FolderDataset(name, root, files, usable, skippedAtOpen, imageSize, channels, options, cache);
    }

    /// <summary>Every image file under <paramref name="root"/>, by extension, sorted by relative path (ordinal).</summary>
    internal static string[] FindImages(string root)
    {
        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        return [.. Directory.EnumerateFiles(root, "*", enumeration)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => Path.GetRelativePath(root, f), StringComparer.Ordinal)];
    }

    /// <summary>Reads only the header; null when the image may be decoded, else the reason it may not.</summary>
    internal static string? CheckHeader(string path, FolderOptions options)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"unreadable header ({e.GetType().Name}: {e.Message})";
        }
        if (info == null)
            return "unknown image format";
        if (info.Width <= 0 || info.Height <= 0)
            return $"invalid size {info.Width}x{info.Height}";
        if (info.Width > options.MaxSide || info.Height > options.MaxSide)
            return $"{info.Width}x{info.Height} exceeds {options.MaxSide} pixels on a side";
        if ((long)info.Width * info.Height > options.MaxPixels)
            return $"{info.Width}x{info.Height} exceeds {options.MaxPixels} pixels";
        return null;
    }

    /// <summary>
    /// Decodes <paramref name="path"/> to RGB and writes the resized, centre-cropped 3×size×size bytes (CHW)
    /// into <paramref name="chw"/>. Returns null on success, else why the file cannot be used.
    /// </summary>
    internal static string? TryDecode(string path, int size, FolderOptions options, Span<byte> chw)
    {
        if (CheckHeader(path, options) is string headerProblem)
            return headerProblem;
        byte[] planes;
        int width, height;
        try
        {
            using var image = Image.Load<Rgb24>(path);
            (width, height) = (image.Width, image.Height);
            if (width > options.MaxSide || height > options.MaxSide || (long)width * height > options.MaxPixels)
                return $"decoded size {width}x{height} exceeds the caps";
            int plane = width * height;
            planes = new byte[3 * plane];
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        int i = y * width + x;
                        planes[i] = row[x].R;
                        planes[plane + i] = row[x].G;
                        planes[2 * plane + i] = row[x].B;
                    }
                }
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"decode failed ({e.GetType().Name}: {e.Message})";
        }

        var resampler = new ImageResampler(height, width, size);
        float[] scratch = ArrayPool<float>.Shared.Rent(Math.Max(1, resampler.ScratchLength));
        try
        {
            int sourcePlane = width * height, plane = size * size;
            for (int c = 0; c < 3; c++)
                resampler.Resample(planes.AsSpan(c * sourcePlane, sourcePlane), chw.Slice(c * plane, plane), scratch);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
        return null;
    }

    public void ReadImage(int index, Span<float> chw)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images");
        int plane = ImageSize * ImageSize;
        byte[] rgb = ArrayPool<byte>.Shared.Rent(3 * plane);
        try
        {
            var bytes = rgb.AsSpan(0, 3 * plane);
            if (cache != null)
            {
                cache.Read(usable[index], bytes);
            }
            else
            {
                // Try the image, then (Skip policy) the following ones, until one decodes.
                for (int attempt = 0; ; attempt++)
                {
                    if (attempt == Count)
                        throw new DatasetException($"{root}: no image in the folder decodes; expected at least one");
                    int candidate = usable[(index + attempt) % Count];
                    if (skipped.ContainsKey(candidate))
                        continue;
                    string? problem = TryDecode(files[candidate], ImageSize, options, bytes);
                    if (problem == null)
                        break;
                    if (options.OnCorrupt == CorruptImagePolicy.Fail)
                        throw new DatasetException($"{files[candidate]}: {problem}; expected a decodable image (policy: fail)");
                    skipped[candidate] = problem;
                }
            }
            PixelConvert.ToUnitRange(bytes, 3, plane, chw, Channels);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgb);
        }
    }

    public void Dispose() => cache?.Dispose();
}

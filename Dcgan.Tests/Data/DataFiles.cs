using System.Buffers.Binary;
using System.IO.Compression;

namespace Dcgan.Tests.Data;

/// <summary>Writers for the small data files the data tests build, and a scratch folder per test.</summary>
static class DataFiles
{
    /// <summary>A fresh empty folder under the temp directory; deleted by <see cref="Delete"/>.</summary>
    public static string NewFolder(string tag)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"dcgan-data-{tag}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    /// <summary>An IDX file: big-endian magic (0x08 type, rank), dims, then <paramref name="payload"/>.</summary>
    public static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
            gz.Write(data);
        return output.ToArray();
    }

    /// <summary>Writes images (count×rows×cols) and labels as IDX, gzip'ed or raw; returns the two paths.</summary>
    public static (string images, string labels) WriteIdxPair(string dir, byte[] pixels, int count, int rows, int cols, byte[] labels, bool gzip)
    {
        string suffix = gzip ? ".gz" : "";
        string images = Path.Combine(dir, "train-images-idx3-ubyte" + suffix);
        string labelPath = Path.Combine(dir, "train-labels-idx1-ubyte" + suffix);
        byte[] imageFile = Idx(0x803, [count, rows, cols], pixels);
        byte[] labelFile = Idx(0x801, [count], labels);
        File.WriteAllBytes(images, gzip ? Gzip(imageFile) : imageFile);
        File.WriteAllBytes(labelPath, gzip ? Gzip(labelFile) : labelFile);
        return (images, labelPath);
    }

    /// <summary>Pixels where image i, row y, col x = (i·7 + y·3 + x) mod 256: every image different, easy to predict.</summary>
    public static byte[] PatternPixels(int count, int rows, int cols)
    {
        var pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < cols; x++)
                    pixels[(i * rows + y) * cols + x] = (byte)((i * 7 + y * 3 + x) % 256);
        return pixels;
    }

    /// <summary>(v/255 − 0.5)/0.5, the value every loader must produce for byte v.</summary>
    public static float Unit(int v) => (v / 255f - 0.5f) / 0.5f;
}

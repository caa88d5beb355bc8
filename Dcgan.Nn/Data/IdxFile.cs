using System.Buffers.Binary;
using System.IO.Compression;

namespace Dcgan.Nn.Data;

/// <summary>
/// Reader for IDX files (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"), raw or gzip'ed (detected by the
/// gzip magic 1F 8B, not by the name). Only the unsigned-byte type is accepted:
///   images: magic 0x00000803, dims [count, rows, cols], then count·rows·cols bytes;
///   labels: magic 0x00000801, dims [count], then count bytes. All integers big-endian.
///
/// Nothing is allocated from a declared size until it has been checked: the dims' product is computed with
/// overflow checks, bounded by <see cref="MaxPayloadBytes"/>, and must match the file length (raw) or the
/// gzip trailer's ISIZE (the uncompressed length mod 2^32; for a multi-member gzip only the last member's,
/// so such files are refused). The trailer is as untrusted as the rest, so a gzip file must also be able to
/// hold what it claims: DEFLATE expands at most <see cref="MaxDeflateRatio"/>:1. Every failure is a one-line
/// <see cref="DatasetException"/> naming the file (seeded mutation test: IdxMutationTests).
/// </summary>
public static class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest payload read into one array (≈1.9 GB, just under .NET's byte[] limit).</summary>
    public const long MaxPayloadBytes = 2_000_000_000;

    /// <summary>DEFLATE's largest expansion (258-byte matches at ~2 bits each): a larger claim is a lie.</summary>
    public const long MaxDeflateRatio = 1032;

    /// <summary>Images as one row-major byte array: image i is Pixels[i·Rows·Cols ..].</summary>
    public sealed record Images(byte[] Pixels, int Count, int Rows, int Cols);

    public static Images ReadImages(string path, long maxPayloadBytes = MaxPayloadBytes)
    {
        var (dims, payload) = Read(path, ImagesMagic, "images", maxPayloadBytes);
        return new Images(payload, dims[0], dims[1], dims[2]);
    }

    public static byte[] ReadLabels(string path, long maxPayloadBytes = MaxPayloadBytes) =>
        Read(path, LabelsMagic, "labels", maxPayloadBytes).payload;

    /// <summary>Reads IDX images from a seekable stream; <paramref name="source"/> names it in messages.</summary>
    internal static Images ReadImages(Stream stream, string source, long maxPayloadBytes = MaxPayloadBytes)
    {
        var (dims, payload) = Read(stream, source, ImagesMagic, "images", maxPayloadBytes);
        return new Images(payload, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads IDX labels from a seekable stream; <paramref name="source"/> names it in messages.</summary>
    internal static byte[] ReadLabels(Stream stream, string source, long maxPayloadBytes = MaxPayloadBytes) =>
        Read(stream, source, LabelsMagic, "labels", maxPayloadBytes).payload;

    static (int[] dims, byte[] payload) Read(string path, int expectedMagic, string kind, long maxPayloadBytes)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path}: cannot open ({e.Message}); expected a readable IDX {kind} file", e);
        }

        using (file)
            return Read(file, path, expectedMagic, kind, maxPayloadBytes);
    }

    static (int[] dims, byte[] payload) Read(Stream file, string path, int expectedMagic, string kind, long maxPayloadBytes)
    {
        {
            long fileLength = file.Length;
            bool gzip = IsGzip(file);
            long available = fileLength;
            if (gzip)
            {
                if (fileLength < 18)
                    throw new DatasetException($"{path}: gzip file of {fileLength} bytes is truncated; expected at least 18 bytes (header and trailer)");
                Span<byte> trailer = stackalloc byte[4];
                file.Seek(-4, SeekOrigin.End);
                file.ReadExactly(trailer);
                file.Seek(0, SeekOrigin.Begin);
                available = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            }

            using Stream data = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            string what = gzip ? "decompressed data" : "file";
            try
            {
                // Magic: two zero bytes, type 0x08 (unsigned byte), number of dimensions.
                Span<byte> word = stackalloc byte[4];
                if (data.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                    throw new DatasetException($"{path}: {what} shorter than the 4-byte IDX magic; expected magic 0x{expectedMagic:X8} ({kind})");
                int magic = BinaryPrimitives.ReadInt32BigEndian(word);
                if (magic != expectedMagic)
                    throw new DatasetException($"{path}: magic 0x{magic:X8}, expected 0x{expectedMagic:X8} (IDX unsigned-byte {kind}, {expectedMagic & 0xFF} dimensions)");

                int rank = expectedMagic & 0xFF;
                var dims = new int[rank];
                for (int d = 0; d < rank; d++)
                {
                    if (data.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                        throw new DatasetException($"{path}: {what} ends inside the header; expected {rank} dimension sizes after the magic");
                    uint size = BinaryPrimitives.ReadUInt32BigEndian(word);
                    if (size == 0 || size > int.MaxValue)
                        throw new DatasetException($"{path}: dimension {d} is {size}; expected 1..{int.MaxValue}");
                    dims[d] = (int)size;
                }
                string shape = string.Join("x", dims);

                long header = 4 + 4L * rank;
                long payloadLength;
                try
                {
                    payloadLength = 1;
                    foreach (int d in dims)
                        payloadLength = checked(payloadLength * d);
                }
                catch (OverflowException)
                {
                    throw new DatasetException($"{path}: declared dims {shape} overflow a 64-bit byte count; expected a size that fits the file");
                }
                if (payloadLength > maxPayloadBytes)
                    throw new DatasetException($"{path}: declared dims {shape} need {payloadLength} bytes; expected at most {maxPayloadBytes}");

                long needed = header + payloadLength;
                if (gzip && needed > (fileLength - 18) * MaxDeflateRatio)
                    throw new DatasetException($"{path}: dims {shape} need {needed} bytes but a {fileLength}-byte gzip file holds at most {(fileLength - 18) * MaxDeflateRatio} (DEFLATE expands at most {MaxDeflateRatio}:1); file truncated or dims wrong");
                if (!gzip && needed != available)
                    throw new DatasetException(needed > available
                        ? $"{path}: file has {available} bytes but dims {shape} need {needed} (header {header} + data); file truncated or dims wrong"
                        : $"{path}: file has {available} bytes, {available - needed} more than dims {shape} need ({needed}); expected no trailing data");
                if (gzip && (needed & 0xFFFFFFFF) != available)
                    throw new DatasetException($"{path}: gzip trailer says {available} bytes uncompressed but dims {shape} need {needed} (header {header} + data); file truncated or dims wrong");

                var payload = new byte[payloadLength];
                int got = data.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false);
                if (got < payload.Length)
                    throw new DatasetException($"{path}: {what} ends after {header + got} bytes; dims {shape} need {needed}");
                if (data.ReadByte() >= 0)
                    throw new DatasetException($"{path}: {what} continues past the {needed} bytes dims {shape} need; expected no trailing data");
                return (dims, payload);
            }
            catch (InvalidDataException e)
            {
                throw new DatasetException($"{path}: corrupt gzip stream ({e.Message}); expected a valid .gz IDX {kind} file", e);
            }
            catch (IOException e)
            {
                throw new DatasetException($"{path}: read failed ({e.Message}); expected a readable IDX {kind} file", e);
            }
        }
    }

    static bool IsGzip(Stream file)
    {
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Seek(0, SeekOrigin.Begin);
        return n == 2 && head[0] == 0x1F && head[1] == 0x8B;
    }
}

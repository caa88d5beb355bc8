using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Dcgan.Nn.Data;

/// <summary>
/// Preprocessed images of one folder at one size: a single raw file of uint8 RGB CHW images, so later epochs
/// and later runs skip decoding. Named images-{size}px-{fingerprint prefix}.u8; rebuilt whenever its header
/// does not match. Layout (little-endian):
///   0   8  magic "DCGANIC1"
///   8   4  format version (1)
///   12  4  slot count N (one per candidate file, in relative-path order)
///   16  4  image size S
///   20  4  channels C (3)
///   24 32  fingerprint: SHA-256 of the format, S, and every file's relative path, length and mtime
///   56  4  skipped count K
///   60  8  trailer offset T = 68 + N·C·S²
///   68     N images of C·S² bytes (a skipped file's slot is zeros)
///   T      K entries: u32 slot, u16 byte length, UTF-8 reason
/// The file is written to a temporary name and renamed into place, so a half-written cache is never used.
/// </summary>
public sealed class FolderImageCache : IDisposable
{
    const int HeaderBytes = 68, Version = 1, CacheChannels = 3;
    static ReadOnlySpan<byte> Magic => "DCGANIC1"u8;

    readonly SafeFileHandle handle;
    readonly int imageBytes;

    public string Path { get; }
    public int Slots { get; }
    /// <summary>Slot → reason, for files left out.</summary>
    public Dictionary<int, string> Skipped { get; }
    /// <summary>True when this open decoded the images (no valid cache was found).</summary>
    public bool Built { get; }

    FolderImageCache(string path, SafeFileHandle handle, int slots, int imageBytes, Dictionary<int, string> skipped, bool built)
    {
        Path = path;
        this.handle = handle;
        Slots = slots;
        this.imageBytes = imageBytes;
        Skipped = skipped;
        Built = built;
    }

    public static FolderImageCache OpenOrBuild(string cacheDirectory, string root, string[] files, int size, FolderOptions options)
    {
        byte[] fingerprint = Fingerprint(root, files, size);
        Directory.CreateDirectory(cacheDirectory);
        string path = System.IO.Path.Combine(cacheDirectory, $"images-{size}px-{Convert.ToHexStringLower(fingerprint)[..16]}.u8");
        int imageBytes = checked(CacheChannels * size * size);

        if (File.Exists(path) && TryOpen(path, files.Length, size, imageBytes, fingerprint) is FolderImageCache existing)
            return existing;

        Build(path, files, size, imageBytes, fingerprint, options);
        return TryOpen(path, files.Length, size, imageBytes, fingerprint, built: true)
            ?? throw new DatasetException($"{path}: cache just written does not validate; expected a readable cache file");
    }

    /// <summary>Copies slot <paramref name="slot"/>'s C·S² bytes into <paramref name="destination"/>. Thread-safe.</summary>
    public void Read(int slot, Span<byte> destination)
    {
        long offset = HeaderBytes + (long)slot * imageBytes;
        int got = RandomAccess.Read(handle, destination[..imageBytes], offset);
        if (got != imageBytes)
            throw new DatasetException($"{Path}: short read at slot {slot} ({got} of {imageBytes} bytes); expected an intact cache file");
    }

    public void Dispose() => handle.Dispose();

    static byte[] Fingerprint(string root, string[] files, int size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"dcgan folder cache v{Version}; resize+centre-crop PIL-bilinear; size {size}; channels {CacheChannels}\n"));
        foreach (string file in files)
        {
            var info = new FileInfo(file);
            hash.AppendData(Encoding.UTF8.GetBytes($"{System.IO.Path.GetRelativePath(root, file)}\0{info.Length}\0{info.LastWriteTimeUtc.Ticks}\n"));
        }
        return hash.GetHashAndReset();
    }

    static void Build(string path, string[] files, int size, int imageBytes, byte[] fingerprint, FolderOptions options)
    {
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        long trailerOffset = checked(HeaderBytes + (long)files.Length * imageBytes);
        var reasons = new string?[files.Length];
        try
        {
            using (var output = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, trailerOffset))
            {
                // Decode every file in parallel; each writes its own slot.
                Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism) },
                    () => new byte[imageBytes],
                    (i, _, buffer) =>
                    {
                        reasons[i] = FolderDataset.TryDecode(files[i], size, options, buffer);
                        if (reasons[i] == null)
                            RandomAccess.Write(output, buffer, HeaderBytes + (long)i * imageBytes);
                        return buffer;
                    },
                    _ => { });

                if (options.OnCorrupt == CorruptImagePolicy.Fail && Array.FindIndex(reasons, r => r != null) is int bad and >= 0)
                    throw new DatasetException($"{files[bad]}: {reasons[bad]}; expected a decodable image (policy: fail)");

                using var trailer = new MemoryStream();
                int skippedCount = 0;
                Span<byte> entry = stackalloc byte[6];
                for (int i = 0; i < files.Length; i++)
                {
                    if (reasons[i] is not string reason)
                        continue;
                    byte[] text = Encoding.UTF8.GetBytes(reason.Length > 1000 ? reason[..1000] : reason);
                    BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)i);
                    BinaryPrimitives.WriteUInt16LittleEndian(entry[4..], (ushort)text.Length);
                    trailer.Write(entry);
                    trailer.Write(text);
                    skippedCount++;
                }
                RandomAccess.Write(output, trailer.ToArray(), trailerOffset);

                Span<byte> header = stackalloc byte[HeaderBytes];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
                BinaryPrimitives.WriteInt32LittleEndian(header[12..], files.Length);
                BinaryPrimitives.WriteInt32LittleEndian(header[16..], size);
                BinaryPrimitives.WriteInt32LittleEndian(header[20..], CacheChannels);
                fingerprint.CopyTo(header[24..]);
                BinaryPrimitives.WriteInt32LittleEndian(header[56..], skippedCount);
                BinaryPrimitives.WriteInt64LittleEndian(header[60..], trailerOffset);
                RandomAccess.Write(output, header, 0);
                RandomAccess.FlushToDisk(output);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path}: cannot write the image cache ({e.Message}); expected a writable cache directory", e);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Opens and validates an existing cache; null when it is absent, stale or damaged.</summary>
    static FolderImageCache? TryOpen(string path, int slots, int size, int imageBytes, byte[] fingerprint, bool built = false)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (IOException)
        {
            return null;
        }
        try
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (length < HeaderBytes || RandomAccess.Read(handle, header, 0) != HeaderBytes)
                return Reject(handle);
            long trailerOffset = BinaryPrimitives.ReadInt64LittleEndian(header[60..]);
            int skippedCount = BinaryPrimitives.ReadInt32LittleEndian(header[56..]);
            bool valid = header[..8].SequenceEqual(Magic)
                && BinaryPrimitives.ReadInt32LittleEndian(header[8..]) == Version
                && BinaryPrimitives.ReadInt32LittleEndian(header[12..]) == slots
                && BinaryPrimitives.ReadInt32LittleEndian(header[16..]) == size
                && BinaryPrimitives.ReadInt32LittleEndian(header[20..]) == CacheChannels
                && header.Slice(24, 32).SequenceEqual(fingerprint)
                && trailerOffset == HeaderBytes + (long)slots * imageBytes
                && trailerOffset <= length
                && skippedCount >= 0 && skippedCount <= slots
                && length - trailerOffset <= (long)skippedCount * (6 + ushort.MaxValue);
            if (!valid)
                return Reject(handle);

            var trailer = new byte[length - trailerOffset];
            RandomAccess.Read(handle, trailer, trailerOffset);
            var skipped = new Dictionary<int, string>();
            int at = 0;
            for (int k = 0; k < skippedCount; k++)
            {
                if (at + 6 > trailer.Length)
                    return Reject(handle);
                int slot = (int)BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(at));
                int textLength = BinaryPrimitives.ReadUInt16LittleEndian(trailer.AsSpan(at + 4));
                at += 6;
                if (slot < 0 || slot >= slots || at + textLength > trailer.Length)
                    return Reject(handle);
                skipped[slot] = Encoding.UTF8.GetString(trailer, at, textLength);
                at += textLength;
            }
            if (at != trailer.Length)
                return Reject(handle);
            return new FolderImageCache(path, handle, slots, imageBytes, skipped, built);
        }
        catch (IOException)
        {
            return Reject(handle);
        }
    }

    static FolderImageCache? Reject(SafeFileHandle handle)
    {
        handle.Dispose();
        return null;
    }
}

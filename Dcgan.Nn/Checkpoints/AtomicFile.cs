// Crash-safe file replacement: write everything to a temporary file next to the target, flush it to the
// disk, then rename it over the target. A reader sees the old file or the new one, never a half-written one.
// Used by checkpoints (Safetensors.cs) and by every image/plot the trainer writes (Imaging/).
using System.Security.Cryptography;

namespace Dcgan.Nn.Checkpoints;

public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>. The bytes go to
    /// <c>path.tmp-&lt;random&gt;</c> in the same directory (so the final rename stays on one file system),
    /// are flushed with <see cref="FileStream.Flush(bool)"/>(true), and the temporary file is then moved over
    /// <paramref name="path"/>. If <paramref name="write"/> throws, the temporary file is deleted, the old
    /// file is left untouched and the exception propagates.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string target = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"'{path}' names no file inside a directory", nameof(path));
        string temporary = Path.Combine(directory, $"{Path.GetFileName(target)}.tmp-{RandomSuffix()}");

        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                       bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) =>
        Write(path, stream => stream.Write(bytes.Span));

    static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Best effort: the original exception is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

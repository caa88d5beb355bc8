using System.Buffers.Binary;
using System.Diagnostics;
using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

/// <summary>
/// Seeded fuzzing of the IDX reader: thousands of corrupted variants of small valid image and label files, raw
/// and gzip'ed. Each must either read into a consistent result or throw a one-line DatasetException naming the
/// file — never another exception, never a hang, never an allocation sized by a lie in the file (a dims field,
/// or the gzip trailer's ISIZE).
/// </summary>
public sealed class IdxMutationTests
{
    const int CasesPerSeedFile = 2600;

    // Seed files are a few hundred bytes; a reader that believed a dimension or an ISIZE would allocate MBs to GBs.
    const long AllocationLimitBytes = 1 << 20;

    enum Mutation { BitFlips, ByteOverwrite, Truncate, Extend, Splice, Dimension, Magic, GzipTrailer, GzipBody, Rewrap }

    static readonly (string Name, bool Images, byte[] Bytes)[] SeedFiles = BuildSeeds();

    static (string, bool, byte[])[] BuildSeeds()
    {
        byte[] images = DataFiles.Idx(IdxFile.ImagesMagic, [3, 5, 7], DataFiles.PatternPixels(3, 5, 7));
        byte[] labels = DataFiles.Idx(IdxFile.LabelsMagic, [9], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        return
        [
            ("images raw", true, images), ("images gz", true, DataFiles.Gzip(images)),
            ("labels raw", false, labels), ("labels gz", false, DataFiles.Gzip(labels)),
        ];
    }

    static readonly uint[] InterestingDims =
    [
        0, 1, 2, 3, 5, 7, 9, 255, 256, 65535, 65536, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1_000_000, 46341, 2_000_000_000,
    ];

    [Test]
    public void EveryMutantReadsConsistentlyOrFailsWithADatasetException()
    {
        var outcomes = new Dictionary<string, int> { ["read"] = 0, ["rejected"] = 0 };
        var watch = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        int cases = 0;
        for (int s = 0; s < SeedFiles.Length; s++)
        {
            var (seedName, isImages, seed) = SeedFiles[s];
            for (int i = 0; i < CasesPerSeedFile; i++, cases++)
            {
                var random = new Random(7_919 * s + i);
                var mutation = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
                byte[] mutant = Mutate(seed, mutation, random);
                string label = $"{seedName} case {i} ({mutation})";

                var caseWatch = Stopwatch.StartNew();
                long before = GC.GetAllocatedBytesForCurrentThread();
                string outcome = ReadOne(mutant, isImages, label);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                caseWatch.Stop();
                outcomes[outcome]++;
                if (caseWatch.Elapsed > slowest)
                    slowest = caseWatch.Elapsed;
                if (allocated > AllocationLimitBytes)
                    Assert.Fail($"{label}: allocated {allocated} bytes reading a {mutant.Length}-byte file; expected at most {AllocationLimitBytes}");
            }
        }
        TestContext.Out.WriteLine($"{cases} mutants: {outcomes["read"]} read, {outcomes["rejected"]} rejected, " +
                                  $"{watch.Elapsed.TotalSeconds:F2} s total, slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.That(cases, Is.GreaterThanOrEqualTo(10_000));
        Assert.That(outcomes["rejected"], Is.GreaterThan(cases / 4), "mutations should mostly break the file");
        Assert.That(outcomes["read"], Is.GreaterThan(100), "some mutations (pixel bytes) should stay valid");
        Assert.That(slowest, Is.LessThan(TimeSpan.FromSeconds(1)), "no single file may take long to reject");
    }

    static string ReadOne(byte[] mutant, bool isImages, string label)
    {
        const string source = "mutant-idx";
        try
        {
            using var stream = new MemoryStream(mutant, writable: false);
            if (isImages)
            {
                var images = IdxFile.ReadImages(stream, source);
                Assert.That(images.Pixels.LongLength, Is.EqualTo((long)images.Count * images.Rows * images.Cols), label);
                Assert.That(images.Count, Is.Positive, label);
            }
            else
                Assert.That(IdxFile.ReadLabels(stream, source), Is.Not.Empty, label);
            return "read";
        }
        catch (DatasetException e)
        {
            if (!e.Message.StartsWith(source + ": ", StringComparison.Ordinal) || e.Message.Contains('\n') || e.Message.Contains('\r'))
                Assert.Fail($"{label}: message is not one line naming the file: {e.Message}");
            return "rejected";
        }
        catch (Exception e) when (e is not AssertionException)
        {
            Assert.Fail($"{label}: threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(mutant)}");
            throw;
        }
    }

    static byte[] Mutate(byte[] seed, Mutation mutation, Random random)
    {
        bool gzip = seed[0] == 0x1F && seed[1] == 0x8B;
        byte[] bytes = (byte[])seed.Clone();
        switch (mutation)
        {
            case Mutation.BitFlips:
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    // Half of the flips land in the first 16 bytes: the magic and the dims (or the gzip header).
                    int at = random.Next(2) == 0 ? random.Next(Math.Min(16, bytes.Length)) : random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case Mutation.ByteOverwrite:
                for (int k = random.Next(1, 4); k > 0; k--)
                    bytes[random.Next(bytes.Length)] = (byte)(random.Next(3) switch { 0 => 0, 1 => 0xFF, _ => random.Next(256) });
                return bytes;
            case Mutation.Truncate:
                return bytes[..random.Next(bytes.Length)];
            case Mutation.Extend:
            {
                var extra = new byte[random.Next(1, 40)];
                random.NextBytes(extra);
                return [.. bytes, .. extra];
            }
            case Mutation.Splice:
            {
                int at = random.Next(bytes.Length);
                int remove = random.Next(Math.Min(8, bytes.Length - at) + 1);
                var insert = new byte[random.Next(0, 8)];
                random.NextBytes(insert);
                return [.. bytes[..at], .. insert, .. bytes[(at + remove)..]];
            }
            case Mutation.GzipTrailer when gzip:
            {
                // The ISIZE field: zero, the truth ± 1, a huge claim, or random.
                uint truth = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
                uint[] claims = [0, truth - 1, truth + 1, 0xFFFFFFFF, 0x7FFFFFFF, 16 + 1_000_000, (uint)random.Next()];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), claims[random.Next(claims.Length)]);
                return bytes;
            }
            case Mutation.GzipBody when gzip:
            {
                // Corrupt the DEFLATE stream between the 10-byte header and the 8-byte trailer.
                int body = bytes.Length - 18;
                for (int k = random.Next(1, 3); k > 0; k--)
                    bytes[10 + random.Next(body)] ^= (byte)(1 << random.Next(8));
                return bytes;
            }
            default:
            {
                // Edit the plain IDX (dims or magic), then gzip again when the seed was gzip'ed, so the edit
                // reaches the header checks with a valid gzip frame around it.
                byte[] plain = gzip ? Gunzip(seed) : bytes;
                int rank = plain[3];
                if (mutation == Mutation.Magic)
                    plain[random.Next(4)] = (byte)random.Next(256);
                else
                {
                    int d = random.Next(Math.Max(rank, 1));
                    BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(4 + 4 * d), InterestingDims[random.Next(InterestingDims.Length)]);
                }
                if (mutation == Mutation.Rewrap && random.Next(2) == 0)
                    plain = plain[..random.Next(plain.Length)];
                return gzip ? DataFiles.Gzip(plain) : plain;
            }
        }
    }

    static byte[] Gunzip(byte[] data)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Test]
    public void AGzipTrailerClaimingMoreThanDeflateCanHoldIsRefusedBeforeAllocating()
    {
        // Dims of 1000×1000×1000 pixels, an ISIZE to match, and 64 KiB of incompressible pixels (so the inflater
        // does not reach the trailer while the header is read): a 64 KiB file claiming 1 GB.
        var pixels = new byte[1 << 16];
        new Random(1).NextBytes(pixels);
        byte[] plain = DataFiles.Idx(IdxFile.ImagesMagic, [1000, 1000, 1000], pixels);
        byte[] gz = DataFiles.Gzip(plain);
        BinaryPrimitives.WriteUInt32LittleEndian(gz.AsSpan(gz.Length - 4), (uint)((16 + 1_000_000_000L) & 0xFFFFFFFF));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(new MemoryStream(gz), "claims.gz"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(AllocationLimitBytes));
        Assert.That(e!.Message, Does.StartWith("claims.gz: dims 1000x1000x1000 need 1000000016 bytes but a"));
        Assert.That(e.Message, Does.Contain("DEFLATE expands at most 1032:1"));
    }
}

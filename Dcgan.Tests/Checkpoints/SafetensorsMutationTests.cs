using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Dcgan.Nn.Checkpoints;

namespace Dcgan.Tests.Checkpoints;

/// <summary>
/// Seeded fuzzing of the reader: thousands of corrupted variants of a few valid files. Each one must either
/// read into a consistent object or throw a one-line CheckpointException — never another exception, never a
/// hang, never an allocation sized by a lie in the file.
/// </summary>
public sealed partial class SafetensorsMutationTests
{
    const int CasesPerSeedFile = 3000;

    // A case reads a file of at most a few KiB; a parse that believes a size from the file would allocate
    // far more than this.
    const long AllocationLimitBytes = 4 << 20;

    static readonly (string Name, byte[] Bytes)[] SeedFiles =
    [
        ("pytorch", SafetensorsTestFiles.PyTorchBatchNorm()),
        ("mixed", SafetensorsTestFiles.Mixed()),
        ("spaced", SafetensorsTestFiles.Spaced()),
        ("empty", SafetensorsTestFiles.Empty()),
    ];

    enum Mutation
    {
        BitFlips, ByteOverwrite, Truncate, Extend, Splice, HeaderLength, JsonNumber, JsonSwapOffsets, JsonDtype,
        JsonTextEdit, JsonDuplicateEntry,
    }

    [Test]
    public void EveryMutantReadsConsistentlyOrFailsWithACheckpointException()
    {
        var outcomes = new Dictionary<string, int> { ["read"] = 0, ["rejected"] = 0 };
        var watch = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        int cases = 0;

        for (int s = 0; s < SeedFiles.Length; s++)
        {
            var (seedName, seed) = SeedFiles[s];
            for (int i = 0; i < CasesPerSeedFile; i++, cases++)
            {
                var random = new Random(1_000_003 * s + i);
                var mutation = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
                byte[] mutant = Mutate(seed, mutation, random);
                string label = $"{seedName} case {i} ({mutation})";

                var caseWatch = Stopwatch.StartNew();
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                string outcome = ReadOne(mutant, label);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                caseWatch.Stop();

                outcomes[outcome]++;
                if (caseWatch.Elapsed > slowest)
                    slowest = caseWatch.Elapsed;
                if (allocated > AllocationLimitBytes)
                    Assert.Fail($"{label}: allocated {allocated} bytes reading a {mutant.Length}-byte file; " +
                                $"expected at most {AllocationLimitBytes}");
            }
        }

        TestContext.Out.WriteLine($"{cases} mutants: {outcomes["read"]} read, {outcomes["rejected"]} rejected, " +
                                  $"{watch.Elapsed.TotalSeconds:F2} s total, slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.That(cases, Is.GreaterThanOrEqualTo(10_000));
        Assert.That(outcomes["rejected"], Is.GreaterThan(cases / 4), "mutations should mostly break the file");
        Assert.That(outcomes["read"], Is.GreaterThan(100), "some mutations (data bytes) should stay valid");
        Assert.That(slowest, Is.LessThan(TimeSpan.FromSeconds(1)), "no single file may take long to reject");
    }

    /// <summary>Reads one mutant; fails the test on anything but success or a one-line CheckpointException.</summary>
    static string ReadOne(byte[] mutant, string label)
    {
        SafetensorsFile file;
        try
        {
            file = SafetensorsFile.Parse(mutant, "mutant.safetensors");
        }
        catch (CheckpointException e)
        {
            if (!e.Message.StartsWith("mutant.safetensors: ", StringComparison.Ordinal) ||
                e.Message.Contains('\n') || e.Message.Contains('\r'))
                Assert.Fail($"{label}: message is not one line naming the file: {e.Message}");
            return "rejected";
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(mutant)}");
            throw;
        }
        AssertConsistent(file, mutant, label);
        return "read";
    }

    static void AssertConsistent(SafetensorsFile file, byte[] mutant, string label)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(mutant);
        long dataLength = mutant.Length - 8 - (long)headerLength;
        long total = 0;
        Assert.That(file.Names, Has.Count.EqualTo(file.Tensors.Count), label);
        foreach (string name in file.Names)
        {
            var tensor = file.Tensors[name];
            long count = 1;
            foreach (long dim in tensor.Shape)
            {
                Assert.That(dim, Is.GreaterThanOrEqualTo(0), label);
                count *= dim;
            }
            Assert.That(tensor.ElementCount, Is.EqualTo(count), label);
            Assert.That(tensor.Data.LongLength, Is.EqualTo(count * tensor.Dtype.SizeInBytes()), label);
            total += tensor.Data.LongLength;

            // The typed getter for the tensor's own dtype and shape must work.
            if (tensor.Shape.All(d => d <= int.MaxValue))
            {
                int[] shape = tensor.Shape.Select(d => (int)d).ToArray();
                int length = tensor.Dtype switch
                {
                    SafetensorsDtype.F32 => file.GetFloat32(name, shape).Length,
                    SafetensorsDtype.F64 => file.GetFloat64(name, shape).Length,
                    SafetensorsDtype.I64 => file.GetInt64(name, shape).Length,
                    SafetensorsDtype.I32 => file.GetInt32(name, shape).Length,
                    _ => (int)count,
                };
                Assert.That(length, Is.EqualTo(count), label);
            }
        }
        Assert.That(total, Is.EqualTo(dataLength), $"{label}: tensors must cover the data buffer");
    }

    // ---- mutations ---------------------------------------------------------------------------------------

    static readonly byte[] InterestingBytes = [.. "{}[]\":,-0129e. \\"u8, 0, 0x7F, 0x80, 0xC0, 0xFF];

    static readonly string[] InterestingNumbers =
    [
        "0", "-0", "1", "-1", "7", "8", "9", "16", "4294967295", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e3", "1.5", "-8", "2305843009213693952",
        "99999999999999999999999999", "1E400",
    ];

    static readonly string[] Dtypes = ["F32", "F64", "I64", "I32", "U8", "F16", "BF16", "BOOL", "F31", "f32", "", "I128", "U64"];

    static byte[] Mutate(byte[] seed, Mutation mutation, Random random)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(seed);
        int headerEnd = 8 + (int)headerLength;
        byte[] bytes = (byte[])seed.Clone();
        switch (mutation)
        {
            case Mutation.BitFlips:
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    // Three flips in four land in the prefix or header, where the checks are.
                    int at = random.Next(4) > 0 ? random.Next(Math.Min(headerEnd, bytes.Length)) : random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case Mutation.ByteOverwrite:
                for (int k = random.Next(1, 4); k > 0; k--)
                    bytes[random.Next(bytes.Length)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                return bytes;
            case Mutation.Truncate:
                return bytes[..random.Next(bytes.Length)];
            case Mutation.Extend:
            {
                var extra = new byte[random.Next(1, 64)];
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
            case Mutation.HeaderLength:
            {
                ulong[] candidates =
                [
                    0, 1, 2, headerLength - 1, headerLength + 1, headerLength - 8, headerLength + 8,
                    (ulong)bytes.Length - 8, (ulong)bytes.Length - 7, (ulong)bytes.Length, SafetensorsFile.MaxHeaderBytes,
                    SafetensorsFile.MaxHeaderBytes + 1, uint.MaxValue, long.MaxValue, ulong.MaxValue,
                    (ulong)random.NextInt64(), headerLength ^ (1UL << random.Next(64)),
                ];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, candidates[random.Next(candidates.Length)]);
                return bytes;
            }
            default:
                return MutateJson(seed, headerEnd, mutation, random);
        }
    }

    /// <summary>Edits the header as text, then re-frames the file with a correct header length (usually) so
    /// the mutant gets past the framing checks and into the semantic ones.</summary>
    static byte[] MutateJson(byte[] seed, int headerEnd, Mutation mutation, Random random)
    {
        string header = Encoding.UTF8.GetString(seed, 8, headerEnd - 8);
        byte[] data = seed[headerEnd..];
        string edited = mutation switch
        {
            Mutation.JsonNumber => ReplaceRandom(Number(), header, random,
                _ => InterestingNumbers[random.Next(InterestingNumbers.Length)]),
            Mutation.JsonSwapOffsets => SwapOffsets(header, random),
            Mutation.JsonDtype => ReplaceRandom(DtypeValue(), header, random,
                _ => $"\"dtype\":\"{Dtypes[random.Next(Dtypes.Length)]}\""),
            Mutation.JsonDuplicateEntry => DuplicateEntry(header, random),
            _ => TextEdit(header, random),
        };
        if (random.Next(4) == 0)
            data = data[..random.Next(data.Length + 1)];
        byte[] headerBytes = Encoding.UTF8.GetBytes(edited);
        ulong length = random.Next(10) == 0 ? (ulong)random.Next(headerBytes.Length + 2) : (ulong)headerBytes.Length;
        return SafetensorsTestFiles.Build(edited, data, length);
    }

    static string ReplaceRandom(Regex pattern, string text, Random random, Func<Match, string> replacement)
    {
        var matches = pattern.Matches(text);
        if (matches.Count == 0)
            return text;
        var match = matches[random.Next(matches.Count)];
        return text[..match.Index] + replacement(match) + text[(match.Index + match.Length)..];
    }

    static string SwapOffsets(string header, Random random)
    {
        var matches = Offsets().Matches(header);
        if (matches.Count == 0)
            return header;
        var a = matches[random.Next(matches.Count)];
        var b = matches[random.Next(matches.Count)];
        if (a.Index == b.Index)
        {
            // Swap begin and end within one tensor.
            return header[..a.Index] + $"[{a.Groups[2].Value},{a.Groups[1].Value}]" + header[(a.Index + a.Length)..];
        }
        if (a.Index > b.Index)
            (a, b) = (b, a);
        return header[..a.Index] + b.Value + header[(a.Index + a.Length)..b.Index] + a.Value + header[(b.Index + b.Length)..];
    }

    static string DuplicateEntry(string header, Random random)
    {
        var matches = Entry().Matches(header);
        if (matches.Count == 0)
            return header;
        var entry = matches[random.Next(matches.Count)];
        string copy = random.Next(2) == 0 ? entry.Value : entry.Value.Replace("\":", "_copy\":", StringComparison.Ordinal);
        return header[..entry.Index] + copy + "," + header[entry.Index..];
    }

    static readonly string[] JsonFragments =
    [
        "\"x\":{},", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\\ud800", "\\udc00\\ud800", "\\u0000", "\\n", "null,", "\"__metadata__\":{},",
    ];

    static string TextEdit(string header, Random random)
    {
        int at = random.Next(header.Length + 1);
        return random.Next(3) switch
        {
            0 when at < header.Length => header.Remove(at, 1),
            1 => header.Insert(at, ((char)InterestingBytes[random.Next(InterestingBytes.Length - 5)]).ToString()),
            _ => header.Insert(at, JsonFragments[random.Next(JsonFragments.Length)]),
        };
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][+-]?\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"""dtype""\s*:\s*""[^""]*""")]
    private static partial Regex DtypeValue();

    [GeneratedRegex(@"\[\s*(\d+)\s*,\s*(\d+)\s*\]")]
    private static partial Regex Offsets();

    [GeneratedRegex(@"""[^""]+""\s*:\s*\{[^{}]*\}")]
    private static partial Regex Entry();
}

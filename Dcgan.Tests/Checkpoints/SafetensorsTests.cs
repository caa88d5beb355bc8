using System.Buffers.Binary;
using System.Text;
using Dcgan.Nn.Checkpoints;
using static Dcgan.Tests.Checkpoints.SafetensorsTestFiles;

namespace Dcgan.Tests.Checkpoints;

/// <summary>Bit-exact round trips, PyTorch's layout, atomic writes and each reader check with its message.</summary>
public sealed class SafetensorsTests
{
    string directory = "";

    [SetUp]
    public void CreateDirectory() =>
        directory = Directory.CreateTempSubdirectory("dcgan-safetensors-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    string PathOf(string name) => Path.Combine(directory, name);

    // ---- round trips -------------------------------------------------------------------------------------

    static readonly float[] OddFloats =
    [
        0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, BitConverter.Int32BitsToSingle(0x007FFFFF),
        float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity,
        BitConverter.Int32BitsToSingle(0x7FC00000), BitConverter.Int32BitsToSingle(0x7F800001),
        BitConverter.Int32BitsToSingle(0x7FC12345), BitConverter.Int32BitsToSingle(unchecked((int)0xFFFFFFFF)),
        MathF.PI, 1e-30f,
    ];

    static readonly double[] OddDoubles =
    [
        0d, -0d, double.Epsilon, BitConverter.Int64BitsToDouble(0x000FFFFFFFFFFFFF), double.MaxValue,
        double.NegativeInfinity, BitConverter.Int64BitsToDouble(0x7FF0000000000001),
        BitConverter.Int64BitsToDouble(0x7FF8DEADBEEF0001), BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000)),
        Math.E,
    ];

    static readonly long[] OddLongs = [0, 1, -1, long.MinValue, long.MaxValue, 0x0123456789ABCDEF];

    [Test]
    public void Float32Float64Int64RoundTripBitExactThroughAFile()
    {
        string path = PathOf("odd.safetensors");
        new SafetensorsWriter()
            .Add("f32", [OddFloats.Length], OddFloats)
            .Add("f64", [OddDoubles.Length], OddDoubles)
            .Add("i64", [2, 3], OddLongs)
            .Write(path);

        var file = SafetensorsFile.Read(path);
        Assert.That(file.GetFloat32("f32").Select(BitConverter.SingleToInt32Bits),
            Is.EqualTo(OddFloats.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(file.GetFloat64("f64").Select(BitConverter.DoubleToInt64Bits),
            Is.EqualTo(OddDoubles.Select(BitConverter.DoubleToInt64Bits)));
        Assert.That(file.GetInt64("i64", [2, 3]), Is.EqualTo(OddLongs));
        Assert.That(file.Names, Is.EqualTo(new[] { "f32", "f64", "i64" }), "tensor order is the order added");
        Assert.That(file.Tensors["i64"].Shape, Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public void ScalarsEmptyTensorsAndMetadataRoundTrip()
    {
        var file = SafetensorsFile.Parse(Mixed(), "mixed");
        Assert.That(file.Metadata, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["epoch"] = "3", ["note"] = "mixed \"dtypes\"",
        }));
        Assert.That(file.GetInt64("bn.num_batches_tracked", []), Is.EqualTo(new[] { 42L }));
        Assert.That(file.GetFloat32("empty", [0, 4]), Is.Empty);
        Assert.That(file.GetInt32("odd", [1, 1, 1]), Is.EqualTo(new[] { -7 }));
        Assert.That(file.GetFloat32("conv.weight", [2, 1, 3, 3])[17], Is.EqualTo(2.25f));
        Assert.That(file.GetFloat64("bn.running_var")[2], Is.EqualTo(double.Epsilon));
    }

    [Test]
    public void MetadataWithUnicodeAndEscapesRoundTrips()
    {
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["args"] = "{\"lr\": 0.0002, \"beta1\": 0.5}\n\ttab";
        writer.Metadata["ünïcødé ✓"] = "日本語 <&>";
        writer.Add("x", [1], new[] { 1f });
        var file = SafetensorsFile.Parse(writer.ToArray());
        Assert.That(file.Metadata, Is.EquivalentTo(writer.Metadata));
    }

    [Test]
    public void OutputIsDeterministicAndTheDataBufferIs8ByteAligned()
    {
        byte[] first = Mixed();
        byte[] second = Mixed();
        Assert.That(second, Is.EqualTo(first));
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(first);
        Assert.That((8 + headerLength) % 8, Is.Zero);
        string header = Encoding.UTF8.GetString(first, 8, (int)headerLength);
        Assert.That(header, Does.StartWith("{\"__metadata__\":{\"epoch\":\"3\""), "metadata first, keys sorted, compact");
    }

    [Test]
    public void APyTorchLayoutHeaderParses()
    {
        var file = SafetensorsFile.Parse(PyTorchBatchNorm(), "netD.safetensors");
        Assert.That(file.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(file.GetInt64("main.1.num_batches_tracked", []), Is.EqualTo(new[] { 7L }));
        Assert.That(file.GetFloat32("main.1.bias", [2]), Is.EqualTo(new[] { 0.1f, -0.2f }));
        Assert.That(file.GetFloat32("main.1.running_var", [2]), Is.EqualTo(new[] { 1.5f, 2f }));
        Assert.That(file.GetFloat32("main.1.weight", [2]), Is.EqualTo(new[] { 1f, 0.75f }));
        Assert.That(file.Names[0], Is.EqualTo("main.1.num_batches_tracked"));
    }

    [Test]
    public void SpacedJsonAndReadOnlyDtypesParse()
    {
        var file = SafetensorsFile.Parse(Spaced());
        Assert.That(file.Tensors["a"].Data, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(file.Tensors["h"].Dtype, Is.EqualTo(SafetensorsDtype.F16));
        Assert.That(BitConverter.ToHalf(file.Tensors["h"].Data, 2), Is.EqualTo((Half)(-2f)));
    }

    [Test]
    public void AFileWithNoTensorsRoundTrips()
    {
        var file = SafetensorsFile.Parse(Empty());
        Assert.That(file.Tensors, Is.Empty);
        Assert.That(file.Metadata, Is.Empty);
    }

    // ---- typed getters -----------------------------------------------------------------------------------

    [Test]
    public void TypedGettersCheckNameDtypeAndShape()
    {
        var file = SafetensorsFile.Parse(PyTorchBatchNorm(), "netD.safetensors");
        AssertOneLineFailure(() => file.GetFloat32("main.1.num_batches_tracked"), "netD.safetensors", "expected F32");
        AssertOneLineFailure(() => file.GetFloat32("main.1.bias", [3]), "netD.safetensors", "expected [3]");
        AssertOneLineFailure(() => file.GetFloat32("main.1.bias", [2, 1]), "netD.safetensors", "has shape [2]");
        AssertOneLineFailure(() => file.GetFloat32("main.9.bias"), "netD.safetensors", "no tensor named \"main.9.bias\"");
    }

    // ---- atomic writes -----------------------------------------------------------------------------------

    [Test]
    public void AWriteLeavesNoTemporaryFileBehind()
    {
        string path = PathOf("g.safetensors");
        new SafetensorsWriter().Add("w", [2], new[] { 1f, 2f }).Write(path);
        new SafetensorsWriter().Add("w", [3], new[] { 1f, 2f, 3f }).Write(path); // overwrite
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EqualTo(new[] { "g.safetensors" }));
        Assert.That(SafetensorsFile.Read(path).GetFloat32("w", [3]), Is.EqualTo(new[] { 1f, 2f, 3f }));
    }

    [Test]
    public void AWriteThatThrowsMidwayLeavesTheOldFileIntact()
    {
        string path = PathOf("g.safetensors");
        new SafetensorsWriter().Add("w", [2], new[] { 1f, 2f }).Write(path);
        byte[] before = File.ReadAllBytes(path);

        var failing = new SafetensorsWriter()
            .Add("first", [1024], new float[1024])
            .AddDeferred("second", SafetensorsDtype.F32, [1024], 4096, stream =>
            {
                stream.Write(new byte[1000]); // part of the tensor reaches the temporary file ...
                throw new IOException("simulated crash while writing \"second\"");
            });
        Assert.Throws<IOException>(() => failing.Write(path));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EqualTo(new[] { "g.safetensors" }));
    }

    [Test]
    public void ADataSourceThatWritesTheWrongLengthIsCaught()
    {
        string path = PathOf("short.safetensors");
        var writer = new SafetensorsWriter()
            .AddDeferred("x", SafetensorsDtype.F32, [4], 16, stream => stream.Write(new byte[12]));
        Assert.Throws<InvalidOperationException>(() => writer.Write(path));
        Assert.That(Directory.GetFiles(directory), Is.Empty);
    }

    [Test]
    public void TheWriterRejectsMisuse()
    {
        var writer = new SafetensorsWriter().Add("w", [2], new[] { 1f, 2f });
        Assert.Throws<ArgumentException>(() => writer.Add("w", [1], new[] { 1f }), "duplicate name");
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], new[] { 1f }), "reserved name");
        Assert.Throws<ArgumentException>(() => writer.Add("v", [3], new[] { 1f, 2f }), "length mismatch");
        Assert.Throws<ArgumentException>(() => writer.Add("v", [-1], new[] { 1f }), "negative dimension");
        Assert.Throws<ArgumentException>(() => writer.Add("", [1], new[] { 1f }), "empty name");
    }

    [Test]
    public void AMissingFileIsACheckpointException() =>
        AssertOneLineFailure(() => SafetensorsFile.Read(PathOf("absent.safetensors")), PathOf("absent.safetensors"),
            "cannot read the file");

    // ---- one case per reader check -----------------------------------------------------------------------

    const string Ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    static byte[] WithEntry(string entry, int dataBytes) => Build("{\"x\":" + entry + "}", new byte[dataBytes]);

    static IEnumerable<TestCaseData> Malformed()
    {
        TestCaseData Case(string name, byte[] file, string expected) =>
            new TestCaseData(file, expected).SetName($"Rejects{name}");

        yield return Case("ShortFile", new byte[7], "expected at least 8");
        yield return Case("HugeHeaderLength", Build(Ok, new byte[8], headerLengthOverride: 100_000_001), "expected at most 100000000");
        yield return Case("MaxHeaderLength", Build(Ok, new byte[8], headerLengthOverride: ulong.MaxValue), "expected at most 100000000");
        yield return Case("HeaderPastEnd", Build(Ok, new byte[8], headerLengthOverride: (ulong)Ok.Length + 9), "only");
        yield return Case("EmptyHeader", Build("", new byte[8]), "not valid JSON");
        yield return Case("TruncatedJson", Build(Ok[..^1], new byte[8]), "not valid JSON");
        yield return Case("ArrayRoot", Build("[1,2]", []), "expected a JSON object");
        yield return Case("InvalidUtf8", InvalidUtf8Header(), "not valid UTF-8");
        yield return Case("LoneSurrogate", Build("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", []), "not valid text");
        yield return Case("EntryNotObject", WithEntry("5", 0), "expected an object with dtype");
        yield return Case("UnknownDtype", WithEntry("{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}", 8), "dtype \"F31\"");
        yield return Case("LowercaseDtype", WithEntry("{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8), "expected one of");
        yield return Case("MissingDtype", WithEntry("{\"shape\":[2],\"data_offsets\":[0,8]}", 8), "no dtype");
        yield return Case("DtypeTwice", WithEntry("{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8), "dtype twice");
        yield return Case("NegativeShape", WithEntry("{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}", 8), "shape entry -2");
        yield return Case("FractionalShape", WithEntry("{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}", 8), "shape entry 2.5");
        yield return Case("StringShape", WithEntry("{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", 8), "non-negative integer");
        yield return Case("OverflowingShape", WithEntry("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}", 8), "overflows 64 bits");
        yield return Case("ShapeBytesOverflow", WithEntry("{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}", 8), "overflows 64 bits");
        yield return Case("HugeShapeSmallFile", WithEntry("{\"dtype\":\"F32\",\"shape\":[1000000000],\"data_offsets\":[0,4000000000]}", 8), "past the end");
        yield return Case("SizeMismatch", WithEntry("{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}", 8), "expected 12 for F32 [3]");
        yield return Case("BeginAfterEnd", WithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}", 8), "begin after end");
        yield return Case("OffsetsPastEnd", WithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}", 8), "past the end");
        yield return Case("NegativeOffset", WithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}", 8), "two non-negative integers");
        yield return Case("ThreeOffsets", WithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}", 8), "expected [begin, end]");
        yield return Case("TrailingBytes", WithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 12), "no trailing bytes");
        yield return Case("Gap", Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "gap");
        yield return Case("Overlap", Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
                                            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "overlaps");
        yield return Case("DuplicateName", Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
                                                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "twice");
        yield return Case("MetadataNotObject", Build("{\"__metadata__\":[1]}", []), "expected an object of strings");
        yield return Case("MetadataNumber", Build("{\"__metadata__\":{\"epoch\":3}}", []), "expected a string");
        yield return Case("NameWithNewline", Build("{\"bad\\nname\":7}", []), "\"bad\\nname\"");
    }

    static byte[] InvalidUtf8Header()
    {
        byte[] file = Build("{\"x?\":{}}", []);
        file[8 + 3] = 0xFF; // the '?' becomes a byte that never occurs in UTF-8
        return file;
    }

    [TestCaseSource(nameof(Malformed))]
    public void ReaderRejects(byte[] file, string expected) =>
        AssertOneLineFailure(() => SafetensorsFile.Parse(file, "bad.safetensors"), "bad.safetensors", expected);

    static void AssertOneLineFailure(Action read, string file, string expected)
    {
        var e = Assert.Throws<CheckpointException>(read)!;
        Assert.That(e.Message, Does.StartWith(file).And.Contain(expected));
        Assert.That(e.Message, Does.Not.Contain("\n").And.Not.Contain("\r"));
    }
}

// The safetensors checkpoint format (https://github.com/huggingface/safetensors#format), read and written.
//
//   [u64 little-endian N][N bytes UTF-8 JSON header, padded with spaces][data buffer, little-endian]
//   header: {"__metadata__": {"k": "v"},                       (optional, string → string)
//            "name": {"dtype": "F32", "shape": [d0, d1, ..], "data_offsets": [begin, end]}, ...}
//   offsets are relative to the start of the data buffer; byte size of a tensor = Π shape × size(dtype).
//
// The reader treats every file as untrusted: each check below runs before anything is allocated from a
// size found in the file, and every failure is a one-line CheckpointException naming the file. It accepts
// what the reference (Rust) implementation accepts: tensors must tile the data buffer exactly — no
// overlap, no gap, no trailing bytes — so a file this reader accepts loads in PyTorch and vice versa.
// The writer keeps the caller's tensor order, writes no padding between tensors (the reference format has
// none), pads the header to 8 bytes, and replaces the target file atomically (AtomicFile).
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Dcgan.Nn.Checkpoints;

/// <summary>Element types of the safetensors format. Typed getters exist for F32, F64, I64 and I32; the others
/// are readable as raw bytes.</summary>
public enum SafetensorsDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool }

public static class SafetensorsDtypes
{
    public static int SizeInBytes(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F64 or SafetensorsDtype.I64 => 8,
        SafetensorsDtype.F32 or SafetensorsDtype.I32 => 4,
        SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.I16 => 2,
        SafetensorsDtype.I8 or SafetensorsDtype.U8 or SafetensorsDtype.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The spelling in the JSON header ("F32", "BOOL", ...).</summary>
    public static string HeaderName(this SafetensorsDtype dtype) =>
        dtype == SafetensorsDtype.Bool ? "BOOL" : dtype.ToString();

    public static bool TryParse(string headerName, out SafetensorsDtype dtype)
    {
        foreach (var candidate in Enum.GetValues<SafetensorsDtype>())
        {
            if (candidate.HeaderName() == headerName)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    internal static string AllHeaderNames => string.Join(", ", Enum.GetValues<SafetensorsDtype>().Select(HeaderName));
}

/// <summary>One tensor of a safetensors file: its raw little-endian bytes and what they mean.</summary>
public sealed class SafetensorsTensor
{
    public string Name { get; }
    public SafetensorsDtype Dtype { get; }
    public long[] Shape { get; }
    public long ElementCount { get; }
    /// <summary>The tensor's bytes, little-endian, exactly ElementCount × size(Dtype) long.</summary>
    public byte[] Data { get; }

    internal SafetensorsTensor(string name, SafetensorsDtype dtype, long[] shape, long elementCount, byte[] data)
    {
        Name = name;
        Dtype = dtype;
        Shape = shape;
        ElementCount = elementCount;
        Data = data;
    }

    public override string ToString() => $"{Name}: {Dtype.HeaderName()} {FormatShape(Shape)}";

    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
            text.Append(i == 0 ? "" : ", ").Append(shape[i]);
        return text.Append(']').ToString();
    }
}

/// <summary>A validated safetensors file held in memory.</summary>
public sealed class SafetensorsFile
{
    /// <summary>The header may not exceed this many bytes (the reference implementation's limit).</summary>
    public const ulong MaxHeaderBytes = 100_000_000;

    const string MetadataKey = "__metadata__";

    /// <summary>The file name used in error messages.</summary>
    public string Source { get; }
    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors { get; }
    /// <summary>Tensor names in the order their data appears in the file.</summary>
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafetensorsFile(string source, IReadOnlyList<SafetensorsTensor> tensorsInFileOrder,
        IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensorsInFileOrder.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Names = tensorsInFileOrder.Select(t => t.Name).ToArray();
        Metadata = metadata;
    }

    /// <summary>Reads and validates <paramref name="path"/>. Throws <see cref="CheckpointException"/> for a
    /// missing, unreadable or malformed file.</summary>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read,
                bufferSize: 1 << 16);
            return Read(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read the file: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>Validates a safetensors file held in <paramref name="bytes"/>; <paramref name="source"/> names it in
    /// error messages.</summary>
    public static SafetensorsFile Parse(byte[] bytes, string source = "<memory>")
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, source);
    }

    /// <summary>Reads a safetensors file from a seekable stream positioned at its start.</summary>
    public static SafetensorsFile Read(Stream stream, string source)
    {
        long fileLength = stream.Length - stream.Position;
        if (fileLength < 8)
            throw Fail(source, $"file is {fileLength} bytes long; expected at least 8 (the header length)");

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        ulong available = (ulong)fileLength - 8;
        if (headerLength > MaxHeaderBytes)
            throw Fail(source, $"header length is {headerLength} bytes; expected at most {MaxHeaderBytes}");
        if (headerLength > available)
            throw Fail(source, $"header length is {headerLength} bytes but only {available} follow the length " +
                               $"prefix; expected at most {available}");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = (long)(available - headerLength);

        var (entries, metadata) = ParseHeader(header, dataLength, source);
        CheckTiling(entries, dataLength, source);

        // The entries now tile [0, dataLength) in order, so the data can be read front to back; every
        // allocation below is bounded by the real length of the file.
        var tensors = new List<SafetensorsTensor>(entries.Count);
        foreach (var entry in entries)
        {
            long byteLength = (long)(entry.End - entry.Begin);
            if (byteLength > Array.MaxLength)
                throw Fail(source, $"tensor {Quote(entry.Name)} holds {byteLength} bytes; expected at most " +
                                   $"{Array.MaxLength} per tensor");
            var data = new byte[byteLength];
            stream.ReadExactly(data);
            tensors.Add(new SafetensorsTensor(entry.Name, entry.Dtype, entry.Shape, entry.ElementCount, data));
        }
        return new SafetensorsFile(source, tensors, metadata);
    }

    public bool Contains(string name) => Tensors.ContainsKey(name);

    public SafetensorsTensor Get(string name) =>
        Tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw Fail(Source, $"no tensor named {Quote(name)}; the file holds {Tensors.Count} tensors " +
                                 $"({Preview(Names)})");

    public float[] GetFloat32(string name) => GetTyped<float>(name, SafetensorsDtype.F32, default, false);
    public float[] GetFloat32(string name, ReadOnlySpan<int> expectedShape) =>
        GetTyped<float>(name, SafetensorsDtype.F32, expectedShape, true);

    public double[] GetFloat64(string name) => GetTyped<double>(name, SafetensorsDtype.F64, default, false);
    public double[] GetFloat64(string name, ReadOnlySpan<int> expectedShape) =>
        GetTyped<double>(name, SafetensorsDtype.F64, expectedShape, true);

    public long[] GetInt64(string name) => GetTyped<long>(name, SafetensorsDtype.I64, default, false);
    public long[] GetInt64(string name, ReadOnlySpan<int> expectedShape) =>
        GetTyped<long>(name, SafetensorsDtype.I64, expectedShape, true);

    public int[] GetInt32(string name) => GetTyped<int>(name, SafetensorsDtype.I32, default, false);
    public int[] GetInt32(string name, ReadOnlySpan<int> expectedShape) =>
        GetTyped<int>(name, SafetensorsDtype.I32, expectedShape, true);

    T[] GetTyped<T>(string name, SafetensorsDtype dtype, ReadOnlySpan<int> expectedShape, bool checkShape)
        where T : unmanaged
    {
        var tensor = Get(name);
        if (tensor.Dtype != dtype)
            throw Fail(Source, $"tensor {Quote(name)} has dtype {tensor.Dtype.HeaderName()}; expected {dtype.HeaderName()}");
        if (checkShape && !ShapeEquals(tensor.Shape, expectedShape))
        {
            long[] expected = [.. expectedShape.ToArray().Select(d => (long)d)];
            throw Fail(Source, $"tensor {Quote(name)} has shape {SafetensorsTensor.FormatShape(tensor.Shape)}; " +
                               $"expected {SafetensorsTensor.FormatShape(expected)}");
        }
        var values = new T[tensor.ElementCount];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        tensor.Data.CopyTo(bytes);
        if (!BitConverter.IsLittleEndian)
            LittleEndian.SwapInPlace(bytes, dtype.SizeInBytes());
        return values;
    }

    static bool ShapeEquals(long[] shape, ReadOnlySpan<int> expected)
    {
        if (shape.Length != expected.Length)
            return false;
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] != expected[i])
                return false;
        return true;
    }

    // ---- header validation -------------------------------------------------------------------------------

    readonly record struct Entry(string Name, SafetensorsDtype Dtype, long[] Shape, long ElementCount,
        ulong Begin, ulong End);

    static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, long dataLength,
        string source)
    {
        if (!Utf8.IsValid(header))
            throw Fail(source, "header is not valid UTF-8; expected a UTF-8 JSON object");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail(source, $"header is not valid JSON ({OneLine(e.Message)}); expected one JSON object");
        }

        using (document)
        {
            try
            {
                return InterpretHeader(document.RootElement, dataLength, source);
            }
            catch (InvalidOperationException e)
            {
                // JsonElement throws this for text it cannot turn into a .NET string (e.g. an escaped lone
                // surrogate such as "\ud800").
                throw Fail(source, $"header holds a string that is not valid text ({OneLine(e.Message)}); " +
                                   "expected valid Unicode names");
            }
        }
    }

    static (List<Entry>, Dictionary<string, string>) InterpretHeader(JsonElement root, long dataLength,
        string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"header is a JSON {Kind(root)}; expected a JSON object");

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!seen.Add(name))
                throw Fail(source, $"header names {Quote(name)} twice; expected unique names");
            if (name == MetadataKey)
                ParseMetadata(property.Value, metadata, source);
            else
                entries.Add(ParseEntry(name, property.Value, dataLength, source));
        }
        return (entries, metadata);
    }

    static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return;
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{MetadataKey} is a JSON {Kind(value)}; expected an object of strings");
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"{MetadataKey} entry {Quote(property.Name)} is a JSON {Kind(property.Value)}; " +
                                   "expected a string");
            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
                throw Fail(source, $"{MetadataKey} names {Quote(property.Name)} twice; expected unique keys");
        }
    }

    static Entry ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        string what = $"tensor {Quote(name)}";
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{what} is a JSON {Kind(value)}; expected an object with dtype, shape, data_offsets");

        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (var field in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeValue;
            switch (field.Name)
            {
                case "dtype": slot = ref dtypeValue; break;
                case "shape": slot = ref shapeValue; break;
                case "data_offsets": slot = ref offsetsValue; break;
                default: continue; // unknown fields are ignored, as the reference implementation does
            }
            if (slot is not null)
                throw Fail(source, $"{what} gives {field.Name} twice; expected it once");
            slot = field.Value;
        }

        // dtype
        if (dtypeValue is not { ValueKind: JsonValueKind.String } dtypeElement)
            throw Fail(source, $"{what} has no dtype string; expected one of {SafetensorsDtypes.AllHeaderNames}");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryParse(dtypeName, out var dtype))
            throw Fail(source, $"{what} has dtype {Quote(dtypeName)}; expected one of {SafetensorsDtypes.AllHeaderNames}");

        // shape: non-negative integers; the byte size follows with overflow-checked arithmetic
        if (shapeValue is not { ValueKind: JsonValueKind.Array } shapeElement)
            throw Fail(source, $"{what} has no shape array; expected a list of non-negative integers");
        var shape = new long[shapeElement.GetArrayLength()];
        int axis = 0;
        ulong elementCount = 1;
        bool overflow = false;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetUInt64(out ulong size) || size > long.MaxValue)
                throw Fail(source, $"{what} has shape entry {Raw(dim)} at axis {axis}; expected a non-negative " +
                                   $"integer below 2^63");
            shape[axis++] = (long)size;
            overflow |= !TryMultiply(elementCount, size, out elementCount);
        }
        overflow |= !TryMultiply(elementCount, (ulong)dtype.SizeInBytes(), out ulong byteLength);
        if (overflow || elementCount > long.MaxValue)
            throw Fail(source, $"{what} has shape {SafetensorsTensor.FormatShape(shape)} whose size overflows " +
                               $"64 bits; expected a size that fits the {dataLength}-byte data buffer");

        // data_offsets: [begin, end] inside the data buffer, end - begin = byte size
        if (offsetsValue is not { ValueKind: JsonValueKind.Array } offsetsElement || offsetsElement.GetArrayLength() != 2)
            throw Fail(source, $"{what} has no data_offsets pair; expected [begin, end]");
        if (!TryGetOffset(offsetsElement[0], out ulong begin) || !TryGetOffset(offsetsElement[1], out ulong end))
            throw Fail(source, $"{what} has data_offsets [{Raw(offsetsElement[0])}, {Raw(offsetsElement[1])}]; " +
                               "expected two non-negative integers");
        if (begin > end)
            throw Fail(source, $"{what} has data_offsets [{begin}, {end}] with begin after end; expected begin <= end");
        if (end > (ulong)dataLength)
            throw Fail(source, $"{what} has data_offsets [{begin}, {end}] past the end of the {dataLength}-byte " +
                               "data buffer; expected end <= buffer length");
        if (end - begin != byteLength)
            throw Fail(source, $"{what} has {end - begin} data bytes; expected {byteLength} for " +
                               $"{dtype.HeaderName()} {SafetensorsTensor.FormatShape(shape)}");

        return new Entry(name, dtype, shape, (long)elementCount, begin, end);
    }

    /// <summary>Sorts <paramref name="entries"/> by offset and checks they cover the data buffer exactly once.</summary>
    static void CheckTiling(List<Entry> entries, long dataLength, string source)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        ulong covered = 0;
        string? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < covered)
                throw Fail(source, $"tensor {Quote(entry.Name)} at [{entry.Begin}, {entry.End}] overlaps tensor " +
                                   $"{Quote(previous!)} ending at {covered}; expected disjoint tensors");
            if (entry.Begin > covered)
                throw Fail(source, $"tensor {Quote(entry.Name)} starts at {entry.Begin} leaving a gap after byte " +
                                   $"{covered}; expected tensors to cover the data buffer without gaps");
            covered = entry.End;
            previous = entry.Name;
        }
        if (covered != (ulong)dataLength)
            throw Fail(source, $"data buffer has {dataLength} bytes but the tensors cover {covered}; expected " +
                               "no trailing bytes");
    }

    static bool TryGetOffset(JsonElement value, out ulong offset)
    {
        offset = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out offset);
    }

    static bool TryMultiply(ulong a, ulong b, out ulong product)
    {
        ulong high = Math.BigMul(a, b, out product);
        return high == 0;
    }

    // ---- messages ----------------------------------------------------------------------------------------

    internal static CheckpointException Fail(string source, string message) =>
        new($"{OneLine(source)}: {OneLine(message)}");

    static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    static string Raw(JsonElement value) => Truncate(value.GetRawText(), 40);

    static string Preview(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(5).Select(Quote)) + (names.Count > 5 ? ", ..." : "");

    /// <summary>A name from an untrusted file, quoted, escaped and shortened so it cannot break the line.</summary>
    internal static string Quote(string text) =>
        Truncate(JsonSerializer.Serialize(text, QuoteOptions), 80);

    static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";

    static string OneLine(string text) =>
        string.Create(text.Length, text, (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
                span[i] = char.IsControl(t[i]) ? ' ' : t[i];
        });
}

/// <summary>
/// Builds a safetensors file from named tensors, in the order added. Arrays are referenced, not copied: they are
/// read when <see cref="Write"/> runs. The same calls always give the same bytes.
/// </summary>
public sealed class SafetensorsWriter
{
    readonly List<PendingTensor> tensors = [];
    readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>Free-form string metadata, written sorted by key under "__metadata__".</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public int Count => tensors.Count;

    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, float[] data) =>
        AddArray(name, SafetensorsDtype.F32, shape, data);

    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, double[] data) =>
        AddArray(name, SafetensorsDtype.F64, shape, data);

    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, long[] data) =>
        AddArray(name, SafetensorsDtype.I64, shape, data);

    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, int[] data) =>
        AddArray(name, SafetensorsDtype.I32, shape, data);

    SafetensorsWriter AddArray<T>(string name, SafetensorsDtype dtype, ReadOnlySpan<int> shape, T[] data)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        long elements = ElementCount(name, shape);
        if (elements != data.Length)
            throw new ArgumentException($"tensor \"{name}\" has {data.Length} values; expected {elements} for shape " +
                                        $"[{string.Join(", ", shape.ToArray())}]", nameof(data));
        return AddDeferred(name, dtype, shape, (long)data.Length * dtype.SizeInBytes(),
            stream => LittleEndian.Write(stream, (ReadOnlySpan<T>)data, dtype.SizeInBytes()));
    }

    /// <summary>Adds a tensor whose <paramref name="byteLength"/> bytes are produced by <paramref name="writeBytes"/>
    /// during <see cref="Write"/> (tests use it to fail a write midway).</summary>
    internal SafetensorsWriter AddDeferred(string name, SafetensorsDtype dtype, ReadOnlySpan<int> shape,
        long byteLength, Action<Stream> writeBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("\"__metadata__\" is reserved for metadata", nameof(name));
        long expected = checked(ElementCount(name, shape) * dtype.SizeInBytes());
        if (expected != byteLength)
            throw new ArgumentException($"tensor \"{name}\" has {byteLength} bytes; expected {expected}", nameof(byteLength));
        if (!names.Add(name))
            throw new ArgumentException($"tensor \"{name}\" was already added", nameof(name));
        tensors.Add(new PendingTensor(name, dtype, [.. shape], byteLength, writeBytes));
        return this;
    }

    /// <summary>Writes the file atomically: <paramref name="path"/> holds either its old content or the complete
    /// new file, never a part of it.</summary>
    public void Write(string path) => AtomicFile.Write(path, WriteTo);

    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    public void WriteTo(Stream stream)
    {
        byte[] header = BuildHeader();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var tensor in tensors)
        {
            long before = stream.CanSeek ? stream.Position : -1;
            tensor.WriteBytes(stream);
            if (before >= 0 && stream.Position - before != tensor.ByteLength)
                throw new InvalidOperationException($"tensor \"{tensor.Name}\" wrote {stream.Position - before} " +
                                                    $"bytes; expected {tensor.ByteLength}");
        }
    }

    byte[] BuildHeader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Dtype.HeaderName());
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // Pad with spaces so the data buffer starts on an 8-byte boundary (8 + header length ≡ 0 mod 8).
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    static long ElementCount(string name, ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"tensor \"{name}\" has a negative dimension in shape " +
                                            $"[{string.Join(", ", shape.ToArray())}]", nameof(shape));
            count = checked(count * dim);
        }
        return count;
    }

    sealed record PendingTensor(string Name, SafetensorsDtype Dtype, int[] Shape, long ByteLength,
        Action<Stream> WriteBytes);
}

/// <summary>Little-endian conversion for the (rare) big-endian host; a plain copy elsewhere.</summary>
static class LittleEndian
{
    public static void SwapInPlace(Span<byte> bytes, int elementSize)
    {
        if (elementSize == 1)
            return;
        for (int i = 0; i + elementSize <= bytes.Length; i += elementSize)
            bytes.Slice(i, elementSize).Reverse();
    }

    public static void Write<T>(Stream stream, ReadOnlySpan<T> values, int elementSize) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
            return;
        }
        var chunk = new byte[Math.Min(bytes.Length, 1 << 16)];
        for (int start = 0; start < bytes.Length; start += chunk.Length)
        {
            var part = chunk.AsSpan(0, Math.Min(chunk.Length, bytes.Length - start));
            bytes.Slice(start, part.Length).CopyTo(part);
            SwapInPlace(part, elementSize);
            stream.Write(part);
        }
    }
}

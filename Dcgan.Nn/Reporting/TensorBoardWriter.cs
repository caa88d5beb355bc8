// TensorBoard's event file format, written (and read back) from its public definition: no TensorFlow, no protobuf
// library. Two layers:
//
//   TFRecord framing, one record per Event:
//     uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data
//     masked(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8;  CRC32C (Castagnoli) with init and final xor ~0
//     A reader stops at the first record whose length, CRCs or size do not hold: a record torn by a crash ends the
//     file for readers, and every record before it stays readable.
//   Protocol buffers (wire format): the few messages TensorBoard's scalar, image and histogram dashboards read, with
//   the field numbers of tensorflow/tensorboard's tensorboard/compat/proto/{event,summary,histogram}.proto:
//     Event          { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//     Summary        { repeated Value value = 1; }
//     Summary.Value  { string tag = 1; float simple_value = 2; Image image = 4; HistogramProto histo = 5; }
//     Summary.Image  { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
//     HistogramProto { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
//                      repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
//   Wire types used: 0 varint (int32/int64), 1 fixed64 (double), 2 length-delimited (string, bytes, message, packed
//   doubles), 5 fixed32 (float).
// The first record of a file is an Event whose file_version is "brain.Event:2".
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Dcgan.Nn.Reporting;

/// <summary>TFRecord framing (see the file header): write one record, read records until the first bad one.</summary>
public static class TfRecord
{
    const uint MaskDelta = 0xa282ead8;

    /// <summary>CRC32C (Castagnoli, reflected polynomial 0x82F63B78) with the standard initial and final xor.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: a CRC of data that itself holds CRCs is then unlikely to look valid.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>Appends one framed record.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], Mask(Crc32C(head[..8])));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, Mask(Crc32C(data)));
        stream.Write(head);
        stream.Write(data);
        stream.Write(tail);
    }

    /// <summary>
    /// The records of a file, in order, up to the first that is torn or corrupt (then <paramref name="bad"/> says
    /// where and why; null when the file ended cleanly).
    /// </summary>
    public static List<byte[]> ReadAll(ReadOnlySpan<byte> file, out string? bad)
    {
        var records = new List<byte[]>();
        bad = null;
        int at = 0;
        while (at < file.Length)
        {
            if (file.Length - at < 12)
            {
                bad = $"byte {at}: a record header cut short ({file.Length - at} of 12 bytes)";
                break;
            }
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file[at..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(file[(at + 8)..]) != Mask(Crc32C(file.Slice(at, 8))))
            {
                bad = $"byte {at}: the length's CRC does not match";
                break;
            }
            if (length > (ulong)(file.Length - at - 16))
            {
                bad = $"byte {at}: a record of {length} bytes cut short ({file.Length - at - 16} left)";
                break;
            }
            var data = file.Slice(at + 12, (int)length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(file[(at + 12 + (int)length)..]) != Mask(Crc32C(data)))
            {
                bad = $"byte {at}: the data's CRC does not match";
                break;
            }
            records.Add(data.ToArray());
            at += 16 + (int)length;
        }
        return records;
    }
}

/// <summary>A protocol buffer message being encoded: fields are appended in the order written.</summary>
public sealed class ProtoWriter
{
    readonly MemoryStream bytes = new();

    public int Length => (int)bytes.Length;
    public ReadOnlySpan<byte> Written => bytes.GetBuffer().AsSpan(0, Length);
    public byte[] ToArray() => bytes.ToArray();

    void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    void Varint(ulong v)
    {
        while (v >= 0x80)
        {
            bytes.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.WriteByte((byte)v);
    }

    /// <summary>int32 / int64 / enum (wire type 0); negative numbers take ten bytes, as protobuf's int64.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint((ulong)value);
        return this;
    }

    /// <summary>double (wire type 1, fixed64 little-endian).</summary>
    public ProtoWriter Double(int field, double value)
    {
        Tag(field, 1);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        bytes.Write(b);
        return this;
    }

    /// <summary>float (wire type 5, fixed32 little-endian).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        bytes.Write(b);
        return this;
    }

    /// <summary>bytes, or an embedded message's encoding (wire type 2).</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        bytes.Write(value);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.Written);

    /// <summary>repeated double [packed = true]: one length-delimited field of fixed64 values.</summary>
    public ProtoWriter PackedDoubles(int field, ReadOnlySpan<double> values)
    {
        Tag(field, 2);
        Varint((ulong)values.Length * 8);
        Span<byte> b = stackalloc byte[8];
        foreach (double v in values)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(b, v);
            bytes.Write(b);
        }
        return this;
    }
}

/// <summary>One field of a decoded message: its number, wire type, and value (varint / fixed bits, or bytes).</summary>
public readonly record struct ProtoField(int Number, int WireType, ulong Bits, ReadOnlyMemory<byte> Payload)
{
    public double AsDouble => BitConverter.UInt64BitsToDouble(Bits);
    public float AsFloat => BitConverter.UInt32BitsToSingle((uint)Bits);
    public string AsString => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>A packed repeated double's values.</summary>
    public double[] AsPackedDoubles()
    {
        var span = Payload.Span;
        var values = new double[span.Length / 8];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]);
        return values;
    }
}

/// <summary>
/// Decodes the protocol buffer wire format into fields (enough to read back what ProtoWriter writes: the resume of
/// a live event log finds its last step with it, and the tests check every record).
/// </summary>
public static class ProtoReader
{
    public static List<ProtoField> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<ProtoField>();
        var span = message.Span;
        int at = 0;
        while (at < span.Length)
        {
            ulong key = Varint(span, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    fields.Add(new ProtoField(number, wire, Varint(span, ref at), default));
                    break;
                case 1:
                    Need(span, at, 8);
                    fields.Add(new ProtoField(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(span[at..]), default));
                    at += 8;
                    break;
                case 2:
                    ulong length = Varint(span, ref at);
                    Need(span, at, length);
                    fields.Add(new ProtoField(number, wire, length, message.Slice(at, (int)length)));
                    at += (int)length;
                    break;
                case 5:
                    Need(span, at, 4);
                    fields.Add(new ProtoField(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(span[at..]), default));
                    at += 4;
                    break;
                default:
                    throw new FormatException($"protobuf: wire type {wire} of field {number} at byte {at} is not one this reader knows");
            }
        }
        return fields;
    }

    static void Need(ReadOnlySpan<byte> span, int at, ulong count)
    {
        if (count > (ulong)(span.Length - at))
            throw new FormatException($"protobuf: {count} bytes needed at byte {at}, {span.Length - at} left");
    }

    static ulong Varint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong v = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (at >= span.Length)
                throw new FormatException("protobuf: a varint cut short");
            byte b = span[at++];
            v |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return v;
        }
        throw new FormatException("protobuf: a varint longer than ten bytes");
    }
}

/// <summary>The Event messages dcgan writes (field numbers in the file header), each encoded for one TFRecord.</summary>
public static class TensorBoardEvent
{
    public const string FileVersion = "brain.Event:2";

    /// <summary>The first record of every event file.</summary>
    public static byte[] Version(double wallTime) =>
        new ProtoWriter().Double(1, wallTime).String(3, FileVersion).ToArray();

    /// <summary>One event holding a summary of several values at one step.</summary>
    public static byte[] Summary(double wallTime, long step, IEnumerable<ProtoWriter> values)
    {
        var summary = new ProtoWriter();
        foreach (var v in values)
            summary.Message(1, v);
        var e = new ProtoWriter().Double(1, wallTime);
        if (step != 0)
            e.Int(2, step);
        return e.Message(5, summary).ToArray();
    }

    /// <summary>A Summary.Value of a scalar (simple_value: float, as TensorBoard's scalar dashboard reads it).</summary>
    public static ProtoWriter Scalar(string tag, float value) => new ProtoWriter().String(1, tag).Float(2, value);

    /// <summary>
    /// A Summary.Value of an encoded image. Colorspace: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA (Summary.Image).
    /// </summary>
    public static ProtoWriter Image(string tag, int width, int height, int colorspace, ReadOnlySpan<byte> encoded) =>
        new ProtoWriter().String(1, tag).Message(4, new ProtoWriter()
            .Int(1, height).Int(2, width).Int(3, colorspace).Bytes(4, encoded));

    /// <summary>
    /// A Summary.Value of a histogram of <paramref name="values"/>: min, max, count, sum and sum of squares (in
    /// float64), and <paramref name="buckets"/> equal-width buckets over [min, max]. Bucket i counts the values in
    /// (limit(i−1), limit(i)] (the first from −∞), as HistogramProto defines it; the last limit is max, so the counts
    /// sum to the count. Non-finite values are left out of everything (a checkpoint's weights and gradients are
    /// finite: the divergence check stops a run before one is saved).
    /// </summary>
    public static ProtoWriter Histogram(string tag, ReadOnlySpan<float> values, int buckets = 30)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, squares = 0;
        long count = 0;
        foreach (float f in values)
        {
            if (!float.IsFinite(f))
                continue;
            double v = f;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            squares += v * v;
            count++;
        }
        if (count == 0)
            (min, max) = (0, 0);
        if (max == min)
            buckets = 1;
        double width = (max - min) / buckets;
        var limits = new double[buckets];
        for (int i = 0; i < buckets; i++)
            limits[i] = i == buckets - 1 ? max : min + width * (i + 1);
        var counts = new double[buckets];
        foreach (float f in values)
        {
            if (!float.IsFinite(f))
                continue;
            // (limit(i−1), limit(i)]: the smallest i with value ≤ limit(i).
            int i = buckets == 1 ? 0 : Math.Clamp((int)Math.Ceiling((f - min) / width) - 1, 0, buckets - 1);
            while (i > 0 && f <= limits[i - 1])
                i--;
            while (i < buckets - 1 && f > limits[i])
                i++;
            counts[i]++;
        }
        var histogram = new ProtoWriter().Double(1, min).Double(2, max).Double(3, count).Double(4, sum).Double(5, squares)
            .PackedDoubles(6, limits).PackedDoubles(7, counts);
        return new ProtoWriter().String(1, tag).Message(5, histogram);
    }

    /// <summary>An Event's step (0 when absent, as proto3 reads it); null when the record is not an Event.</summary>
    public static long? StepOf(byte[] record)
    {
        try
        {
            long step = 0;
            foreach (var f in ProtoReader.Fields(record))
                if (f.Number == 2 && f.WireType == 0)
                    step = (long)f.Bits;
            return step;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

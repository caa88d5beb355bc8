using System.Buffers.Binary;
using System.Text;
using Dcgan.Nn.Checkpoints;

namespace Dcgan.Tests.Checkpoints;

/// <summary>Small safetensors files for the round-trip, validation and mutation tests.</summary>
static class SafetensorsTestFiles
{
    /// <summary>A file built from a literal header and data buffer; the header is used byte for byte.</summary>
    public static byte[] Build(string headerJson, byte[] data, ulong? headerLengthOverride = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLengthOverride ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Floats as little-endian bytes.</summary>
    public static byte[] Bytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    public static byte[] Bytes(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }

    /// <summary>The layout safetensors.torch.save_file gives a DCGAN BatchNorm2d(2) state dict: compact JSON,
    /// "__metadata__" first, an int64 scalar num_batches_tracked, space padding to 8 bytes.</summary>
    public static byte[] PyTorchBatchNorm()
    {
        string header =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"main.1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"main.1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
            "\"main.1.running_mean\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}," +
            "\"main.1.running_var\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}," +
            "\"main.1.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}}";
        header = header.PadRight((header.Length + 7) / 8 * 8);
        byte[] data = [.. Bytes(7L), .. Bytes(0.1f, -0.2f), .. Bytes(0.5f, 0.25f), .. Bytes(1.5f, 2f), .. Bytes(1f, 0.75f)];
        return Build(header, data);
    }

    /// <summary>A writer-made file with every typed dtype, a scalar, an empty tensor and metadata.</summary>
    public static byte[] Mixed()
    {
        var writer = new SafetensorsWriter();
        writer.Metadata["epoch"] = "3";
        writer.Metadata["note"] = "mixed \"dtypes\"";
        writer.Add("conv.weight", [2, 1, 3, 3], Enumerable.Range(0, 18).Select(i => i * 0.25f - 2f).ToArray());
        writer.Add("bn.running_var", [3], new double[] { 1.0, 0.5, double.Epsilon });
        writer.Add("bn.num_batches_tracked", [], new long[] { 42 });
        writer.Add("empty", [0, 4], Array.Empty<float>());
        writer.Add("odd", [1, 1, 1], new int[] { -7 });
        return writer.ToArray();
    }

    /// <summary>Hand-spaced JSON with a raw U8 and an F16 tensor, read-only dtypes.</summary>
    public static byte[] Spaced()
    {
        string header = "{ \"a\" : { \"dtype\" : \"U8\", \"shape\" : [ 3 ], \"data_offsets\" : [ 0, 3 ] },\n" +
                        "  \"h\" : { \"data_offsets\" : [ 3, 7 ], \"shape\" : [ 2 ], \"dtype\" : \"F16\" } }";
        return Build(header, [1, 2, 3, 0x00, 0x3C, 0x00, 0xC0]);
    }

    public static byte[] Empty() => new SafetensorsWriter().ToArray();
}

namespace Dcgan.Nn.Data;

/// <summary>
/// CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html): data_batch_1.bin … data_batch_5.bin,
/// each a run of 3073-byte records: 1 label byte (0..9), then 32×32 red, green and blue planes (row-major).
/// The five training batches (50,000 images) are read whole into memory, resized if the image size is not 32.
/// </summary>
public static class Cifar10Dataset
{
    public const int RecordBytes = 1 + ImageBytes;
    const int ImageBytes = 3 * 32 * 32;
    public static readonly string[] FileNames = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];

    /// <summary>
    /// Opens the five batches in <paramref name="root"/>, or in root/cifar-10-batches-bin (the tarball's folder).
    /// </summary>
    public static InMemoryDataset Open(string root, int imageSize, int channels = 3)
    {
        string dir = Path.Combine(root, "cifar-10-batches-bin");
        if (!File.Exists(Path.Combine(dir, FileNames[0])))
            dir = root;

        var paths = FileNames.Select(n => Path.Combine(dir, n)).ToArray();
        long totalRecords = 0;
        foreach (string path in paths)
        {
            if (!File.Exists(path))
                throw new DatasetException($"{path}: not found; expected the CIFAR-10 binary files {FileNames[0]} … {FileNames[^1]} in {root} or {Path.Combine(root, "cifar-10-batches-bin")}");
            long length = new FileInfo(path).Length;
            if (length == 0 || length % RecordBytes != 0)
                throw new DatasetException($"{path}: {length} bytes is not a positive multiple of {RecordBytes}; expected 3073-byte records (1 label + 3072 RGB)");
            totalRecords += length / RecordBytes;
        }
        if (totalRecords * ImageBytes > IdxFile.MaxPayloadBytes)
            throw new DatasetException($"{dir}: {totalRecords} records need {totalRecords * ImageBytes} bytes; expected at most {IdxFile.MaxPayloadBytes}");

        int count = (int)totalRecords;
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        var record = new byte[RecordBytes];
        int index = 0;
        foreach (string path in paths)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long records = file.Length / RecordBytes;
            for (long r = 0; r < records; r++, index++)
            {
                file.ReadExactly(record);
                if (record[0] > 9)
                    throw new DatasetException($"{path}: record {r} has label {record[0]}; expected 0..9");
                labels[index] = record[0];
                record.AsSpan(1).CopyTo(pixels.AsSpan(index * ImageBytes, ImageBytes));
            }
        }
        return new InMemoryDataset("cifar10", pixels, count, 3, 32, 32, imageSize, channels, labels);
    }
}

using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

public sealed class Cifar10DatasetTests
{
    string dir = "";

    [SetUp] public void SetUp() => dir = DataFiles.NewFolder("cifar");
    [TearDown] public void TearDown() => DataFiles.Delete(dir);

    /// <summary>Batch file f holds f+1 records; record r: label (f+r) % 10, red = 10f + r, green = 100, blue = x.</summary>
    void WriteBatches(string target)
    {
        Directory.CreateDirectory(target);
        for (int f = 0; f < 5; f++)
        {
            var bytes = new byte[(f + 1) * Cifar10Dataset.RecordBytes];
            for (int r = 0; r <= f; r++)
            {
                var record = bytes.AsSpan(r * Cifar10Dataset.RecordBytes, Cifar10Dataset.RecordBytes);
                record[0] = (byte)((f + r) % 10);
                record.Slice(1, 1024).Fill((byte)(10 * f + r));
                record.Slice(1025, 1024).Fill(100);
                for (int p = 0; p < 1024; p++)
                    record[2049 + p] = (byte)(p % 32);
            }
            File.WriteAllBytes(Path.Combine(target, $"data_batch_{f + 1}.bin"), bytes);
        }
    }

    [Test]
    public void ReadsPlanarRecordsAndLabels()
    {
        WriteBatches(Path.Combine(dir, "cifar-10-batches-bin"));
        using var ds = Cifar10Dataset.Open(dir, 32);
        Assert.That((ds.Count, ds.Channels, ds.ImageSize), Is.EqualTo((15, 3, 32)));
        // Index 4 = file 3 (f = 2), record 1.
        Assert.That(ds.Labels![4], Is.EqualTo(3));
        var image = new float[3 * 1024];
        ds.ReadImage(4, image);
        Assert.That(image[..1024], Has.All.EqualTo(DataFiles.Unit(21)));
        Assert.That(image[1024..2048], Has.All.EqualTo(DataFiles.Unit(100)));
        Assert.That(image[2048 + 5 * 32 + 7], Is.EqualTo(DataFiles.Unit(7)));
    }

    [Test]
    public void ResizesWhenTheSizeIsNot32()
    {
        WriteBatches(dir);
        using var ds = Cifar10Dataset.Open(dir, 16, channels: 1);
        var image = new float[256];
        ds.ReadImage(0, image);
        Assert.That(image, Has.All.InRange(-1f, 1f));
        // Blue ramp x over 32 columns halves to 16; luma grows left to right.
        Assert.That(image[15], Is.GreaterThan(image[0]));
    }

    [Test]
    public void LengthNotAMultipleOfTheRecordIsAnError()
    {
        WriteBatches(dir);
        string path = Path.Combine(dir, "data_batch_2.bin");
        File.WriteAllBytes(path, new byte[3 * Cifar10Dataset.RecordBytes - 1]);
        var e = Assert.Throws<DatasetException>(() => Cifar10Dataset.Open(dir, 32))!;
        Assert.That(e.Message, Does.StartWith(path + ": 9218 bytes is not a positive multiple of 3073"));
    }

    [Test]
    public void MissingBatchAndBadLabelAreNamed()
    {
        WriteBatches(dir);
        File.Delete(Path.Combine(dir, "data_batch_5.bin"));
        var missing = Assert.Throws<DatasetException>(() => Cifar10Dataset.Open(dir, 32))!;
        Assert.That(missing.Message, Does.StartWith(Path.Combine(dir, "data_batch_5.bin") + ": not found"));

        WriteBatches(dir);
        string path = Path.Combine(dir, "data_batch_1.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[0] = 200;
        File.WriteAllBytes(path, bytes);
        var label = Assert.Throws<DatasetException>(() => Cifar10Dataset.Open(dir, 32))!;
        Assert.That(label.Message, Is.EqualTo($"{path}: record 0 has label 200; expected 0..9"));
    }
}

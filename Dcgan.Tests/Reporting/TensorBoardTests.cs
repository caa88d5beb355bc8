// TensorBoard event files (Dcgan.Nn/Reporting/TensorBoardWriter.cs, TensorBoardExport.cs): the format's known vectors,
// the framing's torn and corrupt records, histograms; then real runs of `dcgan train --tensorboard` (live, resumed
// after a torn record) and `dcgan report --tensorboard`, read back by this file's decoder and, independently, by
// check_events.py (Debian's python3-protobuf with classes protoc compiles from tensorboard_events.proto).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Dcgan.Nn.Reporting;
using Dcgan.Tests.Cli;
using Dcgan.Tests.PyTorch;

namespace Dcgan.Tests.Reporting;

public sealed class TensorBoardTests
{
    // ---- the format

    [Test]
    public void Crc32CMatchesTheKnownVectors()
    {
        Assert.That(TfRecord.Crc32C("123456789"u8), Is.EqualTo(0xE3069283u));
        Assert.That(TfRecord.Crc32C([]), Is.EqualTo(0u));
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, and of 0xFF.
        Assert.That(TfRecord.Crc32C(new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(TfRecord.Crc32C(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u));
        // Odd lengths take the byte-wise tail after the 8-byte steps: the same CRC as all byte-wise.
        byte[] odd = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        Assert.That(TfRecord.Crc32C(odd), Is.EqualTo(0x22620404u));
    }

    [Test]
    public void TheMaskRotatesAndAddsTheDelta() =>
        Assert.That(TfRecord.Mask(0xE3069283u), Is.EqualTo(unchecked(((0xE3069283u >> 15) | (0xE3069283u << 17)) + 0xa282ead8u)));

    [Test]
    public void ProtobufEncodingMatchesTheWireFormatsExamples()
    {
        // protobuf.dev's encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67.
        Assert.That(new ProtoWriter().Int(1, 150).ToArray(), Is.EqualTo(new byte[] { 0x08, 0x96, 0x01 }));
        Assert.That(new ProtoWriter().String(2, "testing").ToArray(),
            Is.EqualTo(new byte[] { 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67 }));
        // A negative int64 is ten varint bytes; a double is tag 0x09 and 8 little-endian bytes; a float tag 0x15 and 4.
        Assert.That(new ProtoWriter().Int(1, -1).ToArray(), Has.Length.EqualTo(11));
        Assert.That(new ProtoWriter().Double(1, 1.0).ToArray(), Is.EqualTo(new byte[] { 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f }));
        Assert.That(new ProtoWriter().Float(2, 1.0f).ToArray(), Is.EqualTo(new byte[] { 0x15, 0, 0, 0x80, 0x3f }));
        // Packed doubles: tag 0x32 (field 6, wire type 2), length 16, then the values.
        byte[] packed = new ProtoWriter().PackedDoubles(6, [1.0, -2.5]).ToArray();
        Assert.That(packed[..2], Is.EqualTo(new byte[] { 0x32, 16 }));
        var field = ProtoReader.Fields(packed).Single();
        Assert.That(field.AsPackedDoubles(), Is.EqualTo(new[] { 1.0, -2.5 }));
    }

    [Test]
    public void AnEventReadsBackFieldByField()
    {
        byte[] e = TensorBoardEvent.Summary(1234.5, 300, [TensorBoardEvent.Scalar("losses/loss_d", 0.25f)]);
        var fields = ProtoReader.Fields(e);
        Assert.That(fields.Single(f => f.Number == 1).AsDouble, Is.EqualTo(1234.5));
        Assert.That(TensorBoardEvent.StepOf(e), Is.EqualTo(300));
        var value = ProtoReader.Fields(ProtoReader.Fields(fields.Single(f => f.Number == 5).Payload).Single().Payload);
        Assert.That(value.Single(f => f.Number == 1).AsString, Is.EqualTo("losses/loss_d"));
        Assert.That(value.Single(f => f.Number == 2).AsFloat, Is.EqualTo(0.25f));
        var version = ProtoReader.Fields(TensorBoardEvent.Version(1.0));
        Assert.That(version.Single(f => f.Number == 3).AsString, Is.EqualTo("brain.Event:2"));
    }

    [Test]
    public void ReadersStopAtATornOrCorruptRecordAndKeepTheOnesBefore()
    {
        var stream = new MemoryStream();
        byte[][] data = [[1, 2, 3], [], Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()];
        foreach (var d in data)
            TfRecord.Write(stream, d);
        byte[] file = stream.ToArray();
        Assert.That(file, Has.Length.EqualTo(3 * 16 + 303));
        Assert.That(TfRecord.ReadAll(file, out string? bad), Is.EqualTo(data));
        Assert.That(bad, Is.Null);

        // A crash in the last record's data: the first two stay.
        Assert.That(TfRecord.ReadAll(file.AsSpan(0, file.Length - 10), out bad), Is.EqualTo(data[..2]));
        Assert.That(bad, Does.Contain("cut short"));
        // In its header.
        Assert.That(TfRecord.ReadAll(file.AsSpan(0, 16 + 3 + 16 + 5), out bad), Is.EqualTo(data[..2]));
        Assert.That(bad, Does.Contain("header cut short"));
        // A flipped bit in the second record's data, then in the third's length.
        byte[] flipped = (byte[])file.Clone();
        flipped[19 + 12] ^= 1; // the second record has no data: this is its data CRC
        Assert.That(TfRecord.ReadAll(flipped, out bad), Is.EqualTo(data[..1]));
        Assert.That(bad, Does.Contain("data's CRC"));
        flipped = (byte[])file.Clone();
        flipped[19 + 16] ^= 4;
        Assert.That(TfRecord.ReadAll(flipped, out bad), Is.EqualTo(data[..2]));
        Assert.That(bad, Does.Contain("length's CRC"));
    }

    static (double Min, double Max, double Num, double[] Limits, double[] Counts) Histogram(ProtoWriter value)
    {
        var h = ProtoReader.Fields(ProtoReader.Fields(value.ToArray()).Single(f => f.Number == 5).Payload);
        return (h.Single(f => f.Number == 1).AsDouble, h.Single(f => f.Number == 2).AsDouble, h.Single(f => f.Number == 3).AsDouble,
            h.Single(f => f.Number == 6).AsPackedDoubles(), h.Single(f => f.Number == 7).AsPackedDoubles());
    }

    [Test]
    public void HistogramBucketsAreHalfOpenOnTheLeftAndSumToTheCount()
    {
        // Limits 1, 2, 3, 4 over [0, 4]: bucket i counts (limit(i−1), limit(i)], the first from −∞.
        float[] values = [0, 1, 1.5f, 2, 2, 3.999f, 4, float.NaN];
        var (min, max, num, limits, counts) = Histogram(TensorBoardEvent.Histogram("t", values, buckets: 4));
        Assert.That((min, max, num), Is.EqualTo((0.0, 4.0, 7.0)), "NaN left out");
        Assert.That(limits, Is.EqualTo(new[] { 1.0, 2, 3, 4 }));
        Assert.That(counts, Is.EqualTo(new[] { 2.0, 3, 0, 2 }));

        var rng = new Random(5);
        float[] many = Enumerable.Range(0, 1001).Select(_ => (float)(rng.NextDouble() * 2e-3 - 1e-3)).ToArray();
        var h = Histogram(TensorBoardEvent.Histogram("t", many));
        Assert.That(h.Counts.Sum(), Is.EqualTo(1001));
        Assert.That(h.Limits[^1], Is.EqualTo(h.Max));

        var constant = Histogram(TensorBoardEvent.Histogram("t", [0.5f, 0.5f, 0.5f]));
        Assert.That((constant.Limits, constant.Counts), Is.EqualTo((new[] { 0.5 }, new[] { 3.0 })));
    }

    [Test]
    public void PngHeaderGivesSizeAndColorspace()
    {
        byte[] png = File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Evaluation", "Fixtures",
            Directory.GetFiles(Path.Combine(TestContext.CurrentContext.TestDirectory, "Evaluation", "Fixtures"), "*.png")
                .Select(Path.GetFileName).First()!));
        var header = TensorBoardExport.PngHeader(png);
        using var image = SixLabors.ImageSharp.Image.Load(png);
        Assert.That(header, Is.Not.Null);
        Assert.That((header!.Value.Width, header.Value.Height), Is.EqualTo((image.Width, image.Height)));
        Assert.That(TensorBoardExport.PngHeader("not a png at all, not at all"u8), Is.Null);
    }

    // ---- real runs

    /// <summary>
    /// A live run: 4 iterations of tiny networks on the bundled digits with --tensorboard, a checkpoint every 2, a grid
    /// every iteration and the quality metric at the end (metrics.csv). Made once; needs PoCL.
    /// </summary>
    static string LiveRun()
    {
        TestDevices.Get("opencl");
        if (liveRun is not null)
            return liveRun;
        string dir = Path.Combine(ReportRuns.Root, "tensorboard-live");
        Train(dir, "--iterations", "4", "--eval-count", "64");
        return liveRun = dir;
    }

    static string? liveRun;

    static void Train(string dir, params string[] more)
    {
        // The tuned recipe: its D has plain "weight" tensors (the default's spectral norm names them weight_orig).
        string[] args = ["train", "--recipe", "tuned", "--batch-size", "16", "--ngf", "8", "--ndf", "8", "--checkpoint-every", "2", "--sample-every", "1",
            "--device", "opencl", "--quiet", "--tensorboard", .. (Directory.Exists(dir) ? new[] { "--resume", dir } : ["--out", dir]), .. more];
        var (code, _, err) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(0), err);
    }

    static string[] TrainingEventFiles(string dir) =>
        TensorBoardExport.EventFiles(dir).Where(f => !f.EndsWith(TensorBoardExport.ReportSuffix, StringComparison.Ordinal)).ToArray();

    /// <summary>One decoded summary value: its tag, step, and (by kind) scalar, image bytes or histogram count.</summary>
    sealed record Value(string Tag, long Step, float? Scalar, byte[]? Image, double? Count, double? BucketSum);

    /// <summary>Decodes a whole event file, asserting every CRC and the first record's file_version.</summary>
    static List<Value> Decode(string file)
    {
        var records = TfRecord.ReadAll(File.ReadAllBytes(file), out string? bad);
        Assert.That(bad, Is.Null, $"{file}: every record reads");
        Assert.That(ProtoReader.Fields(records[0]).Single(f => f.Number == 3).AsString, Is.EqualTo("brain.Event:2"));
        var values = new List<Value>();
        foreach (var record in records.Skip(1))
        {
            var e = ProtoReader.Fields(record);
            long step = (long)(e.SingleOrDefault(f => f.Number == 2).Bits);
            foreach (var v in ProtoReader.Fields(e.Single(f => f.Number == 5).Payload).Select(f => ProtoReader.Fields(f.Payload)))
            {
                string tag = v.Single(f => f.Number == 1).AsString;
                if (v.Any(f => f.Number == 2))
                    values.Add(new(tag, step, v.Single(f => f.Number == 2).AsFloat, null, null, null));
                else if (v.SingleOrDefault(f => f.Number == 4) is { Number: 4 } image)
                    values.Add(new(tag, step, null, ProtoReader.Fields(image.Payload).Single(f => f.Number == 4).Payload.ToArray(), null, null));
                else
                {
                    var h = ProtoReader.Fields(v.Single(f => f.Number == 5).Payload);
                    values.Add(new(tag, step, null, null, h.Single(f => f.Number == 3).AsDouble, h.Single(f => f.Number == 7).AsPackedDoubles().Sum()));
                }
            }
        }
        return values;
    }

    static void AssertScalarsAreTheCsv(string dir, IReadOnlyList<Value> values)
    {
        var scalars = values.Where(v => v.Scalar is not null).ToLookup(v => (v.Tag, v.Step));
        Assert.That(scalars.Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "each (tag, step) once");
        foreach (var (file, prefix) in new[] { ("losses.csv", "losses/"), ("metrics.csv", "metrics/") })
        {
            if (!File.Exists(Path.Combine(dir, file)))
            {
                Assert.That(scalars.Where(g => g.Key.Tag.StartsWith(prefix, StringComparison.Ordinal)), Is.Empty);
                continue;
            }
            string[] lines = File.ReadAllLines(Path.Combine(dir, file));
            string[] header = lines[0].Split(',');
            foreach (string line in lines.Skip(1))
            {
                string[] cells = line.Split(',');
                long step = long.Parse(cells[0], CultureInfo.InvariantCulture);
                for (int c = 1; c < header.Length; c++)
                {
                    float expected = float.Parse(cells[c], CultureInfo.InvariantCulture);
                    var found = scalars[(prefix + header[c], step)].ToList();
                    Assert.That(found, Has.Count.EqualTo(1), $"{prefix}{header[c]} at {step}");
                    Assert.That(found[0].Scalar, Is.EqualTo(expected), $"{prefix}{header[c]} at {step}");
                }
            }
        }
    }

    [Test]
    public void ALiveRunWritesEveryStepOnceWithGradientsAtItsCheckpoints()
    {
        string dir = LiveRun();
        var files = TrainingEventFiles(dir);
        Assert.That(files, Has.Length.EqualTo(1));
        var values = Decode(files[0]);
        AssertScalarsAreTheCsv(dir, values);
        Assert.That(values.Where(v => v.Tag == "losses/loss_d").Select(v => v.Step), Is.EqualTo(new long[] { 1, 2, 3, 4 }),
            "in step order, as appended at checkpoints 2 and 4");
        Assert.That(values.Where(v => v.Image is not null).Select(v => (v.Tag, v.Step)),
            Is.EqualTo(new[] { ("real_samples", 0L), ("fake_samples", 1), ("fake_samples", 2), ("fake_samples", 3), ("fake_samples", 4) }));
        Assert.That(values.Single(v => v.Tag == "fake_samples" && v.Step == 3).Image,
            Is.EqualTo(File.ReadAllBytes(Path.Combine(dir, "fake_samples_iter_0000003.png"))));
        // Every parameter tensor (grad_norms.csv's columns) has a weight and a gradient histogram at each checkpoint.
        string[] tensors = File.ReadLines(Path.Combine(dir, "grad_norms.csv")).First().Split(',')[1..];
        foreach (string kind in new[] { "weights/", "gradients/" })
            Assert.That(values.Where(v => v.Tag.StartsWith(kind, StringComparison.Ordinal) && v.Tag.Contains(".main.")
                                          && !v.Tag.StartsWith("weights/netG_ema", StringComparison.Ordinal))
                    .Select(v => (v.Tag, v.Step)).Order(),
                Is.EquivalentTo(tensors.SelectMany(t => new[] { (kind + t, 2L), (kind + t, 4L) })));
        Assert.That(values.Where(v => v.Count is not null).Select(v => v.BucketSum), Is.EqualTo(values.Where(v => v.Count is not null).Select(v => v.Count)));
        var netG = Nn.Checkpoints.SafetensorsFile.Read(Path.Combine(dir, "netG.safetensors"));
        Assert.That(values.Single(v => v.Tag == "gradients/netG.main.0.weight" && v.Step == 4).Count,
            Is.EqualTo(netG.Get("main.0.weight").ElementCount));
    }

    [Test]
    public void AResumeAfterATornRecordWritesANewFileFromTheLastStepItHolds()
    {
        TestDevices.Get("opencl");
        string dir = Path.Combine(ReportRuns.Root, $"tensorboard-resume-{Guid.NewGuid():N}");
        Train(dir, "--iterations", "4", "--eval-count", "0");
        string first = TrainingEventFiles(dir).Single();
        // A crash while appending checkpoint 4's records: cut the file inside the first record of step 3.
        byte[] bytes = File.ReadAllBytes(first);
        int at = 0, cut = -1;
        while (cut < 0)
        {
            int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            if (at > 0 && TensorBoardEvent.StepOf(bytes.AsSpan(at + 12, length).ToArray()) == 3)
                cut = at + 20;
            at += length + 16;
        }
        File.WriteAllBytes(first, bytes[..cut]);
        Assert.That(TensorBoardLog.LastStep(dir), Is.EqualTo(2));
        // The run is at its checkpoint 4; resume it to 6.
        Train(dir, "--iterations", "6", "--eval-count", "0");
        var files = TrainingEventFiles(dir);
        Assert.That(files, Has.Length.EqualTo(2));
        Assert.That(files[0], Is.EqualTo(first), "the earlier file is left as it was");
        var second = Decode(files[1]);
        Assert.That(second.Where(v => v.Tag == "losses/loss_d").Select(v => v.Step), Is.EqualTo(new long[] { 3, 4, 5, 6 }),
            "the steps the torn file lost, then the new ones");
        Assert.That(second.Where(v => v.Tag.StartsWith("gradients/", StringComparison.Ordinal)).Select(v => v.Step).Distinct(),
            Is.EqualTo(new long[] { 6 }), "gradients only of this process's checkpoints");
        AssertScalarsAreTheCsv(dir, [.. DecodeTorn(first), .. second]);
    }

    /// <summary>The values of a file's records before its torn one.</summary>
    static List<Value> DecodeTorn(string file)
    {
        string copy = Path.Combine(ReportRuns.Root, $"torn-{Guid.NewGuid():N}");
        var stream = new MemoryStream();
        foreach (var r in TfRecord.ReadAll(File.ReadAllBytes(file), out _))
            TfRecord.Write(stream, r);
        File.WriteAllBytes(copy, stream.ToArray());
        return Decode(copy);
    }

    [Test]
    public void ReportTensorBoardIsAPureFunctionOfTheRunsFiles()
    {
        string source = LiveRun();
        string dir = Path.Combine(ReportRuns.Root, $"tensorboard-report-{Guid.NewGuid():N}");
        CopyDirectory(source, dir);
        foreach (string f in TrainingEventFiles(dir))
            File.Delete(f);
        var (code, output, err) = CliRunner.Run("report", dir, "--tensorboard");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("no gradient histograms"));
        string file = TensorBoardExport.EventFiles(dir).Single();
        Assert.That(file, Does.EndWith(TensorBoardExport.ReportSuffix));
        Assert.That(output, Does.Contain($"wrote {file} (steps 0-4: "));
        byte[] once = File.ReadAllBytes(file);
        var values = Decode(file);
        AssertScalarsAreTheCsv(dir, values);
        Assert.That(values.Where(v => v.Tag.StartsWith("gradients/", StringComparison.Ordinal)), Is.Empty);
        Assert.That(values.Where(v => v.Tag == "weights/netD.main.0.weight").Select(v => v.Step), Is.EqualTo(new long[] { 4 }),
            "the saved weights' iteration (the live run also had checkpoint 2's, kept by no file)");

        (code, _, err) = CliRunner.Run("report", dir, "--tensorboard");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(TensorBoardExport.EventFiles(dir).Single(), Is.EqualTo(file), "rewritten, not added to");
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(once), "the same bytes from the same files");
        Assert.That(Directory.GetFiles(dir, "*.tmp"), Is.Empty);
    }

    [Test]
    public void TensorBoardIsAUsageErrorWithSeveralRuns()
    {
        var (code, _, err) = CliRunner.Run("report", "a", "b", "--out", "x.html", "--tensorboard");
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("--tensorboard"));
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (string d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, f.Replace(from, to));
    }

    // ---- an independent decoder

    [Test]
    public void PythonProtobufDecodesTheLiveAndTheReportFiles()
    {
        PythonReference.Require(PythonReference.CanImport("google.protobuf") && File.Exists("/usr/bin/protoc"),
            "python3-protobuf and protoc", "apt-get install python3-protobuf protobuf-compiler");
        string dir = LiveRun();
        string script = Path.Combine(TestContext.CurrentContext.TestDirectory, "Reporting", "TensorBoard", "check_events.py");
        string live = TrainingEventFiles(dir).Single();
        int code = PythonReference.Run($"\"{script}\" \"{dir}\" \"{live}\" --weights 2,4 --gradients 2,4", out string output);
        Assert.That(code, Is.EqualTo(0), output);
        TestContext.Out.WriteLine($"live: {output.Trim()}");

        string copy = Path.Combine(ReportRuns.Root, $"tensorboard-python-{Guid.NewGuid():N}");
        CopyDirectory(dir, copy);
        File.Delete(Path.Combine(copy, Path.GetFileName(live)));
        Assert.That(CliRunner.Run("report", copy, "--tensorboard").Code, Is.EqualTo(0));
        string report = TensorBoardExport.EventFiles(copy).Single();
        code = PythonReference.Run($"\"{script}\" \"{copy}\" \"{report}\" --weights 4", out output);
        Assert.That(code, Is.EqualTo(0), output);
        TestContext.Out.WriteLine($"report: {output.Trim()}");
    }
}

// A run directory as TensorBoard events (the format: TensorBoardWriter.cs), so that `tensorboard --logdir runs` shows
// dcgan's runs beside PyTorch's. What goes in, each at its iteration as TensorBoard's step:
//
//   scalars     losses/<column>   every column of losses.csv but iteration (loss_d, loss_g, d_x, d_g_z1, d_g_z2, …)
//               metrics/<column>  every column of metrics.csv but iteration (classifier_score, frechet_distance, …)
//   images      fake_samples      each fixed-noise grid (its PNG as written); real_samples at step 0
//   histograms  weights/<tensor>  every weight and bias of the saved networks: netG/netD.safetensors and the epoch
//                                 checkpoints (at the iteration in their metadata), netG_ema.safetensors
//               gradients/<tensor> the gradients of the checkpoint's iteration: live only (TensorBoardLog), since no
//                                 run file keeps gradients
//
// Wall times are the run's started_utc (run.json) plus the iterations' own durations summed from losses.csv
// (batch size × critic steps / images per second): the same in a live log and in `dcgan report --tensorboard`, and
// an export is a pure function of the files (checkpoint and metric time left out, so the times run a little early).
//
// Two writers:
//   `dcgan report DIR --tensorboard`  rewrites its own file (…<host>.dcgan-report) with everything, atomically.
//   `dcgan train --tensorboard`       TensorBoardLog: one new file per process (as TensorBoard expects of a restarted
//                                     job), appended at each checkpoint with the steps since the last one, after the
//                                     checkpoint's files are written. A resume starts after the last step the run's
//                                     earlier files hold (read back, up to a torn record), capped at the checkpoint:
//                                     no step is written twice, and steps a crash kept from an earlier file are
//                                     written now. A divergence rollback goes back to the last checkpoint, which is
//                                     where the log stands (it is written only at checkpoints).
// Both kinds in one directory repeat steps with the same values (both are computed from the same files); TensorBoard
// shows one of them.
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;

namespace Dcgan.Nn.Reporting;

/// <summary>What an export wrote: counts per kind, and the steps covered (null when it wrote no step).</summary>
public sealed class TensorBoardCounts
{
    public int Scalars { get; internal set; }
    public int Images { get; internal set; }
    public int WeightHistograms { get; internal set; }
    public int GradientHistograms { get; internal set; }
    public long? FirstStep { get; internal set; }
    public long? LastStep { get; internal set; }

    internal void Step(long step)
    {
        FirstStep = Math.Min(FirstStep ?? step, step);
        LastStep = Math.Max(LastStep ?? step, step);
    }
}

public static class TensorBoardExport
{
    public const string FilePrefix = "events.out.tfevents.";
    /// <summary>The suffix of the file `dcgan report --tensorboard` owns (and rewrites).</summary>
    public const string ReportSuffix = ".dcgan-report";
    const int HistogramBuckets = 30;

    /// <summary>TensorBoard's file name: events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;&lt;suffix&gt;.</summary>
    public static string FileName(DateTime utc, string suffix) =>
        $"{FilePrefix}{new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds()}.{Environment.MachineName}{suffix}";

    /// <summary>The event files in a directory (any writer's), by name.</summary>
    public static IEnumerable<string> EventFiles(string directory) =>
        Directory.EnumerateFiles(directory, FilePrefix + "*").Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>
    /// `dcgan report DIR --tensorboard`: every event of the run's files into DIR's report events file, replacing the
    /// one an earlier export wrote (written to a temporary name without "tfevents" in it, then renamed, so a watching
    /// TensorBoard never reads half a file). Returns the file and the counts.
    /// </summary>
    public static (string File, TensorBoardCounts Counts) WriteReportFile(string runDirectory)
    {
        var run = RunDirectory.Read(runDirectory);
        var counts = new TensorBoardCounts();
        var records = Events(run, after: -1, through: long.MaxValue, gradients: null, counts);
        double wall = StartTime(run);
        string path = Path.Combine(runDirectory, FileName(DateTimeOffset.FromUnixTimeSeconds((long)wall).UtcDateTime, ReportSuffix));
        string temporary = Path.Combine(runDirectory, ".dcgan-report-events.tmp");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            TfRecord.Write(stream, TensorBoardEvent.Version(wall));
            foreach (var r in records)
                TfRecord.Write(stream, r);
            stream.Flush(flushToDisk: true);
        }
        foreach (string old in EventFiles(runDirectory).Where(f => f.EndsWith(ReportSuffix, StringComparison.Ordinal) && f != path))
            File.Delete(old);
        File.Move(temporary, path, overwrite: true);
        return (path, counts);
    }

    /// <summary>
    /// The events (encoded, in step order) of the run's files whose step is in (<paramref name="after"/>,
    /// <paramref name="through"/>]; <paramref name="gradients"/> (tensor name, values) go in as histograms at step
    /// <paramref name="through"/>.
    /// </summary>
    public static List<byte[]> Events(RunDirectory run, long after, long through,
        IReadOnlyList<(string Name, float[] Values)>? gradients, TensorBoardCounts counts)
    {
        bool In(long step) => step > after && step <= through;
        var wall = WallTimes(run);
        // (step, order within the step, the event): scalars, then images, then histograms at each step.
        var events = new List<(long Step, int Order, byte[] Event)>();
        void Add(long step, int order, List<ProtoWriter> values)
        {
            if (values.Count == 0)
                return;
            events.Add((step, order, TensorBoardEvent.Summary(wall(step), step, values)));
            counts.Step(step);
        }

        foreach (var (table, prefix, order) in new[] { (run.Losses, "losses/", 0), (run.Metrics, "metrics/", 1) })
        {
            if (table is null)
                continue;
            var iterations = table.Column("iteration");
            var columns = table.Columns.Where(c => c != "iteration").ToList();
            for (int row = 0; row < table.RowCount; row++)
            {
                if (!long.TryParse(iterations[row], CultureInfo.InvariantCulture, out long step) || !In(step))
                    continue;
                var values = new List<ProtoWriter>();
                foreach (string c in columns)
                {
                    // NaN is "not logged" in these files (a column a later release added): left out.
                    double v = CsvTable.Number(table.Cell(row, c));
                    if (!double.IsNaN(v))
                        values.Add(TensorBoardEvent.Scalar(prefix + c, (float)v));
                }
                counts.Scalars += values.Count;
                Add(step, order, values);
            }
        }

        var images = new List<(long Step, string Tag, string File)>();
        if (run.HasRealSamples)
            images.Add((0, "real_samples", RunDirectory.RealSamplesFile));
        images.AddRange(run.Grids.Where(g => g.Iteration is not null).Select(g => ((long)g.Iteration!.Value, "fake_samples", g.File)));
        foreach (var (step, tag, file) in images.Where(i => In(i.Step)))
        {
            byte[] png = File.ReadAllBytes(run.Combine(file));
            if (PngHeader(png) is not var (width, height, colorspace))
                continue; // not a PNG (a file being replaced): the next export has it
            counts.Images++;
            Add(step, 2, [TensorBoardEvent.Image(tag, width, height, colorspace, png)]);
        }

        var seen = new HashSet<(string, long)>();
        foreach (var (file, network) in WeightFiles(run.Path))
        {
            if (SavedIteration(file) is not long step || !In(step))
                continue;
            var values = new List<ProtoWriter>();
            var tensors = SafetensorsFile.Read(file);
            foreach (string name in tensors.Names)
            {
                string tag = $"weights/{network}.{name}";
                if (tensors.Get(name).Dtype != SafetensorsDtype.F32 || !IsWeight(name) || !seen.Add((tag, step)))
                    continue;
                values.Add(TensorBoardEvent.Histogram(tag, tensors.GetFloat32(name), HistogramBuckets));
            }
            counts.WeightHistograms += values.Count;
            Add(step, 3, values);
        }
        if (gradients is { Count: > 0 } && In(through))
        {
            counts.GradientHistograms += gradients.Count;
            Add(through, 4, gradients.Select(g => TensorBoardEvent.Histogram("gradients/" + g.Name, g.Values, HistogramBuckets)).ToList());
        }
        return events.OrderBy(e => e.Step).ThenBy(e => e.Order).Select(e => e.Event).ToList();
    }

    /// <summary>A learnable tensor of a state dict (batchnorm's running statistics and counters are not weights).</summary>
    static bool IsWeight(string name) =>
        name.EndsWith("weight", StringComparison.Ordinal) || name.EndsWith("bias", StringComparison.Ordinal)
        || name.EndsWith("weight_orig", StringComparison.Ordinal);

    /// <summary>The run's weight files with the network each holds, the latest ones first.</summary>
    static IEnumerable<(string File, string Network)> WeightFiles(string directory)
    {
        foreach (string net in new[] { "netG", "netD", "netG_ema" })
            if (File.Exists(Path.Combine(directory, net + ".safetensors")))
                yield return (Path.Combine(directory, net + ".safetensors"), net);
        string checkpoints = Path.Combine(directory, "checkpoints");
        if (!Directory.Exists(checkpoints))
            yield break;
        foreach (string file in Directory.EnumerateFiles(checkpoints, "net?_epoch_*.safetensors").Order(StringComparer.Ordinal))
            yield return (file, Path.GetFileName(file)[..4]);
    }

    /// <summary>
    /// The "iteration" of a safetensors file's metadata, read from its header alone (an export looks at every epoch
    /// checkpoint, and reads the tensors only of those in its range); null when absent or unreadable.
    /// </summary>
    static long? SavedIteration(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> size = stackalloc byte[8];
            stream.ReadExactly(size);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(size);
            if (length > SafetensorsFile.MaxHeaderBytes)
                return null;
            var header = new byte[length];
            stream.ReadExactly(header);
            return JsonNode.Parse(header)?["__metadata__"]?["iteration"]?.GetValue<string>() is string s
                   && long.TryParse(s, CultureInfo.InvariantCulture, out long it) ? it : null;
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A PNG's width, height and TensorBoard colorspace (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) from its IHDR.</summary>
    public static (int Width, int Height, int Colorspace)? PngHeader(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 26 || !png[..8].SequenceEqual(signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
            return null;
        int colorspace = png[25] switch { 0 => 1, 4 => 2, 6 => 4, _ => 3 }; // 2 RGB, 3 palette: RGB
        return (BinaryPrimitives.ReadInt32BigEndian(png[16..]), BinaryPrimitives.ReadInt32BigEndian(png[20..]), colorspace);
    }

    /// <summary>run.json's started_utc in Unix seconds (0 when the run has none).</summary>
    static double StartTime(RunDirectory run) =>
        run.RunJson?["started_utc"] is JsonValue v && v.TryGetValue(out string? s)
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds() / 1000.0 : 0;

    /// <summary>The wall time of each step (file header): start plus the summed durations of the iterations up to it.</summary>
    static Func<long, double> WallTimes(RunDirectory run)
    {
        double start = StartTime(run);
        var ends = new SortedList<long, double>();
        var losses = run.Losses;
        int batch = run.RunJson?["config"]?["batch_size"] is JsonValue b && b.TryGetValue(out int n) ? n : 0;
        if (losses is not null && batch > 0 && losses.Has("images_per_second"))
        {
            var its = losses.Column("iteration");
            var rates = losses.Column("images_per_second");
            var critic = losses.Has("critic_steps") ? losses.Column("critic_steps") : null;
            double elapsed = 0, criticBefore = 0;
            for (int i = 0; i < losses.RowCount; i++)
            {
                if (!long.TryParse(its[i], CultureInfo.InvariantCulture, out long it))
                    continue;
                double criticNow = critic is null ? it : CsvTable.Number(critic[i]);
                double rate = CsvTable.Number(rates[i]);
                if (rate > 0 && criticNow > criticBefore)
                    elapsed += batch * (criticNow - criticBefore) / rate;
                if (!double.IsNaN(criticNow))
                    criticBefore = criticNow;
                ends[it] = elapsed;
            }
        }
        return step =>
        {
            // The last logged iteration at or before the step (a grid or checkpoint at an iteration losses.csv has).
            var keys = ends.Keys;
            int lo = 0, hi = keys.Count - 1, found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (keys[mid] <= step)
                    (found, lo) = (mid, mid + 1);
                else
                    hi = mid - 1;
            }
            return Math.Round(start + (found < 0 ? 0 : ends.Values[found]), 3);
        };
    }
}

/// <summary>
/// `dcgan train --tensorboard`: the run's live event file (see TensorBoardExport's header), opened at the first
/// checkpoint. A failure to write costs one warning, the first time, never the run.
/// </summary>
public sealed class TensorBoardLog(string directory, long exportedThrough, Action<string> warn) : IDisposable
{
    FileStream? stream;
    bool failed;

    /// <summary>The file this process writes (null before the first checkpoint).</summary>
    public string? File { get; private set; }

    /// <summary>
    /// The log of a run starting now (<paramref name="resumedAt"/> null) or resuming from its checkpoint at that
    /// iteration: it goes on after the last step the run's earlier training event files hold, at most the checkpoint.
    /// </summary>
    public static TensorBoardLog Open(string directory, int? resumedAt, Action<string> warn) =>
        new(directory, resumedAt is int at ? Math.Min(LastStep(directory), at) : -1, warn);

    /// <summary>The last step of any summary event in the directory's training event files; -1 when none.</summary>
    public static long LastStep(string directory)
    {
        long last = -1;
        foreach (string file in TensorBoardExport.EventFiles(directory)
                     .Where(f => !f.EndsWith(TensorBoardExport.ReportSuffix, StringComparison.Ordinal)))
        {
            byte[] bytes;
            using (var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[s.Length];
                s.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            }
            foreach (var record in TfRecord.ReadAll(bytes, out _))
                if (IsSummary(record) && TensorBoardEvent.StepOf(record) is long step)
                    last = Math.Max(last, step);
        }
        return last;
    }

    static bool IsSummary(byte[] record)
    {
        try
        {
            return ProtoReader.Fields(record).Any(f => f.Number == 5 && f.WireType == 2);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// At a checkpoint at <paramref name="iteration"/>, after its files are written: appends the events of the steps
    /// since the last checkpoint (one write, then a flush), and the iteration's gradients as histograms. A write that
    /// fails (a full disk) is cut back off the file, so that the next checkpoint's records follow whole ones.
    /// </summary>
    public void Checkpoint(int iteration, IReadOnlyList<(string Name, float[] Values)> gradients)
    {
        long good = -1;
        try
        {
            var counts = new TensorBoardCounts();
            var events = TensorBoardExport.Events(RunDirectory.Read(directory), exportedThrough, iteration, gradients, counts);
            var buffer = new MemoryStream();
            if (stream is null)
            {
                // One file per process; a second log in the same second and process (tests) takes the next number.
                string name = Path.Combine(directory, TensorBoardExport.FileName(DateTime.UtcNow, $".{Environment.ProcessId}"));
                File = name;
                for (int n = 1; System.IO.File.Exists(File); n++)
                    File = $"{name}.{n}";
                stream = new FileStream(File, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            }
            good = stream.Length;
            if (good == 0)
                TfRecord.Write(buffer, TensorBoardEvent.Version(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0));
            foreach (var e in events)
                TfRecord.Write(buffer, e);
            stream.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            stream.Flush();
            exportedThrough = iteration;
        }
        catch (Exception e)
        {
            try
            {
                if (good >= 0)
                    stream!.SetLength(good);
            }
            catch (IOException)
            {
                // The next checkpoint's records then follow a torn one, which readers stop at; the report rewrites all.
            }
            if (!failed)
                warn($"warning: TensorBoard events not written: {e.Message} (training goes on; dcgan report {directory} --tensorboard writes them later)");
            failed = true;
        }
    }

    public void Dispose() => stream?.Dispose();
}

// The files of a `dcgan train` run directory as the report reads them: run.json, the CSV logs, the fixed-noise
// grids, snapshots.json, divergence.log, skipped_images.txt. Every file but one of run.json and losses.csv may be missing (runs made
// by older releases, or a run still in its first epoch); a missing file is null or empty here, never an error.
//
// The logs may be growing while they are read (the training run itself writes report.html at its checkpoints, and
// `dcgan report` may look at a live run): files are opened with FileShare.ReadWrite, and a last line without its
// newline (a row being written) is left out, as CsvLog does on resume.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dcgan.Nn.Training;

namespace Dcgan.Nn.Reporting;

/// <summary>A directory that is not a run of dcgan train, or a run file that cannot be read: exit 1 in the CLI.</summary>
public sealed class ReportException(string message) : Exception(message);

/// <summary>
/// A CSV log read whole: its header's column names and, per column, the cells as text. Rows whose cell count differs
/// from the header's (a torn or malformed line) are left out.
/// </summary>
public sealed class CsvTable
{
    readonly Dictionary<string, int> index;
    readonly List<string[]> rows;

    public IReadOnlyList<string> Columns { get; }
    public int RowCount => rows.Count;

    CsvTable(string[] columns, List<string[]> rows)
    {
        Columns = columns;
        this.rows = rows;
        index = columns.Select((c, i) => (c, i)).GroupBy(p => p.c).ToDictionary(g => g.Key, g => g.First().i);
    }

    /// <summary>The table of a CSV file, or null when the file is absent or has no header.</summary>
    public static CsvTable? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
            text = reader.ReadToEnd();
        string[] lines = text.Split('\n');
        if (lines.Length < 2 || lines[0].Trim().Length == 0)
            return null;
        string[] columns = lines[0].TrimEnd('\r').Split(',');
        var rows = new List<string[]>();
        // The last element is "" after a final newline, or a row still being written: never read.
        foreach (string line in lines.Skip(1).Take(lines.Length - 2))
        {
            string[] cells = line.TrimEnd('\r').Split(',');
            if (cells.Length == columns.Length)
                rows.Add(cells);
        }
        return new CsvTable(columns, rows);
    }

    public bool Has(string column) => index.ContainsKey(column);

    /// <summary>The cells of one column, top to bottom.</summary>
    public IReadOnlyList<string> Column(string name)
    {
        int i = index.TryGetValue(name, out int found) ? found
            : throw new KeyNotFoundException($"no column '{name}'");
        return rows.Select(r => r[i]).ToArray();
    }

    public string Cell(int row, string column) => rows[row][index[column]];

    /// <summary>A cell as a number: NaN when it is not one.</summary>
    public static double Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
}

/// <summary>One fixed-noise grid: its file (relative to the run directory), the iteration and, for an epoch's grid, the epoch.</summary>
public sealed record GridImage(string File, int? Iteration, int? Epoch);

/// <summary>Everything the report shows, read from a run directory (see the file header).</summary>
public sealed partial class RunDirectory
{
    public const string RunJsonFile = "run.json";
    public const string LossesCsvFile = "losses.csv";
    public const string RealSamplesFile = "real_samples.png";

    public string Path { get; }
    public JsonObject? RunJson { get; }
    public CsvTable? Losses { get; }
    public CsvTable? GradNorms { get; }
    public CsvTable? Metrics { get; }
    public IReadOnlyList<GridImage> Grids { get; }
    public bool HasRealSamples { get; }
    public string? DivergenceLog { get; }
    public IReadOnlyList<string> SkippedImages { get; }

    /// <summary>
    /// snapshots.json's snapshots (Training/Snapshots.cs), oldest first; null when the file is absent or cannot be
    /// read (a run from before snapshots, or one that has not reached its first checkpoint).
    /// </summary>
    public JsonArray? Snapshots { get; }

    /// <summary>
    /// grid_labels.json (Training/GridLabels.cs): the grids' layout (columns, padding, tile) and per grid file its tiles'
    /// labels and confidences; null when the run has none (no quality metric, or a run from before the labels).
    /// </summary>
    public JsonObject? GridLabels { get; }

    RunDirectory(string path)
    {
        Path = path;
        string runJson = Combine(RunJsonFile);
        if (File.Exists(runJson))
        {
            try
            {
                RunJson = JsonNode.Parse(ReadText(runJson)) as JsonObject
                    ?? throw new ReportException($"{runJson}: not a JSON object; expected the run.json of dcgan train");
            }
            catch (JsonException e)
            {
                throw new ReportException($"{runJson}: not valid JSON ({e.Message}); expected the run.json of dcgan train");
            }
        }
        Losses = CsvTable.Read(Combine(LossesCsvFile));
        if (Losses is not null && !(Losses.Has("iteration") && Losses.Has("loss_d") && Losses.Has("loss_g")))
            throw new ReportException($"{Combine(LossesCsvFile)}: header '{string.Join(",", Losses.Columns)}' lacks iteration, loss_d or loss_g; expected the losses.csv of dcgan train");
        GradNorms = CsvTable.Read(Combine(GradNormsCsv.FileName)) is { } g && g.Has("iteration") && g.Columns.Count > 1 ? g : null;
        Metrics = CsvTable.Read(Combine(TrainingRun.MetricsCsvFile)) is { } m && m.Has("iteration") && m.RowCount > 0 ? m : null;
        Grids = FindGrids();
        HasRealSamples = File.Exists(Combine(RealSamplesFile));
        DivergenceLog = File.Exists(Combine(Training.DivergenceLog.FileName)) ? ReadText(Combine(Training.DivergenceLog.FileName)) : null;
        SkippedImages = File.Exists(Combine(TrainingRun.SkippedImagesFile))
            ? ReadText(Combine(TrainingRun.SkippedImagesFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];
        Snapshots = ReadSnapshots();
        GridLabels = ReadGridLabels();
    }

    /// <summary>
    /// Reads a run directory. Throws ReportException when it does not exist or holds neither run.json nor losses.csv
    /// (then it is not a run), or when run.json or losses.csv cannot be understood.
    /// </summary>
    public static RunDirectory Read(string path)
    {
        if (!Directory.Exists(path))
            throw new ReportException($"{path}: no such directory; expected a run directory of dcgan train");
        if (!File.Exists(System.IO.Path.Combine(path, RunJsonFile)) && !File.Exists(System.IO.Path.Combine(path, LossesCsvFile)))
            throw new ReportException($"{path}: not a run directory (neither run.json nor losses.csv in it); expected a directory written by dcgan train");
        return new RunDirectory(path);
    }

    public string Combine(string file) => System.IO.Path.Combine(Path, file);

    /// <summary>grid_labels.json when it can be read and has a layout; else null.</summary>
    JsonObject? ReadGridLabels()
    {
        string path = Combine(Training.GridLabels.FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonNode.Parse(ReadText(path)) is JsonObject o && o["grids"] is JsonArray && (int?)o["columns"] > 0 && (int?)o["tile"] > 0 ? o : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The labels and confidences of one grid's tiles, when grid_labels.json has them.</summary>
    public (JsonArray Labels, JsonArray Confidence)? LabelsOf(string gridFile) =>
        GridLabels?["grids"]?.AsArray().OfType<JsonObject>().FirstOrDefault(g => (string?)g["file"] == gridFile) is { } g
        && g["labels"] is JsonArray l && g["confidence"] is JsonArray c && l.Count == c.Count ? (l, c) : null;

    /// <summary>The snapshots of snapshots.json that have an iteration, in iteration order; null when there are none.</summary>
    JsonArray? ReadSnapshots()
    {
        string path = Combine(SnapshotsFile.FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            if (JsonNode.Parse(ReadText(path))?["snapshots"] is not JsonArray all)
                return null;
            var kept = all.OfType<JsonObject>().Where(s => s["iteration"] is JsonValue v && v.TryGetValue(out int _))
                .OrderBy(s => (int)s["iteration"]!).Select(s => (JsonNode)s.DeepClone()).ToArray();
            return kept.Length == 0 ? null : new JsonArray(kept);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string ReadText(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The fixed-noise grids in iteration order: grids.txt (GridHistory's index: "iteration file" per line) when the
    /// run has one, else the files by name, an epoch's grid placed at the last iteration losses.csv logs in that epoch.
    /// </summary>
    List<GridImage> FindGrids()
    {
        var found = new List<GridImage>();
        string index = Combine("grids.txt");
        if (File.Exists(index))
        {
            foreach (string line in ReadText(index).Split('\n'))
            {
                string[] parts = line.TrimEnd('\r').Split(' ', 2);
                if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int it)
                    && File.Exists(Combine(parts[1])) && found.All(g => g.File != parts[1]))
                    found.Add(new GridImage(parts[1], it, EpochOf(parts[1])));
            }
            if (found.Count > 0)
                return found.OrderBy(g => g.Iteration).ToList();
        }
        var epochEnds = EpochEnds();
        foreach (string file in Directory.EnumerateFiles(Path, "fake_samples_*.png").Select(System.IO.Path.GetFileName).OfType<string>())
        {
            if (EpochOf(file) is int epoch)
                found.Add(new GridImage(file, epochEnds.TryGetValue(epoch, out int it) ? it : null, epoch));
            else if (IterationGrid().Match(file) is { Success: true } m)
                found.Add(new GridImage(file, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), null));
        }
        // Grids whose iteration is unknown (an epoch losses.csv does not reach) go last, in epoch order.
        return found.OrderBy(g => g.Iteration ?? int.MaxValue).ThenBy(g => g.Epoch ?? -1).ThenBy(g => g.File, StringComparer.Ordinal).ToList();
    }

    static int? EpochOf(string file) =>
        EpochGrid().Match(file) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>Per epoch, the last iteration losses.csv logs in it (where the epoch's grid was drawn).</summary>
    Dictionary<int, int> EpochEnds()
    {
        var ends = new Dictionary<int, int>();
        if (Losses is null || !Losses.Has("epoch"))
            return ends;
        var its = Losses.Column("iteration");
        var epochs = Losses.Column("epoch");
        for (int i = 0; i < its.Count; i++)
            if (int.TryParse(epochs[i], CultureInfo.InvariantCulture, out int e) && int.TryParse(its[i], CultureInfo.InvariantCulture, out int it))
                ends[e] = Math.Max(ends.GetValueOrDefault(e), it);
        return ends;
    }

    [GeneratedRegex(@"^fake_samples_epoch_(\d+)\.png$")]
    private static partial Regex EpochGrid();

    [GeneratedRegex(@"^fake_samples_iter_(\d+)\.png$")]
    private static partial Regex IterationGrid();
}

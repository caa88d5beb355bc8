// The growing files of a run directory: losses.csv, the fixed-noise grids with progress.gif, and run.json.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Imaging;
using Dcgan.Nn.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Training;

/// <summary>
/// A per-iteration CSV log (losses.csv, grad_norms.csv): one row per iteration, appended and flushed as the run
/// goes (so it can be watched live; a kill -9 loses at most the row being written). When a run starts or resumes
/// from the checkpoint at iteration t, the file is first rewritten atomically with only its rows 1..t: rows after
/// the checkpoint, a torn last line (no final newline) and malformed rows are dropped, so each iteration appears
/// once. A file whose header differs (another network) keeps no rows, unless it is one of the log's legacy headers,
/// whose rows are upgraded (columns added by a later release, filled from the row or with NaN for "not logged").
/// </summary>
internal sealed class CsvLog : IDisposable
{
    readonly StreamWriter writer;

    public CsvLog(string path, string header, int keepThroughIteration, Action<int, string[]>? onKeptRow = null,
        IReadOnlyList<(string Header, Func<string, string> Upgrade)>? legacy = null)
    {
        var kept = new StringBuilder(header + "\n");
        int columns = header.Split(',').Length;
        if (keepThroughIteration > 0 && File.Exists(path))
        {
            string text = File.ReadAllText(path);
            string[] lines = text.Split('\n');
            // The last element is "" after a final newline, or a torn line a crash cut short: never kept.
            string fileHeader = lines[0].TrimEnd('\r');
            var upgrade = fileHeader == header ? (string l) => l
                : legacy?.FirstOrDefault(old => old.Header == fileHeader).Upgrade;
            if (lines.Length > 1 && upgrade is not null)
                foreach (string original in lines.Skip(1).Take(lines.Length - 2))
                {
                    string line = upgrade(original.TrimEnd('\r'));
                    string[] cells = line.Split(',');
                    if (cells.Length != columns || !int.TryParse(cells[0], CultureInfo.InvariantCulture, out int it)
                        || it < 1 || it > keepThroughIteration
                        || !cells.Skip(1).All(c => double.TryParse(c, CultureInfo.InvariantCulture, out _)))
                        continue;
                    kept.Append(line).Append('\n');
                    onKeptRow?.Invoke(it, cells);
                }
        }
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(kept.ToString()));
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>Appends one row (without its newline) and flushes it to the operating system.</summary>
    public void Append(string row)
    {
        writer.Write(row);
        writer.Write('\n');
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();
}

/// <summary>
/// losses.csv (columns: TrainingRun.LossesCsvHeader with the objective's score names), and the points of
/// losses.png. A file of a run made before the recipes (no critic_steps column; one critic step per iteration) is
/// continued with critic_steps = iteration on its old rows; one made before the weight norms, with NaN in them.
/// The kept rows also go to onKeptRow (the explosion rules' history), as the stats they logged.
/// </summary>
internal sealed class LossesCsv : IDisposable
{
    readonly CsvLog log;
    readonly List<LossPoint> points = [];
    readonly bool penalty;

    public IReadOnlyList<LossPoint> Points => points;

    public LossesCsv(string path, IReadOnlyList<string> scoreColumns, string? penaltyColumn, int keepThroughIteration,
        Action<int, IterationStats>? onKeptRow = null)
    {
        penalty = penaltyColumn is not null;
        const string notLogged = ",NaN,NaN";
        var legacy = new List<(string, Func<string, string>)>
        {
            (TrainingRun.LossesCsvHeaderV2(scoreColumns, penaltyColumn), row => row + notLogged),
        };
        if (scoreColumns.SequenceEqual(["d_x", "d_g_z1", "d_g_z2"]) && penaltyColumn is null)
            legacy.Add((TrainingRun.LossesCsvHeaderV1, row => row + "," + row.Split(',')[0] + notLogged));
        log = new CsvLog(path, TrainingRun.LossesCsvHeader(scoreColumns, penaltyColumn), keepThroughIteration,
            (it, cells) =>
            {
                var f = cells.Select(Parse).ToArray();
                var stats = new IterationStats((float)f[2], (float)f[3], (float)f[4], (float)f[5], (float)f[6],
                    (float)f[8], (float)f[9], NonFinite: false, penalty ? (float)f[11] : 0, (float)f[^2], (float)f[^1]);
                points.Add(new LossPoint(it, f[2], f[3], f[4], f[5]));
                onKeptRow?.Invoke(it, stats);
            },
            legacy);
    }

    static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    public void Append(IterationRow row)
    {
        var s = row.Stats;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{row.Iteration},{row.Epoch},{s.LossD:R},{s.LossG:R},{s.DX:R},{s.DGz1:R},{s.DGz2:R},{row.ImagesPerSecond:F1},{s.GradNormD:R},{s.GradNormG:R},{row.CriticSteps}");
        if (penalty)
            line += string.Create(CultureInfo.InvariantCulture, $",{s.Penalty:R}");
        log.Append(line + string.Create(CultureInfo.InvariantCulture, $",{s.WeightNormD:R},{s.WeightNormG:R}"));
        points.Add(new LossPoint(row.Iteration, s.LossD, s.LossG, s.DX, s.DGz1));
    }

    public void Dispose() => log.Dispose();
}

/// <summary>
/// grad_norms.csv: per iteration, the L2 norm of every parameter tensor's gradient (before clipping), columns
/// iteration, netG.main.0.weight, …, netD.main.0.weight, … — an explosion shows here before the losses go NaN.
/// </summary>
internal sealed class GradNormsCsv(string path, IReadOnlyList<string> names, int keepThroughIteration,
    Action<ReadOnlySpan<float>>? onKeptRow = null) : IDisposable
{
    public const string FileName = "grad_norms.csv";
    readonly CsvLog log = new(path, "iteration," + string.Join(",", names), keepThroughIteration,
        onKeptRow is null ? null : (_, cells) => onKeptRow(cells.Skip(1).Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray()));
    readonly StringBuilder row = new();

    public void Append(int iteration, ReadOnlySpan<float> norms)
    {
        row.Clear().Append(iteration.ToString(CultureInfo.InvariantCulture));
        foreach (float n in norms)
            row.Append(',').Append(n.ToString("R", CultureInfo.InvariantCulture));
        log.Append(row.ToString());
    }

    public void Dispose() => log.Dispose();
}

/// <summary>
/// divergence.log: one line per divergence event (what was not finite, what was done), rewritten atomically.
/// The same events go to run.json's "divergence_events".
/// </summary>
internal sealed class DivergenceLog(string directory)
{
    public const string FileName = "divergence.log";
    string Path => System.IO.Path.Combine(directory, FileName);

    public void Add(string line)
    {
        string old = File.Exists(Path) ? File.ReadAllText(Path) : "";
        if (old.Length > 0 && !old.EndsWith('\n'))
            old += "\n";
        AtomicFile.WriteAllBytes(Path, Encoding.UTF8.GetBytes(old + line + "\n"));
    }
}

/// <summary>
/// The fixed-noise grids: fake_samples_epoch_NNN.png at each epoch end, fake_samples_iter_NNNNNNN.png every
/// --sample-every iterations, and progress.gif of all of them in iteration order. On resume the grids written
/// up to the checkpoint are read back, so the GIF keeps the whole history.
/// </summary>
internal sealed class GridHistory
{
    readonly string directory;
    readonly SortedDictionary<(int Iteration, int Order), string> files = new();

    public GridHistory(string directory, int keepThroughIteration)
    {
        this.directory = directory;
        if (keepThroughIteration <= 0)
            return;
        var index = Path.Combine(directory, "grids.txt");
        if (File.Exists(index))
            foreach (var line in File.ReadAllLines(index))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && int.TryParse(parts[0], out int it) && it <= keepThroughIteration
                    && File.Exists(Path.Combine(directory, parts[1])))
                    files[(it, files.Count)] = parts[1];
            }
        WriteIndex();
    }

    /// <summary>Saves the grid of an iteration (an epoch's, when epoch is set) and indexes it; returns its file name.</summary>
    public string Add(Image<Rgb24> grid, int iteration, int? epoch)
    {
        string name = epoch is int e ? $"fake_samples_epoch_{e:D3}.png" : $"fake_samples_iter_{iteration:D7}.png";
        using (grid)
        {
            ImageGrid.SavePng(Path.Combine(directory, name), grid);
            if (!files.ContainsValue(name))
                files[(iteration, files.Count)] = name;
        }
        WriteIndex();
        return name;
    }

    void WriteIndex() =>
        AtomicFile.WriteAllBytes(Path.Combine(directory, "grids.txt"),
            Encoding.UTF8.GetBytes(string.Concat(files.Select(f => $"{f.Key.Iteration} {f.Value}\n"))));

    public void SaveGif()
    {
        if (files.Count == 0)
            return;
        using var gif = new GifAnimation(frameDelayMilliseconds: 500);
        foreach (var name in files.Values)
            gif.AddFrame(Image.Load<Rgb24>(Path.Combine(directory, name)));
        gif.Save(Path.Combine(directory, "progress.gif"));
    }
}

/// <summary>run.json: configuration, device, versions, seed, timings; rewritten at every checkpoint.</summary>
internal sealed class RunInfo(TrainOptions options, ComputeDevice device, string dataset, int datasetCount, ModelConfig model)
{
    readonly DateTime started = DateTime.UtcNow;

    /// <summary>The options in force (a rollback lowers the learning rate).</summary>
    public TrainOptions Options { get; set; } = options;

    /// <summary>
    /// Every event of the run, all sessions, in order: divergences, collapse and d-won episodes starting and ending,
    /// resumes. Each has "kind", "iteration" and "utc". Loaded from run.json when a run is resumed.
    /// </summary>
    public List<JsonObject> Events { get; } = [];

    /// <summary>running, done, stopped (divergence), stopped (collapse) or stopped (d-won): what the run is doing or how it ended.</summary>
    public string State { get; set; } = "running";

    /// <summary>Adds an event of this kind at this iteration, stamped now (fields: the event's own).</summary>
    public JsonObject AddEvent(string kind, int iteration, JsonObject fields)
    {
        var ev = new JsonObject
        {
            ["kind"] = kind, ["iteration"] = iteration,
            ["utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            ev[key] = value;
        }
        Events.Add(ev);
        return ev;
    }

    /// <summary>
    /// The events of an earlier session's run.json in this directory: its "events", or, for a run written before
    /// they existed, its "divergence_events" (then of one session only). A missing or unreadable file gives none.
    /// </summary>
    public void LoadEvents(string directory)
    {
        try
        {
            var old = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "run.json")));
            if (old?["events"] is JsonArray events)
                Events.AddRange(events.OfType<JsonObject>().Select(e => (JsonObject)e.DeepClone()));
            else if (old?["divergence_events"] is JsonArray divergences)
                foreach (var d in divergences.OfType<JsonObject>())
                {
                    var ev = new JsonObject { ["kind"] = "divergence" };
                    foreach (var (key, value) in d)
                        ev[key] = value?.DeepClone();
                    Events.Add(ev);
                }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            // run.json is a report, not state: a run without a readable one resumes with no history of events.
        }
    }

    /// <summary>Images of a folder data set left out as unreadable, so far.</summary>
    public int SkippedImages { get; set; }

    /// <summary>The latest digit-class report of the fixed-noise samples (labelled greyscale data sets only).</summary>
    public Evaluation.DigitReport? ClassReport { get; set; }

    /// <summary>The quality metric's classifier, real-data reference and latest result; null when the run has no metric.</summary>
    public JsonObject? Quality { get; set; }

    int lastTotal;

    /// <summary>Rewrites run.json atomically; a negative totalIterations keeps the last one written.</summary>
    public void Write(string directory, int totalIterations, int iteration, TimeSpan elapsed)
    {
        totalIterations = totalIterations < 0 ? lastTotal : lastTotal = totalIterations;
        var json = new JsonObject
        {
            ["config"] = JsonNode.Parse(Options.ToJson()),
            ["recipe"] = RecipeJson(Options.ResolveRecipe()),
            ["device"] = new JsonObject
            {
                ["id"] = device.Info.Id,
                ["backend"] = device.Info.Backend.ToString(),
                ["name"] = device.Info.Name,
            },
            ["dataset"] = new JsonObject { ["name"] = dataset, ["images"] = datasetCount, ["channels"] = model.Channels },
            ["model"] = new JsonObject
            {
                ["image_size"] = model.ImageSize, ["nz"] = model.Nz, ["ngf"] = model.Ngf, ["ndf"] = model.Ndf,
            },
            ["versions"] = new JsonObject
            {
                ["dcgan"] = typeof(RunInfo).Assembly.GetName().Version?.ToString(),
                ["ilgpu"] = typeof(ILGPU.Context).Assembly.GetName().Version?.ToString(),
                ["dotnet"] = Environment.Version.ToString(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            },
            ["seed"] = Options.Seed,
            ["iterations_total"] = totalIterations,
            ["iterations_done"] = iteration,
            ["started_utc"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["updated_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["session_seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        };
        json["skipped_images"] = SkippedImages;
        json["state"] = State;
        json["events"] = new JsonArray(Events.Select(e => (JsonNode)e.DeepClone()).ToArray());
        // Kept for readers of runs made before "events": the divergences alone.
        json["divergence_events"] = new JsonArray(Events.Where(e => (string?)e["kind"] == "divergence")
            .Select(e => (JsonNode)e.DeepClone()).ToArray());
        if (ClassReport is { } report)
            json["fixed_noise_classes_recognised"] = new JsonObject
            {
                ["classes"] = report.ClassesRecognised,
                ["confident_samples"] = report.ConfidentSamples,
                ["samples"] = report.Samples,
                ["per_class"] = new JsonArray(report.ConfidentPerClass.Select(c => (JsonNode)c).ToArray()),
            };
        if (Quality is not null)
            json["quality"] = Quality.DeepClone();
        WriteJson(directory, json);
    }

    /// <summary>The resolved recipe, as the run uses it (presets and overrides applied).</summary>
    static JsonObject RecipeJson(GanRecipe r) => new()
    {
        ["preset"] = r.Preset,
        ["loss"] = r.Loss,
        ["critic_steps"] = r.CriticSteps,
        ["critic_warmup"] = r.CriticWarmup,
        ["optimizer_d"] = r.OptimizerD.ToString(),
        ["optimizer_g"] = r.OptimizerG.ToString(),
        ["lr_d"] = r.OptimizerD.LearningRate,
        ["lr_g"] = r.OptimizerG.LearningRate,
        ["clip_weights"] = r.ClipWeights,
        ["d_norm"] = r.DiscriminatorBatchNorm ? "batch" : "none",
        ["penalty"] = r.Penalty is { } p ? new JsonObject { ["kind"] = p.Kind, ["weight"] = p.Weight, ["every"] = p.Every } : null,
        ["spectral_norm"] = r.SpectralNorm,
        ["summary"] = r.Describe(),
    };

    static void WriteJson(string directory, JsonObject json)
    {
        AtomicFile.WriteAllBytes(Path.Combine(directory, "run.json"),
            Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
    }
}

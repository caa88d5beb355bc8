// The report's data: what the page's script draws, as one JSON object written inline in the page
// (<script type="application/json" id="report-data">), since a page opened from file:// may not fetch files.
// report.html's object holds one run's properties below; compare.html's holds one such object per run (WriteRun,
// without grad_norms) and its own (CompareReport.cs).
//
//   losses       the losses.csv columns the charts draw, each cell copied as written (no float is re-rounded),
//                every row up to MaxLossRows, beyond that every stride-th row; the page smooths and thins them
//   metrics      metrics.csv's quality columns per evaluation, and the real held-out numbers of run.json's quality
//   grids        the fixed-noise grids in iteration order, each with its image (a relative URL or a data: URI) and,
//                from grid_labels.json, its tiles' classifier labels and confidences; grid_layout the grids' geometry
//   grad_norms   grad_norms.csv as a heatmap: per tensor, the largest norm in each of at most MaxHeatmapColumns
//                buckets of iterations (null where a norm in the bucket was not finite)
//   snapshots    snapshots.json's snapshots as recorded (Training/Snapshots.cs): per checkpoint D's logits with their
//                histogram, per-layer statistics, the profiled iteration
//
// A panel's data is null when the run has no such file; the page then shows the note the HTML already holds.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Dcgan.Nn.Reporting;

internal static partial class ReportData
{
    /// <summary>Rows of losses.csv kept whole (the default run has 6,250); a longer log keeps every stride-th row.</summary>
    public const int MaxLossRows = 20_000;

    /// <summary>Columns of the gradient-norm heatmap: a few hundred buckets, each showing its largest norm.</summary>
    public const int MaxHeatmapColumns = 300;

    static readonly string[] MetricColumns =
        ["iteration", "epoch", "classifier_score", "frechet_distance", "kid", "precision", "recall", "classes_present"];

    /// <summary>The JSON text of the report's data, safe to place inside a script element.</summary>
    public static string Json(RunDirectory run, RunFacts facts, Func<string, string> imageSource) => Write(w =>
    {
        w.WriteStartObject();
        WriteRun(w, run, facts, imageSource);
        WriteGradNorms(w, run.GradNorms);
        w.WritePropertyName("snapshots");
        if (run.Snapshots is null)
            w.WriteNullValue();
        else
            run.Snapshots.WriteTo(w);
        w.WriteEndObject();
    });

    /// <summary>The JSON text a writer makes, safe to place inside a script element.</summary>
    public static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping keeps non-ASCII text and base64 readable; ScriptSafe below does what the default encoder
        // would have done for the one place it matters (a "<" that could close the script element).
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(w);
        return ScriptSafe(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>
    /// The properties of one run that both pages draw, into the object being written: name, loss, wasserstein, losses,
    /// metrics, grids, real_samples (the run page adds grad_norms; the compare page writes one such object per run).
    /// </summary>
    public static void WriteRun(Utf8JsonWriter w, RunDirectory run, RunFacts facts, Func<string, string> imageSource)
    {
        w.WriteString("name", facts.Name);
        w.WriteString("loss", facts.Loss);
        w.WriteBoolean("wasserstein", facts.Loss == "wgan");
        WriteLosses(w, run, facts);
        WriteMetrics(w, run);
        WriteGrids(w, run, imageSource);
        if (run.HasRealSamples)
            w.WriteString("real_samples", imageSource(RunDirectory.RealSamplesFile));
        else
            w.WriteNull("real_samples");
    }

    /// <summary>
    /// JSON text that can sit inside a script element and reads as no URL: every "&lt;" as \u003c (no "&lt;/script"
    /// or "&lt;!--" can end or change the element) and every "://" as ":\/\/". Both occur only inside JSON strings,
    /// where those escapes mean the same characters.
    /// </summary>
    public static string ScriptSafe(string json) => json.Replace("<", "\\u003c").Replace("://", ":\\/\\/");

    static void WriteLosses(Utf8JsonWriter w, RunDirectory run, RunFacts facts)
    {
        var csv = run.Losses;
        if (csv is null || csv.RowCount == 0)
        {
            w.WriteNull("losses");
            return;
        }
        int stride = (csv.RowCount + MaxLossRows - 1) / MaxLossRows;
        w.WriteStartObject("losses");
        w.WriteNumber("rows", csv.RowCount);
        w.WriteNumber("stride", stride);
        w.WriteString("penalty", facts.Penalty);
        w.WriteStartArray("scores");
        foreach (string s in facts.ScoreColumns)
            w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteStartObject("columns");
        foreach (string column in new[] { "iteration", "loss_d", "loss_g" }.Concat(facts.ScoreColumns)
                     .Concat(facts.Penalty is null ? [] : [facts.Penalty]))
        {
            var cells = csv.Column(column);
            w.WriteStartArray(column);
            for (int i = 0; i < cells.Count; i += stride)
                WriteCell(w, cells[i]);
            // The last row always, so the charts end where the run is.
            if ((cells.Count - 1) % stride != 0)
                WriteCell(w, cells[^1]);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteMetrics(Utf8JsonWriter w, RunDirectory run)
    {
        var csv = run.Metrics;
        if (csv is null)
        {
            w.WriteNull("metrics");
            return;
        }
        w.WriteStartObject("metrics");
        w.WriteStartObject("columns");
        foreach (string column in MetricColumns.Where(csv.Has))
        {
            w.WriteStartArray(column);
            foreach (string cell in csv.Column(column))
                WriteCell(w, cell);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        // The real held-out images' numbers at the run's --eval-count: the reference lines.
        if (run.RunJson?["quality"]?["real_held_out"] is JsonObject real)
        {
            w.WritePropertyName("real");
            var kept = new JsonObject();
            foreach (string key in new[] { "images", "classifier_score", "frechet_distance", "kid", "precision", "recall" })
                if (real[key] is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d))
                    kept[key] = d;
            kept.WriteTo(w);
        }
        else
            w.WriteNull("real");
        w.WriteEndObject();
    }

    static void WriteGrids(Utf8JsonWriter w, RunDirectory run, Func<string, string> imageSource)
    {
        w.WriteStartArray("grids");
        foreach (var g in run.Grids)
        {
            w.WriteStartObject();
            w.WriteString("file", g.File);
            w.WriteString("src", imageSource(g.File));
            if (g.Iteration is int it)
                w.WriteNumber("iteration", it);
            else
                w.WriteNull("iteration");
            if (g.Epoch is int e)
                w.WriteNumber("epoch", e);
            else
                w.WriteNull("epoch");
            if (run.LabelsOf(g.File) is var (labels, confidence))
            {
                w.WritePropertyName("labels");
                labels.WriteTo(w);
                w.WritePropertyName("confidence");
                confidence.WriteTo(w);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (run.GridLabels is { } layout)
        {
            w.WriteStartObject("grid_layout");
            foreach (string key in new[] { "columns", "padding", "tile" })
                w.WriteNumber(key, (int)layout[key]!);
            w.WriteEndObject();
        }
        else
            w.WriteNull("grid_layout");
    }

    /// <summary>
    /// grad_norms.csv as heatmap columns: bucket b of B covers rows [b·n/B, (b+1)·n/B) and shows each tensor's
    /// largest norm there (max, not mean: a one-iteration spike must stay visible), with its first and last iteration.
    /// </summary>
    static void WriteGradNorms(Utf8JsonWriter w, CsvTable? csv)
    {
        if (csv is null || csv.RowCount == 0)
        {
            w.WriteNull("grad_norms");
            return;
        }
        int n = csv.RowCount, buckets = Math.Min(n, MaxHeatmapColumns);
        var iterations = csv.Column("iteration");
        var tensors = csv.Columns.Where(c => c != "iteration").ToArray();
        w.WriteStartObject("grad_norms");
        w.WriteNumber("rows", n);
        w.WriteStartArray("tensors");
        foreach (string t in tensors)
            w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("first");
        for (int b = 0; b < buckets; b++)
            WriteCell(w, iterations[Start(b, n, buckets)]);
        w.WriteEndArray();
        w.WriteStartArray("last");
        for (int b = 0; b < buckets; b++)
            WriteCell(w, iterations[Start(b + 1, n, buckets) - 1]);
        w.WriteEndArray();
        w.WriteStartArray("max");
        foreach (string t in tensors)
        {
            var cells = csv.Column(t);
            w.WriteStartArray();
            for (int b = 0; b < buckets; b++)
            {
                double max = double.NegativeInfinity;
                for (int i = Start(b, n, buckets); i < Start(b + 1, n, buckets); i++)
                {
                    double v = CsvTable.Number(cells[i]);
                    max = double.IsFinite(v) ? Math.Max(max, v) : double.NaN;
                    if (double.IsNaN(max))
                        break;
                }
                if (double.IsFinite(max))
                    w.WriteRawValue(max.ToString("G4", CultureInfo.InvariantCulture));
                else
                    w.WriteNullValue();
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The first row of bucket b of B over n rows.</summary>
    static int Start(int b, int n, int buckets) => (int)((long)b * n / buckets);

    /// <summary>
    /// A CSV cell as a JSON number, as written when it is one in JSON's grammar (so the page holds exactly the
    /// logged value), re-formatted when it is another finite number, null when it is NaN, infinite or not a number.
    /// </summary>
    static void WriteCell(Utf8JsonWriter w, string cell)
    {
        double v = CsvTable.Number(cell);
        if (!double.IsFinite(v))
            w.WriteNullValue();
        else if (JsonNumber().IsMatch(cell))
            w.WriteRawValue(cell, skipInputValidation: true);
        else
            w.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex JsonNumber();
}

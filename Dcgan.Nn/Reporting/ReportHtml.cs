// The pieces both report pages are built from (report.html of one run, RunReport.cs; compare.html of several,
// CompareReport.cs): the head with the inline styles and the error catcher, the panels (a title, two lines for a
// newcomer: what it is, what healthy looks like), the note of a panel whose file a run lacks, the fact tables, and
// the tail: the inline JSON data, uPlot and report.js (one script draws either page, from the data's shape).
//
// Nothing is fetched: styles and scripts are inline, images are relative URLs or data: URIs (ImageSource), and no
// text of the page reads as an http(s):// address.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Dcgan.Nn.Reporting;

/// <summary>An HTML report page being written: its text and the files its panels found absent.</summary>
internal abstract class ReportHtml
{
    protected readonly StringBuilder html = new();
    protected readonly List<string> absent = [];

    protected ReportResult Result() => new(html.ToString(), absent);

    protected void Head(string title)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append($"<title>{H(title)}</title>\n");
        // First of all scripts: errors of any later one are kept for the self-test (?selftest=1) to report; and should
        // report.js fail before its self-test starts, the result says so instead of being missing.
        Inline("script", Resource("report-errors.js"));
        Inline("style", Resource("uPlot.min.css"));
        Inline("style", Resource("report.css"));
        html.Append("</head>\n<body>\n");
    }

    /// <summary>The footer ("Made by dcgan report from the files of " + source), the data, uPlot and report.js.</summary>
    protected void Tail(string source, string dataJson)
    {
        html.Append($"<footer>Made by <code>dcgan report</code> from the files of {source}. Charts: uPlot 1.6.32 " +
                    "(MIT licence, in the page's source).</footer>\n");
        html.Append("<script type=\"application/json\" id=\"report-data\">").Append(dataJson).Append("</script>\n");
        Inline("script", "/* uPlot 1.6.32, " + Resource("LICENSE").Replace("*/", "* /") + " */\n" + UplotScript());
        Inline("script", Resource("report.js"));
        html.Append("</body>\n</html>\n");
    }

    protected void Open(string id, string title, string what, string healthy) =>
        html.Append($"<section class=\"panel\" id=\"{id}\">\n<h2>{H(title)}</h2>\n<p class=\"explain\">{H(what)}<br>\n{H(healthy)}</p>\n");

    protected void Close() => html.Append("</section>\n");

    protected void Chart(string name) => html.Append($"<div class=\"chart\" id=\"chart-{name}\" data-chart=\"{name}\"></div>\n");

    /// <summary>
    /// A panel's note that its file is absent; what names it in ReportResult.Absent (a file, or "run: file"), once however
    /// many panels draw on it.
    /// </summary>
    protected void Absent(string what, string note)
    {
        if (!absent.Contains(what))
            absent.Add(what);
        html.Append($"<p class=\"absent\">{H(note)}</p>\n");
    }

    protected void Table(string id, string? caption, IReadOnlyList<(string Key, string Value)> rows, string? after = null)
    {
        html.Append($"<div class=\"table\"><h3>{H(id)}</h3>\n");
        if (caption is not null)
            html.Append($"<p class=\"caption\">{H(caption)}</p>\n");
        html.Append($"<table class=\"facts\" id=\"table-{id}\">\n<tbody>\n");
        foreach (var (key, value) in rows)
            html.Append($"<tr><th>{H(key)}</th><td>{H(value)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n");
        if (after is not null)
            html.Append($"<p class=\"caption\">{H(after)}</p>\n");
        html.Append("</div>\n");
    }

    protected void Inline(string element, string text)
    {
        if (text.Contains("</" + element, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"inline {element} text holds </{element}");
        html.Append($"<{element}>\n").Append(text).Append($"\n</{element}>\n");
    }

    // ---- the facts of a run, as both pages show them -------------------------------------------------------------

    /// <summary>The run table's rows: state, iterations, data, model, device, seed, wall time, images/s, times, versions.</summary>
    public static List<(string Key, string Value)> FactRows(RunDirectory run)
    {
        var json = run.RunJson!;
        var rows = new List<(string, string)>();
        rows.Add(("state", Text(json["state"]) ?? "(not recorded: a run from before states)"));
        if (Iterations(run) is var (done, total))
            rows.Add(("iterations", total is int t ? $"{done:N0} of {t:N0}" : $"{done:N0}"));
        if (json["dataset"] is JsonObject d)
            rows.Add(("data", $"{Text(d["name"])} ({Text(d["images"])} images, {Text(d["channels"])} channel(s))"));
        if (json["model"] is JsonObject m)
            rows.Add(("model", $"{Text(m["image_size"])}×{Text(m["image_size"])}, nz {Text(m["nz"])}, ngf {Text(m["ngf"])}, ndf {Text(m["ndf"])}"));
        if (json["device"] is JsonObject dev)
            rows.Add(("device", $"{Text(dev["id"])}: {Text(dev["name"])} ({Text(dev["backend"])})"));
        if (json["seed"] is JsonNode seed)
            rows.Add(("seed", seed.ToString()));
        if (json["session_seconds"] is JsonValue s && s.TryGetValue(out double seconds))
            rows.Add(("wall time", Duration(seconds) + (HasResume(json) ? " (the last session; the run was resumed)" : "")));
        if (MedianImagesPerSecond(run) is double ips)
            rows.Add(("images/s", ips.ToString("N0", CultureInfo.InvariantCulture) + " (median over losses.csv's iterations)"));
        if (Text(json["started_utc"]) is string started)
            rows.Add(("started (UTC)", started));
        if (Text(json["updated_utc"]) is string updated)
            rows.Add(("run.json updated (UTC)", updated));
        if (json["versions"] is JsonObject v)
            rows.Add(("versions", string.Join(", ", v.Select(p => $"{p.Key} {Text(p.Value)}"))));
        if (json["fixed_noise_classes_recognised"] is JsonObject c)
            rows.Add(("fixed-noise digits", $"{Text(c["classes"])}/10 classes recognised ({Text(c["confident_samples"])} of {Text(c["samples"])} samples are confident digits)"));
        return rows;
    }

    /// <summary>(iterations done, of the total): run.json's, else the last row of losses.csv.</summary>
    protected static (int Done, int? Total)? Iterations(RunDirectory run)
    {
        var json = run.RunJson;
        if (json?["iterations_done"] is JsonValue d && d.TryGetValue(out int done))
            return (done, json["iterations_total"] is JsonValue t && t.TryGetValue(out int total) ? total : null);
        if (run.Losses is { RowCount: > 0 } csv && int.TryParse(csv.Cell(csv.RowCount - 1, "iteration"), CultureInfo.InvariantCulture, out int last))
            return (last, null);
        return null;
    }

    static double? MedianImagesPerSecond(RunDirectory run)
    {
        if (run.Losses is not { RowCount: > 0 } csv || !csv.Has("images_per_second"))
            return null;
        var values = csv.Column("images_per_second").Select(CsvTable.Number).Where(double.IsFinite).Order().ToArray();
        return values.Length == 0 ? null : values[values.Length / 2];
    }

    protected static bool HasResume(JsonObject? json) => json?["events"] is JsonArray events && events.Any(e => (string?)e?["kind"] == "resume");

    /// <summary>"epoch 2, iteration 1,250 (fake_samples_epoch_002.png)"; report.js's gridCaption writes the same.</summary>
    protected static string GridCaption(GridImage g) =>
        (g.Epoch is int e ? $"epoch {e}" : "") + (g.Iteration is int it ? (g.Epoch is null ? "" : ", ") + $"iteration {it:N0}" : "")
        + $" ({g.File})";

    // ---- text ------------------------------------------------------------------------------------------------------

    /// <summary>A JSON value as plain text (strings without quotes).</summary>
    protected static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out double d) => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    protected static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return $"{(int)t.TotalHours:D2}:{t.Minutes:D2}:{t.Seconds:D2}";
    }

    /// <summary>A word usable in a class name: "stopped (divergence)" → "stopped-divergence".</summary>
    protected static string StateClass(string s) => new string(s.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-').Replace("--", "-");

    protected static string H(string s) => WebUtility.HtmlEncode(s);

    static string Resource(string name)
    {
        using var stream = typeof(ReportHtml).Assembly.GetManifestResourceStream("Dcgan.Nn.Reporting." + name)
            ?? throw new InvalidOperationException($"embedded resource Dcgan.Nn.Reporting.{name} missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>uPlot's script, its banner's address without the scheme: the page holds no http(s):// text.</summary>
    static string UplotScript() => Resource("uPlot.iife.min.js").Replace("/*! https://github.com/", "/*! github.com/");

    // ---- images ----------------------------------------------------------------------------------------------------

    /// <summary>How a page refers to a run's image file: a URL relative to pageDirectory, or with embed a data: URI.</summary>
    public static Func<string, string> ImageSource(RunDirectory run, string pageDirectory, bool embed) => embed
        ? file => "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(run.Combine(file)))
        : file => RelativeUrl(pageDirectory, run.Combine(file));

    /// <summary>The URL of a file relative to a page's folder: '/'-separated, each segment percent-encoded.</summary>
    internal static string RelativeUrl(string pageDirectory, string file) =>
        string.Join("/", Path.GetRelativePath(Path.GetFullPath(pageDirectory), Path.GetFullPath(file))
            .Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
}

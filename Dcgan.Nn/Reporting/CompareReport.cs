// compare.html: several run directories side by side on one page (`dcgan report DIR1 DIR2 … --out FILE`), a pure
// function of their files, made of the same parts as report.html (ReportHtml's frame, ReportData's per-run JSON,
// report.js, which draws whichever page its data describes):
//
//   the runs         one table: each run's facts, resolved recipe and options (run.json) in a column of its own,
//                    the rows whose values differ between the runs highlighted (a tick box hides the others)
//   losses           Loss_D and Loss_G of every run overlaid, one colour per run, smoothed (the slider), log toggle;
//                    the gradient penalty (GP or R1) of the runs that have one
//   D's outputs      D(x) and D(G(z)) of the runs whose D outputs probabilities; the critic's outputs of the others
//   sample quality   metrics.csv of every run: classifier score, Fréchet distance, KID, precision, recall; dashed, each
//                    run's real held-out reference from run.json
//   samples          every run's fixed-noise grid at one iteration: a slider over the iterations any run saved a grid
//                    at (Steps); a run without a grid there shows its nearest saved step and says so
//
// A run's colour is Colors[its position] in every panel. A run that lacks a panel's file gets a note in that panel;
// the others are drawn. A directory that is not a run (RunDirectory.Read) fails the whole page before anything is
// written.
using System.Text;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;

namespace Dcgan.Nn.Reporting;

public static class CompareReport
{
    /// <summary>The runs' colours in order (matplotlib's tab10), repeated after the tenth run.</summary>
    public static readonly IReadOnlyList<string> Colors =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>Writes the comparison page of the run directories to outFile atomically (see RunReport.Write).</summary>
    public static ReportResult Write(IReadOnlyList<string> runDirectories, string outFile, bool embedImages = false)
    {
        var result = Render(runDirectories, Path.GetDirectoryName(Path.GetFullPath(outFile))!, embedImages);
        AtomicFile.WriteAllBytes(outFile, Encoding.UTF8.GetBytes(result.Html));
        return result;
    }

    /// <summary>
    /// The comparison page, images linked relative to pageDirectory (or embedded). Absent names "label: file" for
    /// every panel a run has no data for. Throws ReportException when a directory is not a run.
    /// </summary>
    public static ReportResult Render(IReadOnlyList<string> runDirectories, string pageDirectory, bool embedImages = false)
    {
        if (runDirectories.Count == 0)
            throw new ArgumentException("no run directory to compare");
        var read = runDirectories.Select(RunDirectory.Read).ToList();
        var labels = Labels(read.Select(r => r.Path).ToList());
        var runs = read.Select((run, k) => new CompareRun(run, RunFacts.Of(run), labels[k], Colors[k % Colors.Count],
            ReportHtml.ImageSource(run, pageDirectory, embedImages))).ToList();
        return new ComparePage(runs).Render();
    }

    /// <summary>
    /// Each run's name on the page: its directory's name; where two share one, as much of the path as tells them
    /// apart ("a/run", "b/run"), else with its position ("run (2)").
    /// </summary>
    internal static IReadOnlyList<string> Labels(IReadOnlyList<string> paths)
    {
        var parts = paths.Select(p => Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar)
            .Where(s => s.Length > 0).ToArray()).ToList();
        string Tail(string[] segments, int n) => string.Join("/", segments.Skip(Math.Max(0, segments.Length - n)));
        var labels = parts.Select(p => Tail(p, 1)).ToArray();
        for (int n = 2; n <= parts.Max(p => p.Length) && labels.Distinct().Count() < labels.Length; n++)
        {
            bool[] shared = labels.Select(l => labels.Count(o => o == l) > 1).ToArray();
            for (int k = 0; k < labels.Length; k++)
                if (shared[k])
                    labels[k] = Tail(parts[k], n);
        }
        return labels.Select((l, k) => labels.Count(o => o == l) > 1 ? $"{l} ({k + 1})" : l).ToArray();
    }

    /// <summary>
    /// The grid slider's steps: every iteration at which some run saved a grid, in order; per run the index (into its
    /// Grids) of the grid at that iteration, else of its nearest one (the earlier on a tie), null for a run without
    /// grids; Shared when every run with grids saved one exactly there.
    /// </summary>
    internal static IReadOnlyList<GridStep> Steps(IReadOnlyList<RunDirectory> runs)
    {
        var iterations = runs.SelectMany(r => r.Grids).Select(g => g.Iteration).OfType<int>().Distinct().Order().ToList();
        var steps = new List<GridStep>();
        foreach (int t in iterations)
        {
            var picks = new int?[runs.Count];
            bool shared = true;
            for (int k = 0; k < runs.Count; k++)
            {
                var grids = runs[k].Grids;
                int? best = null;
                for (int i = 0; i < grids.Count; i++)
                    if (grids[i].Iteration is int it && (best is not int b || Math.Abs(it - t) < Math.Abs(grids[b].Iteration!.Value - t)))
                        best = i;
                picks[k] = best;
                shared &= best is null || grids[best.Value].Iteration == t;
            }
            steps.Add(new GridStep(t, shared, picks));
        }
        return steps;
    }
}

/// <summary>One position of the compare page's grid slider (see CompareReport.Steps).</summary>
internal sealed record GridStep(int Iteration, bool Shared, IReadOnlyList<int?> Grids);

/// <summary>A run on the compare page: its files, facts, name on the page, colour, and how its images are linked.</summary>
internal sealed record CompareRun(RunDirectory Run, RunFacts Facts, string Label, string Color, Func<string, string> ImageSource);

/// <summary>The HTML of one comparison (see the file header).</summary>
internal sealed class ComparePage(IReadOnlyList<CompareRun> runs) : ReportHtml
{
    /// <summary>Rows of the runs' fact tables left out: they differ between any two runs and say nothing about them.</summary>
    static readonly HashSet<string> Unrelated = ["started (UTC)", "run.json updated (UTC)"];

    readonly IReadOnlyList<GridStep> steps = CompareReport.Steps(runs.Select(r => r.Run).ToList());

    public ReportResult Render()
    {
        Head($"{string.Join(" vs ", runs.Select(r => r.Label))}: dcgan runs compared");
        Header();
        RunsPanel();
        LossesPanel();
        ScoresPanel();
        QualityPanel();
        GridsPanel();
        Tail("these run directories", Json());
        return Result();
    }

    // ---- the panels -----------------------------------------------------------------------------------------------

    void Header()
    {
        html.Append($"<header>\n<h1>dcgan: {runs.Count} runs compared</h1>\n<ul class=\"runs\">\n");
        foreach (var r in runs)
        {
            var parts = new List<string> { $"{Swatch(r)}<code>{H(r.Label)}</code>" };
            if (r.Run.RunJson?["state"] is JsonNode state)
                parts.Add($"<span class=\"state state-{H(StateClass(state.ToString()))}\">{H(state.ToString())}</span>");
            if (Iterations(r.Run) is var (done, total))
                parts.Add(total is int t ? $"iteration {done:N0} of {t:N0}" : $"iteration {done:N0}");
            if ((string?)r.Run.RunJson?["recipe"]?["summary"] is string recipe)
                parts.Add(H(recipe));
            html.Append("<li>").Append(string.Join(" · ", parts)).Append("</li>\n");
        }
        html.Append("</ul>\n<nav>");
        foreach (var (id, title) in new[] { ("runs", "the runs"), ("losses", "losses"), ("scores", "D's outputs"),
                     ("quality", "sample quality"), ("samples", "samples") })
            html.Append($"<a href=\"#{id}\">{title}</a> ");
        html.Append("</nav>\n</header>\n");
    }

    void RunsPanel()
    {
        Open("runs", "The runs",
            "Each run's facts, resolved recipe and options as its run.json keeps them, one column per run in its colour; " +
            "the rows whose values differ between the runs are highlighted.",
            "What to look for: the highlighted rows are what this comparison is about; if the seed differs too, part of any " +
            "gap between the runs is chance, so compare more than one seed before trusting a small difference.");
        foreach (var r in runs.Where(r => r.Run.RunJson is null))
            Absent($"{r.Label}: run.json", $"{r.Label} has no run.json (a run made before it existed): its options, recipe and device are not known.");
        if (runs.All(r => r.Run.RunJson is null))
        {
            Close();
            return;
        }
        html.Append("<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-differing\"> only the rows that differ</label></div>\n");
        html.Append("<table class=\"compare\" id=\"table-compare\">\n<thead><tr><th></th>");
        foreach (var r in runs)
            html.Append($"<th>{Swatch(r)}{H(r.Label)}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        Group("run", r => FactRows(r.Run).Where(row => !Unrelated.Contains(row.Key)).Append(("events", Events(r.Run.RunJson!))).ToList(),
            "(not recorded)");
        Group("recipe", r => r.Run.RunJson!["recipe"] is JsonObject recipe
            ? recipe.Where(p => p.Key != "summary").Select(p => (p.Key, Text(p.Value) ?? "none")).ToList()
            : [], "(not recorded: a run from before the recipes)");
        Group("options", r => r.Run.RunJson!["config"] is JsonObject config
            ? config.Select(p => (p.Key, Text(p.Value) ?? "not set")).ToList()
            : [], "(not recorded)");
        html.Append("</tbody>\n</table>\n");
        html.Append("<p class=\"caption\">“not set”: the option was not given, and the recipe's or data set's default applies " +
                    "(the recipe rows show what it resolved to).</p>\n");
        Close();
    }

    /// <summary>
    /// One group of rows of the runs table: the rows of every run, in the order they first appear. A run without the
    /// row (no run.json, or one from before the row existed) shows missing in grey; a row differs when the runs that
    /// have it show different values.
    /// </summary>
    void Group(string name, Func<CompareRun, List<(string Key, string Value)>> rowsOf, string missing)
    {
        var known = runs.Select(r => r.Run.RunJson is null ? [] : rowsOf(r).ToDictionary(p => p.Key, p => p.Value)).ToList();
        var keys = known.SelectMany(d => d.Keys).Distinct().ToList();
        if (keys.Count == 0)
            return;
        html.Append($"<tr class=\"group\"><th colspan=\"{runs.Count + 1}\">{H(name)}</th></tr>\n");
        foreach (string key in keys)
        {
            var cells = known.Select(d => d.GetValueOrDefault(key)).ToList();
            bool differs = cells.OfType<string>().Distinct().Count() > 1;
            html.Append(differs ? "<tr class=\"differs\">" : "<tr>").Append($"<th>{H(key)}</th>");
            for (int k = 0; k < runs.Count; k++)
                html.Append(cells[k] is string cell ? $"<td>{H(cell)}</td>"
                    : $"<td class=\"unknown\">{H(runs[k].Run.RunJson is null ? "(no run.json)" : missing)}</td>");
            html.Append("</tr>\n");
        }
    }

    /// <summary>A run's events in one cell: "none", or how many of each kind ("2 divergence, 1 resume").</summary>
    static string Events(JsonObject json)
    {
        var events = (json["events"] as JsonArray ?? json["divergence_events"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        bool old = json["events"] is null;
        if (events.Count == 0)
            return "none";
        return string.Join(", ", events.GroupBy(e => Text(e["kind"]) ?? (old ? "divergence" : "?"))
            .Select(g => $"{g.Count()} {g.Key}"));
    }

    void LossesPanel()
    {
        Open("losses", "Losses",
            "Loss_D (the discriminator's or critic's loss) and Loss_G (the generator's) of every run over the iterations, one " +
            "colour per run: bold the smoothed value (TensorBoard's debiased moving average, weight on the slider), faint the raw values.",
            "What to look for: runs with different losses (BCE, WGAN, hinge) sit on different scales, so compare their shape: bounded, " +
            "moving, without jumps; a run whose Loss_D sinks to 0 while its Loss_G climbs has let D win.");
        int count = NoteRunsWithout(r => r.Run.Losses is { RowCount: > 0 }, "losses.csv",
            "no losses: losses.csv is absent or has no rows yet.");
        if (count > 0)
        {
            html.Append("<div class=\"controls\"><label>smoothing <input type=\"range\" id=\"smoothing\" min=\"0\" max=\"0.999\" step=\"0.001\" value=\"0.9\"> " +
                        "<output id=\"smoothing-value\">0.900</output></label> <label><input type=\"checkbox\" id=\"log-scale\"> log scale</label> " +
                        "<span class=\"hint\">(smoothing applies to these charts and the next; drag to zoom, double-click to reset)</span></div>\n");
            Chart("loss-d");
            Chart("loss-g");
            // The penalty is logged apart from Loss_D: its own chart, for the runs that have one (WGAN-GP's GP, R1).
            if (runs.Any(r => r.Facts.Penalty is not null && r.Run.Losses is { RowCount: > 0 }))
                Chart("penalty");
        }
        Close();
    }

    void ScoresPanel()
    {
        Open("scores", "D's outputs",
            "D(x) (solid) and D(G(z)) before D's step (dashed) of the runs whose D outputs probabilities, with the 0.5 line; in a " +
            "chart of its own, the critic's mean output on real (solid) and generated images (dashed) of the runs with a critic loss.",
            "What to look for: real above fake with a gap that neither closes for good nor grows without bound; D(x) → 1 with " +
            "D(G(z)) → 0, or a critic's margin that keeps growing, means D has won in that run.");
        NoteRunsWithout(r => r.Facts.ScoreColumns.Count > 0 && r.Run.Losses is { RowCount: > 0 }, "losses.csv",
            "no scores of D: losses.csv is absent, has no rows yet or no score columns.");
        if (runs.Any(r => Scores(r) == "d_x"))
            Chart("scores-probability");
        if (runs.Any(r => Scores(r) == "d_real"))
            Chart("scores-critic");
        Close();
    }

    static string? Scores(CompareRun r) => r.Run.Losses is { RowCount: > 0 } ? r.Facts.ScoreColumns.FirstOrDefault() : null;

    void QualityPanel()
    {
        Open("quality", "Sample quality",
            "Every run's metrics.csv per evaluation (docs/metrics.md): classifier score (10 = every class, each recognised with " +
            "certainty), Fréchet distance and KID of the classifier's features (lower is better), precision and recall; dashed, each run's " +
            "real held-out images scored the same way (the ceiling).",
            "What to look for: at the same iteration, the better run has the higher score, precision and recall and the lower " +
            "distance; recall falling while precision holds is mode collapse.");
        int count = NoteRunsWithout(r => r.Run.Metrics is not null, "metrics.csv",
            "no quality metric: metrics.csv is absent (--eval-count 0, no classifier for its images, a run from before the metric, or still in its first epoch).");
        if (count > 0)
        {
            html.Append("<div class=\"small-charts\">\n");
            foreach (string chart in new[] { "quality-score", "quality-fd", "quality-kid", "quality-precision", "quality-recall" })
                if (chart != "quality-kid" || runs.Any(r => r.Run.Metrics?.Has("kid") == true))
                    Chart(chart);
            html.Append("</div>\n");
        }
        Close();
    }

    void GridsPanel()
    {
        Open("samples", "Fixed-noise samples",
            "Each run's generator on its fixed noise at one iteration, side by side: the slider (or play) moves over every iteration " +
            "at which some run saved a grid; a run that saved none there shows its nearest saved step, and its caption says so.",
            "What to look for: which run turns blobs into varied, sharp images sooner and keeps them; many near-identical images " +
            "is mode collapse, noise or one flat colour after a jump is a divergence.");
        NoteRunsWithout(r => r.Run.Grids.Any(g => g.Iteration is not null), "fake_samples_*.png",
            "no fixed-noise grid at a known iteration yet.");
        if (steps.Count > 0)
        {
            int at = Start();
            var step = steps[at];
            html.Append("<div class=\"controls\"><button type=\"button\" id=\"grid-play\">play</button> " +
                        $"<input type=\"range\" id=\"grid-slider\" min=\"0\" max=\"{steps.Count - 1}\" step=\"1\" value=\"{at}\"> " +
                        $"<span id=\"grid-position\">{H(Position(step, at))}</span></div>\n");
            html.Append("<div class=\"figures compare-grids\">\n");
            for (int k = 0; k < runs.Count; k++)
            {
                if (step.Grids[k] is not int i)
                    continue;
                var g = runs[k].Run.Grids[i];
                html.Append($"<figure class=\"grid\"><figcaption class=\"run-label\">{Swatch(runs[k])}{H(runs[k].Label)}</figcaption>\n");
                html.Append($"<img id=\"grid-image-{k}\" src=\"{H(runs[k].ImageSource(g.File))}\" alt=\"fixed-noise samples of {H(runs[k].Label)}\">\n");
                html.Append($"<figcaption id=\"grid-caption-{k}\">{H(CompareCaption(g, step.Iteration))}</figcaption>\n</figure>\n");
            }
            html.Append("</div>\n");
        }
        Close();
    }

    /// <summary>The slider's first position: the last iteration every run saved a grid at, else the last one.</summary>
    int Start()
    {
        int shared = steps.ToList().FindLastIndex(s => s.Shared);
        return shared >= 0 ? shared : steps.Count - 1;
    }

    /// <summary>"iteration 3, a grid of every run (3 of 4)"; report.js's comparePosition writes the same.</summary>
    string Position(GridStep s, int index) =>
        $"iteration {s.Iteration:N0}, {(s.Shared ? "a grid of every run" : "not every run's: see the captions")} ({index + 1} of {steps.Count})";

    /// <summary>"iteration 3 (fake_samples_iter_0000003.png)", or "nearest saved step: …"; as report.js's compareCaption.</summary>
    static string CompareCaption(GridImage g, int iteration) => (g.Iteration == iteration ? "" : "nearest saved step: ") + GridCaption(g);

    // ---- helpers --------------------------------------------------------------------------------------------------

    /// <summary>A note in the current panel for each run that lacks its data; returns how many runs have it.</summary>
    int NoteRunsWithout(Func<CompareRun, bool> has, string file, string what)
    {
        foreach (var r in runs.Where(r => !has(r)))
            Absent($"{r.Label}: {file}", $"{r.Label}: {what}");
        return runs.Count(has);
    }

    static string Swatch(CompareRun r) => $"<span class=\"swatch\" style=\"background:{r.Color}\"></span>";

    string Json() => ReportData.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("runs");
        foreach (var r in runs)
        {
            w.WriteStartObject();
            w.WriteString("label", r.Label);
            w.WriteString("color", r.Color);
            ReportData.WriteRun(w, r.Run, r.Facts, r.ImageSource);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("steps");
        foreach (var s in steps)
        {
            w.WriteStartObject();
            w.WriteNumber("iteration", s.Iteration);
            w.WriteBoolean("shared", s.Shared);
            w.WriteStartArray("grids");
            foreach (int? i in s.Grids)
                if (i is int index)
                    w.WriteNumberValue(index);
                else
                    w.WriteNullValue();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}

// report.html: one self-contained page per run directory, a pure function of the directory's files (the same files
// give the same bytes: no clock, no absolute path of the machine that rendered it).
//
//   the run          options, resolved recipe, device, versions, seed, wall time, images/s, state, events
//   losses           Loss_D and Loss_G per iteration, smoothed (a slider), raw faint behind, log scale toggle
//   D's outputs      D(x) and D(G(z)) with the 0.5 line; for critic losses their means and W = d_real − d_fake1
//   sample quality   metrics.csv per epoch, the real held-out numbers as reference lines
//   samples          the fixed-noise grid at every saved step (slider, play), real_samples.png beside it
//   gradient norms   every parameter tensor's gradient norm over the iterations as a heatmap
//   what D sees      per checkpoint (snapshots.json): histograms of D's logits on a fixed real and fake batch, the
//                    mean logits over the checkpoints, per-layer weight and activation statistics (a slider)
//   where the time goes  per checkpoint: the profiled iteration's ms per op, GFLOP/s and % of peak per conv pass
//
// The static HTML holds the panels, their explanations and tables, and the note of each panel whose file this run
// lacks; the page's script (report.js, inlined with uPlot's) draws the charts from the inline JSON (ReportData).
// Nothing is fetched: styles and scripts are inline, images are relative URLs or, with embedImages, data: URIs.
// The page's frame (head, panels, tables, tail) is ReportHtml's, shared with the compare page (CompareReport.cs).
using System.Text;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Training;

namespace Dcgan.Nn.Reporting;

/// <summary>
/// A report page, and which panels had no data because their files are absent: a file name ("metrics.csv"), or on a
/// comparison the run's label and the file ("critic: metrics.csv").
/// </summary>
public sealed record ReportResult(string Html, IReadOnlyList<string> Absent);

/// <summary>Facts of a run the page's parts share: its name and the columns its losses.csv has.</summary>
internal sealed record RunFacts(string Name, string Loss, string? Penalty, IReadOnlyList<string> ScoreColumns)
{
    public static RunFacts Of(RunDirectory run)
    {
        string name = System.IO.Path.GetFileName(System.IO.Path.GetFullPath(run.Path).TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var csv = run.Losses;
        string[] scores = csv is null ? []
            : csv.Has("d_x") ? ["d_x", "d_g_z1", "d_g_z2"]
            : csv.Has("d_real") ? ["d_real", "d_fake1", "d_fake2"]
            : [];
        // Runs from before the recipes have no recipe in run.json: they trained with BCE.
        string loss = (string?)run.RunJson?["recipe"]?["loss"] ?? (scores.FirstOrDefault() == "d_real" ? "critic" : "bce");
        string? penalty = csv is null ? null : csv.Has("gp") ? "gp" : csv.Has("r1") ? "r1" : null;
        return new RunFacts(name, loss, penalty, scores.Where(s => csv!.Has(s)).ToArray());
    }
}

public static class RunReport
{
    public const string FileName = "report.html";

    /// <summary>
    /// Writes the report of a run directory to outFile (default DIR/report.html) atomically. Images are linked
    /// relative to outFile's folder, or embedded as data: URIs with embedImages.
    /// </summary>
    public static ReportResult Write(string runDirectory, string? outFile = null, bool embedImages = false)
    {
        outFile ??= Path.Combine(runDirectory, FileName);
        var result = Render(runDirectory, Path.GetDirectoryName(Path.GetFullPath(outFile))!, embedImages);
        AtomicFile.WriteAllBytes(outFile, Encoding.UTF8.GetBytes(result.Html));
        return result;
    }

    /// <summary>The page of a run directory, its images linked relative to pageDirectory (or embedded).</summary>
    public static ReportResult Render(string runDirectory, string pageDirectory, bool embedImages = false)
    {
        var run = RunDirectory.Read(runDirectory);
        return new ReportPage(run, RunFacts.Of(run), ReportHtml.ImageSource(run, pageDirectory, embedImages)).Render();
    }
}

/// <summary>The HTML of one report (see the file header).</summary>
internal sealed class ReportPage(RunDirectory run, RunFacts facts, Func<string, string> imageSource) : ReportHtml
{
    JsonObject? Json => run.RunJson;

    public ReportResult Render()
    {
        Head($"{facts.Name}: dcgan run report");
        Header();
        RunPanel();
        LossesPanel();
        ScoresPanel();
        QualityPanel();
        GridsPanel();
        GradNormsPanel();
        DSeesPanel();
        TimePanel();
        Tail("this run directory", ReportData.Json(run, facts, imageSource));
        return Result();
    }

    // ---- the panels -----------------------------------------------------------------------------------------------

    void Header()
    {
        html.Append($"<header>\n<h1>dcgan run <code>{H(facts.Name)}</code></h1>\n<p class=\"summary\">");
        var parts = new List<string>();
        if (Json?["state"] is JsonNode state)
            parts.Add($"<span class=\"state state-{H(StateClass(state.ToString()))}\">{H(state.ToString())}</span>");
        if (Iterations(run) is var (done, total))
            parts.Add(total is int t ? $"iteration {done:N0} of {t:N0}" : $"iteration {done:N0}");
        if ((string?)Json?["recipe"]?["summary"] is string recipe)
            parts.Add(H(recipe));
        if ((string?)Json?["device"]?["id"] is string device)
            parts.Add("on " + H(device));
        html.Append(string.Join(" · ", parts)).Append("</p>\n<nav>");
        foreach (var (id, title) in new[] { ("run", "the run"), ("losses", "losses"), ("scores", "D's outputs"),
                     ("quality", "sample quality"), ("samples", "samples"), ("grad-norms", "gradient norms"), ("d-sees", "what D sees"),
                     ("time", "where the time goes") })
            html.Append($"<a href=\"#{id}\">{title}</a> ");
        html.Append("</nav>\n</header>\n");
    }

    void RunPanel()
    {
        Open("run", "The run",
            "What was trained, on which data and device, with which options and recipe, and what happened on the way (events).",
            "Healthy: state done, and no divergence, collapse or d-won events; a resume is an event too, with the options it changed.");
        if (Json is null)
        {
            Absent("run.json", "This run directory has no run.json (a run made before it existed): its options, device and events are not known.");
        }
        else
        {
            html.Append("<div class=\"tables\">\n");
            FactsTable();
            RecipeTable();
            OptionsTable();
            html.Append("</div>\n");
        }
        EventsTable();
        Close();
    }

    void FactsTable() => Table("run", null, FactRows(run));

    void RecipeTable()
    {
        if (Json!["recipe"] is not JsonObject recipe)
            return;
        Table("recipe", Text(recipe["summary"]),
            recipe.Where(p => p.Key != "summary").Select(p => (p.Key, Text(p.Value) ?? "none")).ToList());
    }

    void OptionsTable()
    {
        if (Json!["config"] is not JsonObject config)
            return;
        var given = config.Where(p => p.Value is not null).Select(p => (p.Key, Text(p.Value) ?? "")).ToList();
        var unset = config.Where(p => p.Value is null).Select(p => p.Key).ToList();
        Table("options", "The options of dcgan train as run.json keeps them (a rollback lowers the learning rate).", given,
            unset.Count == 0 ? null : "Not set (the recipe's or data set's default): " + string.Join(", ", unset) + ".");
    }

    void EventsTable()
    {
        var events = (Json?["events"] as JsonArray ?? Json?["divergence_events"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        bool oldDivergences = Json?["events"] is null && Json?["divergence_events"] is not null;
        int skipped = Json?["skipped_images"] is JsonValue sv && sv.TryGetValue(out int k) ? k : run.SkippedImages.Count;
        html.Append("<h3>Events</h3>\n");
        if (events.Count == 0 && skipped == 0)
            html.Append("<p class=\"none\" id=\"no-events\">No events: no divergence, collapse warning, resume or skipped image.</p>\n");
        else
        {
            html.Append("<table class=\"events\">\n<thead><tr><th>iteration</th><th>event</th><th>what happened</th><th>time (UTC)</th></tr></thead>\n<tbody>\n");
            foreach (var e in events)
            {
                string kind = Text(e["kind"]) ?? (oldDivergences ? "divergence" : "?");
                string detail = string.Join("; ", e.Where(p => p.Key is not ("kind" or "iteration" or "utc") && p.Value is not null)
                    .Select(p => EventField(p.Key, p.Value!)));
                html.Append($"<tr class=\"event-{H(StateClass(kind))}\"><td>{H(Text(e["iteration"]) ?? "")}</td><td>{H(kind)}</td>" +
                            $"<td>{H(detail)}</td><td>{H(Text(e["utc"]) ?? "")}</td></tr>\n");
            }
            if (skipped > 0)
            {
                string names = string.Join("; ", run.SkippedImages.Take(5).Select(l => l.Replace('\t', ' ')));
                html.Append($"<tr class=\"event-skipped\"><td></td><td>skipped images</td><td>{skipped} unreadable image(s) left out" +
                            (names.Length > 0 ? $" ({H(names)}{(run.SkippedImages.Count > 5 ? "; …" : "")}; all in skipped_images.txt)" : "") +
                            "</td><td></td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
        }
        if (run.DivergenceLog is string log)
            html.Append($"<details><summary>divergence.log</summary><pre class=\"log\">{H(log)}</pre></details>\n");
    }

    /// <summary>", and GP the gradient penalty (apart from Loss_D)" when the run has one.</summary>
    string PenaltyNote() =>
        facts.Penalty is string p ? $", and {p.ToUpperInvariant()} the gradient penalty (apart from Loss_D)" : "";

    void LossesPanel()
    {
        Open("losses", "Losses",
            facts.Loss switch
            {
                "wgan" => "Loss_D is the critic's loss, −W (minus the Wasserstein estimate), Loss_G the generator's, one point per iteration" +
                          PenaltyNote() +
                          "; the bold line is the smoothed value, the faint one the raw values.",
                _ => "Loss_D is the discriminator's loss, Loss_G the generator's, one point per iteration" +
                     PenaltyNote() +
                     "; the bold line is the smoothed value (TensorBoard's debiased moving average, weight on the slider), the faint one the raw values.",
            },
            "Healthy: both stay in a bounded band and keep moving as the networks push against each other; Loss_D near 0 for long " +
            "with a climbing Loss_G means D has won, a jump of many times the usual level is an explosion.");
        if (run.Losses is null || run.Losses.RowCount == 0)
            Absent("losses.csv", "No losses in this run: losses.csv is absent or has no rows yet.");
        else
        {
            html.Append("<div class=\"controls\"><label>smoothing <input type=\"range\" id=\"smoothing\" min=\"0\" max=\"0.999\" step=\"0.001\" value=\"0.9\"> " +
                        "<output id=\"smoothing-value\">0.900</output></label> <label><input type=\"checkbox\" id=\"log-scale\"> log scale</label> " +
                        "<span class=\"hint\">(smoothing applies to this chart and the next; drag to zoom, double-click to reset)</span></div>\n");
            if (run.Losses.RowCount > ReportData.MaxLossRows)
                html.Append($"<p class=\"hint\">{run.Losses.RowCount:N0} rows: the page holds every {(run.Losses.RowCount + ReportData.MaxLossRows - 1) / ReportData.MaxLossRows}th (losses.csv has them all).</p>\n");
            Chart("losses");
        }
        Close();
    }

    void ScoresPanel()
    {
        bool probabilities = facts.ScoreColumns.FirstOrDefault() == "d_x";
        Open("scores", probabilities ? "D(x) and D(G(z))" : "The critic's outputs",
            probabilities
                ? "D(x) is the discriminator's mean probability that a real batch is real, D(G(z)) the same for generated images, before D's step (1) and after it (2)."
                : "The critic's mean raw output on the real batch (d_real) and on generated images before and after its step (d_fake1, d_fake2); not probabilities" +
                  (facts.Loss == "wgan" ? ". W = d_real − d_fake1 estimates the Wasserstein distance up to a constant." : "."),
            probabilities
                ? "Healthy: D(x) above D(G(z)) with both moving; 0.5 (the dashed line) is the equilibrium where D cannot tell; D(x) → 1 with D(G(z)) → 0 for long means D has won."
                : facts.Loss == "wgan"
                    ? "Healthy: W positive and falling as the samples improve (compare W within one run only); W that grows without bound means the critic is not held Lipschitz."
                    : "Healthy: real outputs above fake ones with a margin that does not grow without bound" +
                      (facts.Loss == "hinge" ? "; hinge: real ≥ 1 and fake ≤ −1 everywhere means the critic has won." : "."));
        if (facts.ScoreColumns.Count == 0 || run.Losses is not { RowCount: > 0 })
            Absent("losses.csv", "No scores of D in this run: losses.csv is absent, has no rows yet or no score columns.");
        else
            Chart("scores");
        Close();
    }

    void QualityPanel()
    {
        Open("quality", "Sample quality",
            "At every epoch end the run scores its samples with its classifier (docs/metrics.md): classifier score (10 = every class, " +
            "each recognised with certainty), Fréchet distance and KID of the classifier's features (lower is better), precision (samples " +
            "that look like real ones) and recall (real ones the samples cover).",
            "Healthy: score, precision and recall climb and the distances fall towards the dashed lines, which are real held-out images " +
            "scored the same way (the ceiling); recall falling while precision holds is mode collapse.");
        if (run.Metrics is null)
            Absent("metrics.csv", "No quality metric in this run: metrics.csv is absent (a run with --eval-count 0, with no classifier " +
                                  "for its images, made before the metric existed, or still in its first epoch).");
        else
        {
            html.Append("<div class=\"small-charts\">\n");
            foreach (string chart in new[] { "quality-score", "quality-fd", "quality-kid", "quality-pr" })
                Chart(chart);
            html.Append("</div>\n");
        }
        Close();
    }

    void GridsPanel()
    {
        Open("samples", "Fixed-noise samples",
            "The generator's images of the same 64 noise vectors at every saved step (each epoch end, every --sample-every iterations, " +
            "the end), with a real batch beside them; move the slider or press play.",
            "Healthy: blobs turn into varied, sharp images like the real ones; many near-identical images is mode collapse, " +
            "noise or one flat colour after a jump is a divergence.");
        html.Append("<div class=\"figures\">\n");
        if (run.Grids.Count == 0)
            Absent("fake_samples_*.png", "No fixed-noise grid in this run yet (the first is drawn at the first epoch end or --sample-every).");
        else
        {
            var last = run.Grids[^1];
            html.Append("<figure class=\"grid\">\n<div class=\"grid-wrap\">");
            html.Append($"<img id=\"grid-image\" src=\"{H(imageSource(last.File))}\" alt=\"fixed-noise samples\">");
            if (run.GridLabels is not null)
                html.Append("<div id=\"grid-overlay\" hidden></div>");
            html.Append("</div>\n");
            html.Append($"<figcaption><span id=\"grid-caption\">{H(GridCaption(last))}</span>\n");
            html.Append("<span class=\"controls\"><button type=\"button\" id=\"grid-play\">play</button> " +
                        $"<input type=\"range\" id=\"grid-slider\" min=\"0\" max=\"{run.Grids.Count - 1}\" step=\"1\" value=\"{run.Grids.Count - 1}\"> " +
                        $"<span id=\"grid-position\">{run.Grids.Count} of {run.Grids.Count}</span></span>" +
                        (run.GridLabels is null ? "" : " <label class=\"controls\"><input type=\"checkbox\" id=\"grid-labels\"> labels " +
                                                       "(the metric's classifier: class, confidence; grey below 50 %)</label>") +
                        "</figcaption>\n</figure>\n");
        }
        if (run.HasRealSamples)
            html.Append($"<figure class=\"real\"><img id=\"real-image\" src=\"{H(imageSource(RunDirectory.RealSamplesFile))}\" alt=\"real samples\">" +
                        "<figcaption>real_samples.png: the first real batch</figcaption></figure>\n");
        else
            Absent("real_samples.png", "No real_samples.png in this run.");
        html.Append("</div>\n");
        Close();
    }

    void GradNormsPanel()
    {
        Open("grad-norms", "Gradient norms per tensor",
            "The L2 norm of the gradient of every parameter tensor (rows: G's layers, then D's) over the iterations (columns: the largest " +
            "value in each group of iterations), on a log colour scale; hover for the tensor, iterations and value.",
            "Healthy: each row keeps its level, steady or slowly drifting; an explosion is a bright vertical streak, and the row that " +
            "lights up first is where it started (the tick box shows each tensor against its own median).");
        if (run.GradNorms is null || run.GradNorms.RowCount == 0)
            Absent("grad_norms.csv", "No per-tensor gradient norms in this run: grad_norms.csv is absent (a run made before they were logged).");
        else
        {
            html.Append("<div class=\"controls\"><label><input type=\"checkbox\" id=\"heatmap-relative\"> relative to each tensor's median</label> " +
                        "<canvas id=\"heatmap-legend\" width=\"300\" height=\"28\"></canvas></div>\n");
            html.Append("<div class=\"heatmap\" id=\"chart-grad-norms\" data-chart=\"grad-norms\"><canvas id=\"heatmap\"></canvas>" +
                        "<div id=\"heatmap-tip\" class=\"tip\" hidden></div></div>\n");
        }
        Close();
    }

    const string NoSnapshots = "No snapshots in this run: snapshots.json is absent (a run made before snapshots were recorded, " +
                               "or one that has not reached its first checkpoint).";

    void DSeesPanel()
    {
        bool probabilities = facts.ScoreColumns.FirstOrDefault() == "d_x";
        Open("d-sees", "What D sees",
            "At every checkpoint, D's raw outputs (" + (probabilities ? "logits: D(x) = σ(logit)" : "the critic's values") + ") on one fixed batch of " +
            "real images and one of G's images from fixed noise, in training mode as the step runs them; with each layer's " +
            "weights and outputs (mean, std, and the share of dead ReLU units, negative LeakyReLU or saturated Tanh outputs).",
            "Healthy: the two histograms overlap partly and keep moving (how far apart they are is the state of the game); " +
            "fully separated for many checkpoints means D has won, a layer with most ReLU units dead or Tanh saturated has stopped learning.");
        if (run.Snapshots is null)
            Absent(SnapshotsFile.FileName, NoSnapshots);
        else
        {
            SnapshotControls("snapshot");
            html.Append("<div class=\"small-charts\">\n");
            html.Append("<div class=\"histogram\" id=\"chart-logits\" data-chart=\"logits\"><canvas id=\"logits\"></canvas></div>\n");
            Chart("logit-means");
            html.Append("</div>\n");
            html.Append("<h3>Layers at this checkpoint</h3>\n<p class=\"caption\">Weights: each parameter tensor's mean and std. " +
                        "Outputs: mean, std and the activation's share (ReLU: units at 0 on every image of the batch are dead; " +
                        "LeakyReLU: outputs below 0; Tanh: |y| &gt; 0.99); G on the fixed noise, D on the real batch and on G's images.</p>\n");
            html.Append("<div class=\"wide\"><table class=\"stats\" id=\"layer-stats\"><thead></thead><tbody></tbody></table></div>\n");
        }
        Close();
    }

    void TimePanel()
    {
        Open("time", "Where the time goes",
            "The iteration that ends at each checkpoint, timed op by op through the training step's profiling seam (as dcgan bench step: " +
            "the stream is waited for after every op, so each op's wall time is its own; the sum is a little above an unprofiled iteration); " +
            "each conv pass with its GFLOP/s and % of the device's FP32 peak.",
            "Healthy: the conv passes take most of the time at a steady share of the peak; a copy, check or optimizer op near the top, " +
            "or a conv pass far below its neighbours, is where to look for speed.");
        if (run.Snapshots is null || !run.Snapshots.Any(s => s?["profile"] is JsonObject))
            Absent(run.Snapshots is null ? SnapshotsFile.FileName : "snapshots.json profiles",
                run.Snapshots is null ? NoSnapshots : "No profiled iteration in this run's snapshots.");
        else
        {
            html.Append("<div class=\"controls\"><label>checkpoint <select id=\"profile-select\"></select></label> " +
                        "<span id=\"profile-summary\" class=\"hint\"></span></div>\n");
            html.Append("<div class=\"bars\" id=\"chart-profile\" data-chart=\"profile\"><canvas id=\"profile\"></canvas></div>\n");
            html.Append("<details><summary>every op of the iteration</summary><div class=\"wide\"><table class=\"stats\" id=\"profile-table\">" +
                        "<thead><tr><th>op</th><th>kind</th><th>calls</th><th>ms</th><th>share</th><th>GFLOP/s</th><th>% peak</th></tr></thead>" +
                        "<tbody></tbody></table></div></details>\n");
        }
        Close();
    }

    /// <summary>A slider over the snapshots (ids prefix-slider, prefix-position), on the last one.</summary>
    void SnapshotControls(string prefix)
    {
        int n = run.Snapshots!.Count;
        html.Append($"<div class=\"controls\"><label>checkpoint <input type=\"range\" id=\"{prefix}-slider\" min=\"0\" max=\"{n - 1}\" step=\"1\" value=\"{n - 1}\"></label> " +
                    $"<span id=\"{prefix}-position\">{H(SnapshotCaption(run.Snapshots[^1]!, n - 1, n))}</span></div>\n");
    }

    /// <summary>"iteration 6,250 (epoch 9), checkpoint 10 of 10"; report.js's snapshotCaption writes the same.</summary>
    static string SnapshotCaption(JsonNode s, int i, int n) =>
        $"iteration {(int)s["iteration"]!:N0}" + (s["epoch"] is JsonValue e && e.TryGetValue(out int epoch) ? $" (epoch {epoch})" : "") +
        $", checkpoint {i + 1} of {n}";

    // ---- helpers --------------------------------------------------------------------------------------------------

    /// <summary>An event's field as text: a resume's option changes as "--lr 0.0002 → 0.0001".</summary>
    static string EventField(string key, JsonNode value) => key switch
    {
        "changes" when value is JsonArray changes => changes.Count == 0 ? "no option changed"
            : "changed: " + string.Join(", ", changes.OfType<JsonObject>().Select(c =>
                $"--{Text(c["option"])} {Text(c["saved"])} → {Text(c["resumed"])}")),
        "what" or "detail" => Text(value) ?? "",
        _ => $"{key.Replace('_', ' ')} {Text(value)}",
    };
}

// report.js: draws a dcgan report page from its inline JSON (#report-data, written by Dcgan.Nn/Reporting/ReportData.cs)
// and, with ?selftest=1 in the URL, checks itself and writes the result into <pre id="selftest"> (the browser test
// reads it from the dumped DOM). One script for both pages: report.html of one run, and compare.html of several
// (CompareReport.cs; its data has "runs"), which share the numbers, the line charts, the grid slider and the self-test.
//
// report.html
//   losses, scores    uPlot line charts over iterations: the raw values faint, TensorBoard's debiased exponential
//                     moving average bold (weight on the slider); long series are thinned for drawing only
//   quality-*         metrics.csv per evaluation, the real held-out values as dashed reference lines
//   samples           a slider and a play button over the fixed-noise grids; a box overlays each tile's classifier label
//   grad-norms        a canvas heatmap: tensor × bucket of iterations, log colour scale, tooltip on hover
//   logits, logit-means, layer-stats   per checkpoint (snapshots, a slider): D's logit histograms on the real and the
//                     fake batch (canvas), the mean logits over the checkpoints, each layer's statistics as a table
//   profile           the chosen checkpoint's profiled iteration: ms per op as bars (canvas) and as a table
// compare.html
//   loss-d, loss-g, penalty, scores-*, quality-*   the same charts with one colour per run, each run's series aligned on the
//                     union of the runs' iterations
//   samples           one slider over the iterations any run saved a grid at, a grid per run (data.steps)
//   runs              a tick box that hides the rows of the runs table whose values agree
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-data").textContent);
  const charts = {};    // name -> { points }: every chart drawn, for the self-test
  const problems = [];  // what failed while drawing; shown in its panel and reported by the self-test

  const COLORS = {
    d: "#1f77b4", g: "#ff7f0e", penalty: "#2ca02c",
    real: "#1f77b4", fake1: "#d62728", fake2: "#9467bd", w: "#2ca02c",
    score: "#1f77b4", recall: "#ff7f0e", reference: "#6b7280",
  };

  function $(id) { return document.getElementById(id); }
  function finite(v) { return typeof v === "number" && isFinite(v); }

  // ---- numbers -----------------------------------------------------------------------------------------------

  // TensorBoard's smoothing: an exponential moving average started at 0 and debiased by 1 - weight^k after k
  // finite values (so the first points are not pulled towards 0). Non-finite values pass through as gaps.
  function smooth(ys, weight) {
    const out = new Array(ys.length);
    let last = 0, count = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (!finite(y)) { out[i] = null; continue; }
      last = last * weight + (1 - weight) * y;
      count++;
      out[i] = weight === 0 ? y : last / (1 - Math.pow(weight, count));
    }
    return out;
  }

  // The rows to draw: all of them when there are few; otherwise, per bucket of rows, the first row and each series'
  // smallest and largest value (and its first gap), so that thinning never hides a spike. About one bucket per pixel.
  function drawIndices(n, series, buckets) {
    const all = [];
    if (n <= buckets * 2) {
      for (let i = 0; i < n; i++) all.push(i);
      return all;
    }
    for (let b = 0; b < buckets; b++) {
      const lo = Math.floor(b * n / buckets), hi = Math.floor((b + 1) * n / buckets);
      const picked = [lo];
      for (const ys of series) {
        let min = -1, max = -1, gap = -1;
        for (let i = lo; i < hi; i++) {
          const y = ys[i];
          if (!finite(y)) { if (gap < 0) gap = i; continue; }
          if (min < 0 || y < ys[min]) min = i;
          if (max < 0 || y > ys[max]) max = i;
        }
        for (const i of [min, max, gap]) if (i >= 0) picked.push(i);
      }
      picked.sort((a, b) => a - b);
      for (let k = 0; k < picked.length; k++) if (k === 0 || picked[k] !== picked[k - 1]) all.push(picked[k]);
    }
    if (all[all.length - 1] !== n - 1) all.push(n - 1);
    return all;
  }

  function pick(values, indices) { return indices.map(i => finite(values[i]) ? values[i] : null); }

  function faint(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  // A y scale for these values: linear, or with log on, logarithmic when every value is positive, else arcsinh
  // (log-like for large magnitudes, linear near 0) so negative losses can be shown too.
  function yScale(valueLists, log) {
    if (!log) return { distr: 1 };
    const abs = [];
    let positive = true;
    for (const ys of valueLists) for (const y of ys) if (finite(y)) { if (y <= 0) positive = false; if (y !== 0) abs.push(Math.abs(y)); }
    if (positive) return { distr: 3, log: 10 };
    abs.sort((a, b) => a - b);
    const small = abs.length ? abs[Math.floor(abs.length * 0.1)] : 1;
    return { distr: 4, asinh: Math.pow(10, Math.floor(Math.log10(small))) };
  }

  function format(v) {
    if (!finite(v)) return "–";
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : +v.toPrecision(4) + "";
  }

  // ---- line charts -------------------------------------------------------------------------------------------

  // A uPlot line chart in the element #chart-<name>. spec: { title, x, xLabel, yLabel, series: [{ label, values,
  // color, width, dash, points }], scale }. Replaces the chart drawn there before.
  function lineChart(name, spec) {
    const el = $("chart-" + name);
    el.innerHTML = "";
    const opts = {
      title: spec.title,
      width: Math.max(320, el.clientWidth || 800),
      height: spec.height || 280,
      scales: { x: { time: false }, y: spec.scale || { distr: 1 } },
      axes: [{ label: spec.xLabel || "iteration" }, { label: spec.yLabel || "", size: 60 }],
      series: [{ label: spec.xLabel || "iteration", value: (u, v) => v === null ? "–" : Math.round(v) + "" }].concat(spec.series.map(s => ({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        points: { show: !!s.points, size: 6, fill: s.color },
        value: (u, v) => format(v),
      }))),
      cursor: { drag: { x: true, y: false } },
    };
    new uPlot(opts, [spec.x].concat(spec.series.map(s => s.values)), el);
    charts[name] = { points: spec.x.length };
  }

  function safely(name, draw) {
    try {
      draw();
    } catch (e) {
      problems.push(name + ": " + e.message);
      const el = $("chart-" + name);
      if (el) el.innerHTML = "<p class=\"chart-error\"></p>", el.firstChild.textContent = "This chart failed: " + e.message;
    }
  }

  function smoothingWeight() { const s = $("smoothing"); return s ? +s.value : 0; }

  // Series over their own x values (one run's iterations each), put on one x axis: the sorted union of all of them,
  // each series undefined where its run has no point (uPlot draws across undefined, and breaks lines at null only).
  // groups: [{ xs, series: [values along xs] }]; returns { x, series: [values along x] } in the groups' order.
  function align(groups) {
    if (groups.length === 1) return { x: groups[0].xs, series: groups[0].series };
    const x = Array.from(new Set([].concat(...groups.map(g => g.xs)))).sort((a, b) => a - b);
    const at = new Map(x.map((v, i) => [v, i]));
    const series = [];
    for (const g of groups) for (const values of g.series) {
      const out = new Array(x.length).fill(undefined);
      g.xs.forEach((v, i) => { out[at.get(v)] = values[i]; });
      series.push(out);
    }
    return { x: x, series: series };
  }

  // Raw values faint and smoothed bold for each of defs ({ label, x, values, color, dash }), plus dashed constant lines.
  // Defs over the same x (one run) are thinned together, so that no row where one of them spikes is left out.
  function smoothedChart(name, title, yLabel, defs, lines, log) {
    const el = $("chart-" + name);
    const weight = smoothingWeight();
    const groups = [];
    for (const d of defs) {
      let g = groups.find(g => g.x === d.x);
      if (!g) groups.push(g = { x: d.x, defs: [] });
      g.defs.push(d);
    }
    for (const g of groups) {
      const indices = drawIndices(g.x.length, g.defs.map(d => d.values), Math.max(200, el.clientWidth || 800));
      g.xs = indices.map(i => g.x[i]);
      g.series = g.defs.map(d => pick(d.values, indices)).concat(g.defs.map(d => pick(smooth(d.values, weight), indices)));
    }
    const aligned = align(groups);
    const raw = [], smoothed = [];
    let k = 0;
    for (const g of groups) {
      g.defs.forEach((d, i) => raw.push({ label: d.label + " raw", values: aligned.series[k + i], color: faint(d.color, 0.28), width: 1, dash: d.dash }));
      g.defs.forEach((d, i) => smoothed.push({ label: d.label, values: aligned.series[k + g.defs.length + i], color: d.color, width: 2, dash: d.dash }));
      k += 2 * g.defs.length;
    }
    const series = raw.concat(smoothed);
    for (const line of lines) series.push({ label: line.label, values: aligned.x.map(() => line.value), color: COLORS.reference, width: 1, dash: [6, 4] });
    lineChart(name, { title: title, x: aligned.x, yLabel: yLabel, series: series, scale: yScale(defs.map(d => d.values), log) });
  }

  function drawLosses() {
    const c = data.losses.columns, x = c.iteration;
    const defs = [
      { label: "Loss_D", x: x, values: c.loss_d, color: COLORS.d },
      { label: "Loss_G", x: x, values: c.loss_g, color: COLORS.g },
    ];
    if (data.losses.penalty) defs.push({ label: data.losses.penalty.toUpperCase(), x: x, values: c[data.losses.penalty], color: COLORS.penalty });
    smoothedChart("losses", "", "loss", defs, [], $("log-scale").checked);
  }

  function drawScores() {
    const c = data.losses.columns, names = data.losses.scores, x = c.iteration;
    let defs, lines = [];
    if (names[0] === "d_x") {
      defs = [
        { label: "D(x)", x: x, values: c.d_x, color: COLORS.real },
        { label: "D(G(z)) before D's step", x: x, values: c.d_g_z1, color: COLORS.fake1 },
        { label: "D(G(z)) after", x: x, values: c.d_g_z2, color: COLORS.fake2 },
      ];
      lines = [{ label: "0.5", value: 0.5 }];
    } else {
      defs = [
        { label: "d_real", x: x, values: c.d_real, color: COLORS.real },
        { label: "d_fake1", x: x, values: c.d_fake1, color: COLORS.fake1 },
        { label: "d_fake2", x: x, values: c.d_fake2, color: COLORS.fake2 },
      ];
      if (data.wasserstein) {
        const w = c.d_real.map((r, i) => finite(r) && finite(c.d_fake1[i]) ? r - c.d_fake1[i] : null);
        defs.push({ label: "W = d_real − d_fake1", x: x, values: w, color: COLORS.w });
      }
    }
    smoothedChart("scores", "", names[0] === "d_x" ? "probability" : "critic output", defs, lines, false);
  }

  function drawQuality() {
    const c = data.metrics.columns, real = data.metrics.real || {};
    const x = c.iteration;
    const label = "real held-out" + (real.images ? " (" + real.images + " images)" : "");
    function chart(name, title, keys, scale, yLabel, log) {
      const series = [];
      const refs = [];
      keys.forEach((key, k) => {
        if (!c[key]) return;
        const color = k === 0 ? COLORS.score : COLORS.recall;
        series.push({ label: key.replace(/_/g, " ") + (scale !== 1 ? " × " + scale : ""), values: c[key].map(v => finite(v) ? v * scale : null), color: color, points: true });
        if (finite(real[key])) refs.push({ label: label + " " + key.replace(/_/g, " "), values: x.map(() => real[key] * scale), color: faint(color, 0.6), width: 1, dash: [6, 4] });
      });
      lineChart(name, { title: title, x: x, yLabel: yLabel, series: series.concat(refs), height: 230, scale: yScale(series.map(s => s.values), log) });
    }
    safely("quality-score", () => chart("quality-score", "classifier score (higher is better; 10 at most)", ["classifier_score"], 1, "score", false));
    safely("quality-fd", () => chart("quality-fd", "Fréchet distance (lower is better; log scale)", ["frechet_distance"], 1, "FD", true));
    safely("quality-kid", () => chart("quality-kid", "KID × 1000 (lower is better)", ["kid"], 1000, "KID × 1000", false));
    safely("quality-pr", () => chart("quality-pr", "precision and recall (higher is better)", ["precision", "recall"], 1, "share", false));
  }

  // ---- fixed-noise grids ---------------------------------------------------------------------------------------

  function gridCaption(g) {
    const parts = [];
    if (g.epoch !== null) parts.push("epoch " + g.epoch);
    if (g.iteration !== null) parts.push("iteration " + g.iteration.toLocaleString("en-US"));
    return parts.join(", ") + " (" + g.file + ")";
  }

  function showImage(img, src) { if (img.getAttribute("src") !== src) img.src = src; }

  // #grid-slider and #grid-play over count positions: show(i) puts position i on the page.
  function stepper(count, show) {
    const slider = $("grid-slider"), play = $("grid-play");
    let timer = null;
    function go(i) { show(i); slider.value = i; }
    function stop() { clearInterval(timer); timer = null; play.textContent = "play"; }
    slider.addEventListener("input", () => { stop(); go(+slider.value); });
    play.addEventListener("click", () => {
      if (timer) return stop();
      if (+slider.value >= count - 1) go(0);
      play.textContent = "pause";
      timer = setInterval(() => {
        const next = +slider.value + 1;
        if (next >= count) return stop();
        go(next);
      }, 350);
    });
    return go;
  }

  // The classifier's label and confidence over each tile of grid g (grid_labels.json), when the labels box is ticked.
  function drawGridLabels(g) {
    const overlay = $("grid-overlay"), box = $("grid-labels");
    if (!overlay || !box) return;
    overlay.innerHTML = "";
    overlay.hidden = !box.checked || !g.labels;
    if (overlay.hidden) return;
    const L = data.grid_layout, cols = Math.min(L.columns, g.labels.length), rows = Math.ceil(g.labels.length / cols);
    const width = (L.tile + L.padding) * cols + L.padding, height = (L.tile + L.padding) * rows + L.padding;
    g.labels.forEach((label, k) => {
      const span = document.createElement("span"), c = g.confidence[k];
      span.textContent = label + " " + Math.round(100 * c) + "%";
      if (!(c >= 0.5)) span.className = "unsure";
      span.style.left = (100 * (L.padding + (k % cols) * (L.tile + L.padding)) / width) + "%";
      span.style.top = (100 * (L.padding + Math.floor(k / cols) * (L.tile + L.padding)) / height) + "%";
      overlay.appendChild(span);
    });
  }

  function setupGrids() {
    const grids = data.grids, img = $("grid-image");
    if (!img || grids.length === 0) return;
    const go = stepper(grids.length, i => {
      const g = grids[i];
      showImage(img, g.src);
      $("grid-caption").textContent = gridCaption(g);
      $("grid-position").textContent = (i + 1) + " of " + grids.length;
      drawGridLabels(g);
    });
    go(grids.length - 1);
    const box = $("grid-labels");
    if (box) box.addEventListener("change", () => drawGridLabels(grids[+$("grid-slider").value]));
  }

  // ---- gradient-norm heatmap -----------------------------------------------------------------------------------

  // viridis, five stops: low norms dark blue, high ones yellow; a bucket with a non-finite norm is red.
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const NOT_FINITE = "#ff1f3d";

  function colour(t) {
    t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
    const k = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - k, a = VIRIDIS[k], b = VIRIDIS[k + 1];
    return "rgb(" + a.map((v, j) => Math.round(v + (b[j] - v) * f)).join(",") + ")";
  }

  function median(values) {
    const v = values.filter(x => finite(x) && x > 0).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : 1;
  }

  const heat = { geometry: null };

  function drawHeatmap() {
    const g = data.grad_norms, relative = $("heatmap-relative").checked;
    const values = relative ? g.max.map(row => { const m = median(row); return row.map(v => v === null ? null : v / m); }) : g.max;
    let lo = Infinity, hi = -Infinity;
    for (const row of values) for (const v of row) if (finite(v) && v > 0) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
    if (!(hi > lo)) { lo = isFinite(lo) ? lo - 1 : -1; hi = lo + 2; }

    const labelWidth = 170, rowHeight = 14, groupGap = 8, axisHeight = 26, columns = g.first.length;
    const rowTop = [];
    let y = 4;
    g.tensors.forEach((t, r) => {
      if (r > 0 && t.slice(0, 5) !== g.tensors[r - 1].slice(0, 5)) y += groupGap;  // netG. | netD.
      rowTop.push(y);
      y += rowHeight;
    });
    const { ctx, width } = sizedCanvas($("heatmap"), $("chart-grad-norms"), 400, y + axisHeight);
    const cellWidth = (width - labelWidth - 10) / columns;
    ctx.textBaseline = "middle";
    values.forEach((row, r) => {
      ctx.fillStyle = "#1d2330";
      ctx.textAlign = "right";
      ctx.fillText(g.tensors[r], labelWidth - 6, rowTop[r] + rowHeight / 2);
      row.forEach((v, c) => {
        ctx.fillStyle = v === null ? NOT_FINITE : colour(((v > 0 ? Math.log10(v) : lo) - lo) / (hi - lo));
        ctx.fillRect(labelWidth + c * cellWidth, rowTop[r], Math.ceil(cellWidth), rowHeight - 1);
      });
    });
    // Iteration ticks under the cells.
    ctx.fillStyle = "#4a5263";
    const ticks = Math.min(columns, Math.max(2, Math.floor((width - labelWidth) / 110)));
    for (let k = 0; k < ticks; k++) {
      const c = Math.round(k * (columns - 1) / Math.max(1, ticks - 1));
      ctx.textAlign = k === 0 ? "left" : k === ticks - 1 ? "right" : "center";  // the end labels stay inside
      const at = k === 0 ? labelWidth : k === ticks - 1 ? labelWidth + columns * cellWidth : labelWidth + (c + 0.5) * cellWidth;
      ctx.fillText((k === ticks - 1 ? g.last[c] : g.first[c]).toLocaleString("en-US"), at, y + 12);
    }
    ctx.textAlign = "right";
    ctx.fillText("iteration", labelWidth - 6, y + 12);
    heat.geometry = { labelWidth, cellWidth, rowTop, rowHeight, values, relative };
    drawLegend(lo, hi, relative);
    charts["grad-norms"] = { points: columns * g.tensors.length };
  }

  function drawLegend(lo, hi, relative) {
    const canvas = $("heatmap-legend"), ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    for (let x = 0; x < w - 60; x++) { ctx.fillStyle = colour(x / (w - 61)); ctx.fillRect(x, 0, 1, 12); }
    ctx.fillStyle = NOT_FINITE;
    ctx.fillRect(w - 50, 0, 12, 12);
    ctx.fillStyle = "#1d2330";
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    ctx.fillText(format(Math.pow(10, lo)) + (relative ? "× median" : ""), 0, 15);
    ctx.textAlign = "right";
    ctx.fillText(format(Math.pow(10, hi)) + (relative ? "×" : ""), w - 62, 15);
    ctx.textAlign = "left";
    ctx.fillText("not", w - 34, 0);
    ctx.fillText("finite", w - 34, 12);
  }

  function heatmapTip(event) {
    const geo = heat.geometry, tip = $("heatmap-tip"), g = data.grad_norms;
    const rect = $("heatmap").getBoundingClientRect();
    const x = event.clientX - rect.left, y = event.clientY - rect.top;
    const c = Math.floor((x - geo.labelWidth) / geo.cellWidth);
    const r = geo.rowTop.findIndex(top => y >= top && y < top + geo.rowHeight);
    if (c < 0 || c >= g.first.length || r < 0) { tip.hidden = true; return; }
    const v = geo.values[r][c];
    const its = g.first[c] === g.last[c] ? "iteration " + g.first[c] : "iterations " + g.first[c] + "–" + g.last[c];
    tip.textContent = g.tensors[r] + "\n" + its + "\n" +
      (v === null ? "not finite" : (geo.relative ? format(v) + " × its median (largest)" : "gradient norm " + format(v) + (g.first[c] === g.last[c] ? "" : " (largest)")));
    tip.hidden = false;
    tip.style.left = Math.min(x + 14, rect.width - 220) + "px";
    tip.style.top = (y + 14) + "px";
  }

  function setupHeatmap() {
    drawHeatmap();
    $("heatmap-relative").addEventListener("change", () => safely("grad-norms", drawHeatmap));
    $("heatmap").addEventListener("mousemove", heatmapTip);
    $("heatmap").addEventListener("mouseleave", () => { $("heatmap-tip").hidden = true; });
  }

  // ---- what D sees and where the time goes (snapshots.json) -------------------------------------------------------

  // As RunReport.cs's SnapshotCaption writes it into the page first.
  function snapshotCaption(s, i, n) {
    return "iteration " + s.iteration.toLocaleString("en-US") + (s.epoch !== null && s.epoch !== undefined ? " (epoch " + s.epoch + ")" : "") +
      ", checkpoint " + (i + 1) + " of " + n;
  }

  function mean(values) {
    const v = values.filter(finite);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  }

  // A canvas sized to its container's width (at least minWidth) and the given height, for crisp drawing at any zoom.
  function sizedCanvas(canvas, wrap, minWidth, height) {
    const dpr = window.devicePixelRatio || 1, width = Math.max(minWidth, wrap.clientWidth || 600);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx, width, height };
  }

  // Two histograms over the same bins: D's logits on the real batch and on G's images, drawn over each other.
  function drawLogits(i) {
    const s = data.snapshots[i], b = s.logits.bins, n = b.real.length;
    const { ctx, width, height } = sizedCanvas($("logits"), $("chart-logits"), 320, 250);
    const left = 40, right = 10, top = 26, bottom = 34, plotW = width - left - right, plotH = height - top - bottom;
    const most = Math.max(1, ...b.real, ...b.fake);
    const x = v => left + (v - b.lo) / (b.hi - b.lo) * plotW;
    ctx.fillStyle = "#1d2330";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.font = "600 12px system-ui, sans-serif";
    const probabilities = data.losses && data.losses.scores[0] === "d_x";
    ctx.fillText("D's " + (probabilities ? "logits" : "outputs") + " at iteration " + s.iteration.toLocaleString("en-US") +
      ": real batch (blue) and G's images (red)", left, 4);
    ctx.font = "11px system-ui, sans-serif";
    [["real", COLORS.real], ["fake", COLORS.fake1]].forEach(([key, color]) => {
      ctx.fillStyle = faint(color, 0.5);
      b[key].forEach((c, k) => {
        if (!c) return;
        const h = c / most * plotH;
        ctx.fillRect(left + k * plotW / n + 1, top + plotH - h, plotW / n - 2, h);
      });
    });
    // The means of both batches, and for BCE the logit 0 where D says 0.5.
    const marks = [[mean(s.logits.real), COLORS.real, "mean real"], [mean(s.logits.fake), COLORS.fake1, "mean fake"]];
    if (probabilities && b.lo < 0 && b.hi > 0) marks.push([0, COLORS.reference, "D = 0.5"]);
    marks.forEach(([v, color]) => {
      if (v === null) return;
      ctx.strokeStyle = color;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x(v), top);
      ctx.lineTo(x(v), top + plotH);
      ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.strokeStyle = "#9aa3b2";
    ctx.beginPath();
    ctx.moveTo(left, top + plotH + 0.5);
    ctx.lineTo(left + plotW, top + plotH + 0.5);
    ctx.stroke();
    ctx.fillStyle = "#4a5263";
    ctx.textBaseline = "top";
    for (let k = 0; k <= 4; k++) {
      const v = b.lo + (b.hi - b.lo) * k / 4;
      ctx.textAlign = k === 0 ? "left" : k === 4 ? "right" : "center";
      ctx.fillText(format(v), left + plotW * k / 4, top + plotH + 4);
    }
    ctx.textAlign = "center";
    ctx.fillText((probabilities ? "logit" : "critic output") + " (dashed: the means" + (marks.length > 2 ? "; grey: D = 0.5" : "") + ")", left + plotW / 2, top + plotH + 18);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(most + "", left - 6, top);
    ctx.fillText("0", left - 6, top + plotH);
    ctx.save();
    ctx.translate(10, top + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.fillText("images", 0, 0);
    ctx.restore();
    charts["logits"] = { points: n, iteration: s.iteration };
  }

  // The mean logit of each batch over the checkpoints: the gap between the lines is how well D tells them apart.
  function drawLogitMeans() {
    const snaps = data.snapshots;
    lineChart("logit-means", {
      title: "mean of D's " + (data.losses && data.losses.scores[0] === "d_x" ? "logits" : "outputs") + " per checkpoint",
      x: snaps.map(s => s.iteration), yLabel: "mean", height: 250,
      series: [
        { label: "real batch", values: snaps.map(s => mean(s.logits.real)), color: COLORS.real, points: true },
        { label: "G's images", values: snaps.map(s => mean(s.logits.fake)), color: COLORS.fake1, points: true },
      ],
    });
  }

  function cell(row, text, cls) {
    const td = document.createElement(row.parentElement && row.parentElement.tagName === "THEAD" ? "th" : "td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function percent(v) { return finite(v) ? (100 * v).toFixed(1) + "%" : ""; }

  // The activation's share: dead ReLU units (and the share of zeros), negative LeakyReLU or saturated Tanh outputs.
  function share(stats) {
    if (!stats) return "";
    if (finite(stats.dead)) return percent(stats.dead) + " dead (" + percent(stats.zero) + " zero)";
    if (finite(stats.negative)) return percent(stats.negative) + " negative";
    if (finite(stats.saturated)) return percent(stats.saturated) + " saturated";
    return "";
  }

  function fillLayerTable(i) {
    const table = $("layer-stats"), layers = data.snapshots[i].layers;
    const head = table.tHead, body = table.tBodies[0];
    head.innerHTML = "";
    body.innerHTML = "";
    const hr = head.insertRow();
    ["net", "layer", "weights (mean ± std)", "output: mean ± std", "share", "on G's images: mean ± std", "share"].forEach(t => cell(hr, t));
    const ms = st => st ? format(st.mean) + " ± " + format(st.std) : "";
    for (const net of ["G", "D"]) {
      for (const l of layers[net] || []) {
        const r = body.insertRow();
        r.className = "net-" + net + (l.kind === "relu" && l.output && l.output.dead > 0.5 ? " warn" : "") +
          (l.kind === "tanh" && l.output && l.output.saturated > 0.5 ? " warn" : "");
        cell(r, net);
        cell(r, l.layer + " " + l.type);
        cell(r, l.weights.map(w => w.name.slice(l.layer.length + 1) + " " + format(w.mean) + " ± " + format(w.std)).join("; "));
        const first = net === "G" ? l.output : l.real;
        cell(r, (net === "D" ? "real: " : "") + ms(first));
        cell(r, share(first));
        cell(r, net === "D" ? ms(l.fake) : "");
        cell(r, net === "D" ? share(l.fake) : "");
      }
    }
  }

  function setupSnapshots() {
    const snaps = data.snapshots, slider = $("snapshot-slider");
    function show(i) {
      safely("logits", () => drawLogits(i));
      fillLayerTable(i);
      $("snapshot-position").textContent = snapshotCaption(snaps[i], i, snaps.length);
    }
    slider.addEventListener("input", () => show(+slider.value));
    show(+slider.value);
    safely("logit-means", drawLogitMeans);
  }

  const KIND_COLORS = {
    "conv2d": "#1f77b4", "conv-transpose2d": "#ff7f0e", "batchnorm": "#2ca02c", "activation": "#9467bd", "loss": "#8c564b",
    "optimizer": "#e377c2", "checks": "#7f7f7f", "copy": "#bcbd22", "rng": "#17becf", "fill": "#aec7e8", "data": "#c49c94",
    "penalty": "#d62728", "double backward": "#d62728",
  };

  // The snapshots that hold a profile, oldest first.
  function profiled() { return (data.snapshots || []).filter(s => s.profile); }

  // Horizontal bars: the slowest ops of the profiled iteration (the rest summed in one bar), coloured by kind.
  function drawProfile(i) {
    const p = profiled()[i].profile, ops = p.ops.slice().sort((a, b) => b.ms - a.ms), shown = 18;
    const rows = ops.slice(0, shown);
    if (ops.length > shown) rows.push({ op: "the other " + (ops.length - shown) + " ops", kind: "other", ms: ops.slice(shown).reduce((a, o) => a + o.ms, 0) });
    const rowHeight = 18, top = 8, labelWidth = 380;
    const { ctx, width, height } = sizedCanvas($("profile"), $("chart-profile"), 560, top + rows.length * rowHeight + 24);
    // Room on the right of the longest bar for its numbers ("24.22 ms · 55.42 GFLOP/s · 93.15% peak").
    const most = Math.max(...rows.map(o => o.ms), 1e-9), plotW = Math.max(80, width - labelWidth - 250);
    ctx.textBaseline = "middle";
    rows.forEach((o, k) => {
      const y = top + k * rowHeight;
      ctx.fillStyle = "#1d2330";
      ctx.textAlign = "right";
      let label = o.op;
      while (label.length > 8 && ctx.measureText(label + "…").width > labelWidth - 12) label = label.slice(0, -1);
      ctx.fillText(label === o.op ? label : label + "…", labelWidth - 6, y + rowHeight / 2);
      ctx.fillStyle = KIND_COLORS[o.kind] || "#b0b6c2";
      ctx.fillRect(labelWidth, y + 2, Math.max(1, o.ms / most * plotW), rowHeight - 4);
      ctx.fillStyle = "#4a5263";
      ctx.textAlign = "left";
      ctx.fillText(format(o.ms) + " ms" + (finite(o.gflops) ? " · " + format(o.gflops) + " GFLOP/s" : "") + (finite(o.percent_of_peak) ? " · " + format(o.percent_of_peak) + "% peak" : ""),
        labelWidth + Math.max(1, o.ms / most * plotW) + 6, y + rowHeight / 2);
    });
    ctx.fillStyle = "#4a5263";
    ctx.textAlign = "left";
    ctx.fillText("ms of the iteration, slowest ops first; colour: the op's kind (conv2d blue, conv-transpose2d orange, batchnorm green, activation purple)",
      labelWidth, top + rows.length * rowHeight + 12);
    charts["profile"] = { points: rows.length, iteration: p.iteration };
  }

  function fillProfileTable(i) {
    const p = profiled()[i].profile, body = $("profile-table").tBodies[0];
    body.innerHTML = "";
    for (const o of p.ops) {
      const r = body.insertRow();
      cell(r, o.op);
      cell(r, o.kind);
      cell(r, format(o.calls));
      cell(r, format(o.ms), "number");
      cell(r, (100 * o.ms / p.total_ms).toFixed(1) + "%", "number");
      cell(r, finite(o.gflops) ? format(o.gflops) : "", "number");
      cell(r, finite(o.percent_of_peak) ? format(o.percent_of_peak) : "", "number");
    }
    const conv = p.kinds.filter(k => k.kind.startsWith("conv"));
    const convMs = conv.reduce((a, k) => a + k.ms, 0), convGflop = conv.reduce((a, k) => a + (k.gflop || 0), 0);
    $("profile-summary").textContent = "iteration " + p.iteration.toLocaleString("en-US") + ": " + format(p.total_ms) + " ms profiled, " +
      (100 * convMs / p.total_ms).toFixed(0) + "% in conv passes at " + format(convGflop / (convMs / 1e3)) + " GFLOP/s (" +
      (finite(p.peak_gflops) ? format(100 * convGflop / (convMs / 1e3) / p.peak_gflops) + "% of the peak " + format(p.peak_gflops) + " GFLOP/s, " : "peak: ") +
      p.peak_source + ")" +
      (p.includes_compilation ? "; the session's first iteration: its times include compiling the kernels" : "");
  }

  function setupProfile() {
    const list = profiled(), select = $("profile-select");
    list.forEach((s, i) => {
      const o = document.createElement("option");
      o.value = i;
      o.textContent = "iteration " + s.iteration.toLocaleString("en-US") + (s.profile.includes_compilation ? " (with compilation)" : "");
      select.appendChild(o);
    });
    select.value = list.length - 1;
    function show() { safely("profile", () => drawProfile(+select.value)); fillProfileTable(+select.value); }
    select.addEventListener("change", show);
    show();
  }

  // ---- the run page (report.html) ----------------------------------------------------------------------------

  function drawSmoothedRun() {
    safely("losses", drawLosses);
    if (data.losses.scores.length) safely("scores", drawScores);
  }

  const runPage = {
    lossChart: "losses",
    setup() {
      if (data.losses) { setupSmoothing(drawSmoothedRun, () => safely("losses", drawLosses)); drawSmoothedRun(); }
      if (data.metrics) drawQuality();
      if (data.grad_norms) safely("grad-norms", setupHeatmap);
      setupGrids();
      if (data.snapshots) safely("logits", setupSnapshots);
      if ($("profile-select")) safely("profile", setupProfile);
    },
    redraw() {
      if (data.losses) drawSmoothedRun();
      if (data.metrics) drawQuality();
      if (data.grad_norms) safely("grad-norms", drawHeatmap);
      if (data.snapshots) { safely("logits", () => drawLogits(+$("snapshot-slider").value)); safely("logit-means", drawLogitMeans); }
      if ($("profile-select")) safely("profile", () => drawProfile(+$("profile-select").value));
    },
    async check(fails, notes) {
      const img = $("grid-image"), slider = $("grid-slider");
      if (img && data.grids.length >= 2) {
        const before = img.src;
        slider.value = 0;
        slider.dispatchEvent(new Event("input"));
        const ok = await loaded(img);
        if (img.src === before) fails.push("moving the grid slider did not change the image");
        else if (!ok) fails.push("the grid image after moving the slider did not load: " + data.grids[0].file);
        else notes.push("grid slider: " + data.grids[data.grids.length - 1].file + " -> " + data.grids[0].file);
      } else {
        notes.push("grid slider not tried (" + data.grids.length + " grid)");
      }

      if (charts["grad-norms"]) {
        const rect = $("heatmap").getBoundingClientRect(), geo = heat.geometry;
        $("heatmap").dispatchEvent(new MouseEvent("mousemove", {
          clientX: rect.left + geo.labelWidth + geo.cellWidth / 2, clientY: rect.top + geo.rowTop[0] + geo.rowHeight / 2, bubbles: true,
        }));
        const tip = $("heatmap-tip");
        if (tip.hidden || tip.textContent.indexOf(data.grad_norms.tensors[0]) < 0) fails.push("heatmap hover showed no tooltip for " + data.grad_norms.tensors[0]);
        else notes.push("heatmap hover: " + tip.textContent.replace(/\n/g, " | "));
      }

      const labels = $("grid-labels");
      if (labels) {
        labels.checked = true;
        labels.dispatchEvent(new Event("change"));
        const g = data.grids[+$("grid-slider").value], spans = $("grid-overlay").querySelectorAll("span");
        if ($("grid-overlay").hidden || !g.labels || spans.length !== g.labels.length) fails.push("the labels box showed " + spans.length + " labels over " + g.file);
        else notes.push("grid labels: " + spans.length + " over " + g.file + ", the first " + spans[0].textContent);
        labels.checked = false;
        labels.dispatchEvent(new Event("change"));
        if (!$("grid-overlay").hidden) fails.push("unticking the labels box left the labels shown");
      }

      const snapshots = $("snapshot-slider");
      if (snapshots && data.snapshots.length >= 2) {
        const before = $("logits").toDataURL(), from = charts["logits"].iteration, table = $("layer-stats").tBodies[0].textContent;
        snapshots.value = 0;
        snapshots.dispatchEvent(new Event("input"));
        const to = charts["logits"].iteration;
        if (to === from || $("logits").toDataURL() === before) fails.push("moving the checkpoint slider did not redraw the logit histograms");
        else if ($("layer-stats").tBodies[0].textContent === table) fails.push("moving the checkpoint slider did not change the layer table");
        else if (blank($("logits"))) fails.push("the logit histograms are empty after moving the checkpoint slider");
        else notes.push("checkpoint slider: histograms and layer table of iteration " + from + " -> " + to);
      } else if (snapshots) notes.push("checkpoint slider not tried (1 snapshot)");

      const select = $("profile-select");
      if (select && select.options.length >= 2) {
        const before = $("profile").toDataURL(), from = charts["profile"].iteration;
        select.value = 0;
        select.dispatchEvent(new Event("change"));
        const to = charts["profile"].iteration;
        if (to === from || $("profile").toDataURL() === before) fails.push("choosing another checkpoint did not redraw the profile");
        else if ($("profile-table").tBodies[0].rows.length === 0) fails.push("the profile table is empty");
        else notes.push("profile: iteration " + from + " -> " + to + ", " + $("profile-table").tBodies[0].rows.length + " ops");
      }
    },
  };

  // ---- the compare page (compare.html) ------------------------------------------------------------------------

  const DASHED = [5, 4];

  // The runs that have a part of the data, e.g. runsWith(r => r.losses).
  function runsWith(has) { return (data.runs || []).filter(has); }

  function drawCompareLosses(name, column, title) {
    const defs = runsWith(r => r.losses).map(r => ({ label: r.label, x: r.losses.columns.iteration, values: r.losses.columns[column], color: r.color }));
    smoothedChart(name, title, "loss", defs, [], $("log-scale").checked);
  }

  // kind "d_x": D(x) solid, D(G(z)) before D's step dashed, the 0.5 line; "d_real": the critic's d_real and d_fake1.
  function drawCompareScores(name, kind) {
    const [real, fake, realLabel, fakeLabel] = kind === "d_x" ? ["d_x", "d_g_z1", "D(x)", "D(G(z))"] : ["d_real", "d_fake1", "d_real", "d_fake1"];
    const defs = [];
    for (const r of runsWith(r => r.losses && r.losses.scores[0] === kind)) {
      const c = r.losses.columns;
      defs.push({ label: r.label + " " + realLabel, x: c.iteration, values: c[real], color: r.color });
      defs.push({ label: r.label + " " + fakeLabel, x: c.iteration, values: c[fake], color: r.color, dash: DASHED });
    }
    const title = kind === "d_x" ? "D(x) solid, D(G(z)) before D's step dashed" : "the critic's output: real solid, fake dashed";
    smoothedChart(name, title, kind === "d_x" ? "probability" : "critic output", defs, kind === "d_x" ? [{ label: "0.5", value: 0.5 }] : [], false);
  }

  // The gradient penalty of each run that logs one (gp or r1), apart from Loss_D as each run's losses chart has it.
  function drawComparePenalty() {
    const defs = runsWith(r => r.losses && r.losses.penalty).map(r => ({
      label: r.label + " " + r.losses.penalty.toUpperCase(), x: r.losses.columns.iteration, values: r.losses.columns[r.losses.penalty], color: r.color,
    }));
    smoothedChart("penalty", "the gradient penalty (GP or R1), apart from Loss_D", "penalty", defs, [], $("log-scale").checked);
  }

  function drawSmoothedCompare() {
    safely("loss-d", () => drawCompareLosses("loss-d", "loss_d", "Loss_D"));
    safely("loss-g", () => drawCompareLosses("loss-g", "loss_g", "Loss_G"));
    if ($("chart-penalty")) safely("penalty", drawComparePenalty);
    if ($("chart-scores-probability")) safely("scores-probability", () => drawCompareScores("scores-probability", "d_x"));
    if ($("chart-scores-critic")) safely("scores-critic", () => drawCompareScores("scores-critic", "d_real"));
  }

  function drawCompareQuality() {
    const withMetrics = runsWith(r => r.metrics);
    function chart(name, title, key, yLabel, log, scale) {
      scale = scale || 1;
      const aligned = align(withMetrics.map(r => ({ xs: r.metrics.columns.iteration, series: [(r.metrics.columns[key] || []).map(v => finite(v) ? v * scale : null)] })));
      const series = withMetrics.map((r, k) => ({ label: r.label, values: aligned.series[k], color: r.color, points: true }));
      for (const r of withMetrics) {
        const real = (r.metrics.real || {})[key];
        if (finite(real)) series.push({ label: r.label + " real held-out", values: aligned.x.map(() => real * scale), color: faint(r.color, 0.6), width: 1, dash: [6, 4] });
      }
      lineChart(name, { title: title, x: aligned.x, yLabel: yLabel, series: series, height: 230, scale: yScale(series.map(s => s.values), log) });
    }
    safely("quality-score", () => chart("quality-score", "classifier score (higher is better; 10 at most)", "classifier_score", "score", false));
    safely("quality-fd", () => chart("quality-fd", "Fréchet distance (lower is better; log scale)", "frechet_distance", "FD", true));
    if ($("chart-quality-kid")) safely("quality-kid", () => chart("quality-kid", "KID × 1000 (lower is better)", "kid", "KID × 1000", false, 1000));
    safely("quality-precision", () => chart("quality-precision", "precision (higher is better)", "precision", "share", false));
    safely("quality-recall", () => chart("quality-recall", "recall (higher is better)", "recall", "share", false));
  }

  // As CompareReport.cs writes them into the page first.
  function compareCaption(g, iteration) { return (g.iteration === iteration ? "" : "nearest saved step: ") + gridCaption(g); }
  function comparePosition(step, i) {
    return "iteration " + step.iteration.toLocaleString("en-US") + ", " + (step.shared ? "a grid of every run" : "not every run's: see the captions") +
      " (" + (i + 1) + " of " + data.steps.length + ")";
  }

  function setupCompareGrids() {
    if (!data.steps.length) return;
    stepper(data.steps.length, i => {
      const step = data.steps[i];
      data.runs.forEach((r, k) => {
        if (step.grids[k] === null) return;
        const g = r.grids[step.grids[k]];
        showImage($("grid-image-" + k), g.src);
        $("grid-caption-" + k).textContent = compareCaption(g, step.iteration);
      });
      $("grid-position").textContent = comparePosition(step, i);
    })(+$("grid-slider").value);
  }

  const comparePage = {
    lossChart: "loss-d",
    setup() {
      const only = $("only-differing");
      only.addEventListener("change", () => $("table-compare").classList.toggle("only-differing", only.checked));
      if (runsWith(r => r.losses).length) { setupSmoothing(drawSmoothedCompare, drawSmoothedCompare); drawSmoothedCompare(); }
      if (runsWith(r => r.metrics).length) drawCompareQuality();
      setupCompareGrids();
    },
    redraw() {
      if (runsWith(r => r.losses).length) drawSmoothedCompare();
      if (runsWith(r => r.metrics).length) drawCompareQuality();
    },
    async check(fails, notes) {
      const only = $("only-differing"), rows = Array.from(document.querySelectorAll("#table-compare tbody tr:not(.group)"));
      const differing = rows.filter(r => r.classList.contains("differs")).length;
      only.checked = true;
      only.dispatchEvent(new Event("change"));
      const shown = rows.filter(r => getComputedStyle(r).display !== "none").length;
      only.checked = false;
      only.dispatchEvent(new Event("change"));
      const all = rows.filter(r => getComputedStyle(r).display !== "none").length;
      if (shown !== differing || all !== rows.length) fails.push("only the rows that differ: " + shown + " rows shown, " + differing + " differ; " + all + " of " + rows.length + " after");
      else notes.push("only the rows that differ: " + shown + " of " + rows.length + " rows");

      if (data.steps.length >= 2) {
        const slider = $("grid-slider"), from = +slider.value, to = from === 0 ? data.steps.length - 1 : 0;
        const images = data.runs.map((r, k) => $("grid-image-" + k)).filter(img => img);
        const before = images.map(img => img.src);
        slider.value = to;
        slider.dispatchEvent(new Event("input"));
        const ok = await Promise.all(images.map(loaded));
        if (images.every((img, k) => img.src === before[k])) fails.push("moving the grid slider changed no run's image");
        else if (ok.some(x => !x)) fails.push("a grid image after moving the slider did not load");
        else notes.push("grid slider: iteration " + data.steps[from].iteration + " -> " + data.steps[to].iteration + ": " +
          images.map(img => $("grid-caption-" + img.id.slice("grid-image-".length)).textContent).join("; "));
      } else {
        notes.push("grid slider not tried (" + data.steps.length + " step)");
      }
    },
  };

  // ---- the page ------------------------------------------------------------------------------------------------

  const page = Array.isArray(data.runs) ? comparePage : runPage;

  // The smoothing slider redraws the smoothed charts, the log box the losses'.
  function setupSmoothing(redraw, redrawLosses) {
    // A browser may restore the slider's value on reload: show the value in force.
    $("smoothing-value").textContent = (+$("smoothing").value).toFixed(3);
    $("smoothing").addEventListener("input", () => {
      $("smoothing-value").textContent = (+$("smoothing").value).toFixed(3);
      redraw();
    });
    $("log-scale").addEventListener("change", redrawLosses);
  }

  try {
    page.setup();
  } catch (e) {
    problems.push(e.message);
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => page.redraw(), 150);
  });

  // ---- self-test (?selftest=1) ---------------------------------------------------------------------------------

  function blank(canvas) {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return false;
    return true;
  }

  // Resolves when the image has loaded or failed (or after 5 s), with whether it holds a picture.
  function loaded(img) {
    return new Promise(resolve => {
      if (img.complete) return resolve(img.naturalWidth > 0);
      const done = () => resolve(img.naturalWidth > 0);
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", done, { once: true });
      setTimeout(done, 5000);
    });
  }

  async function selfTest() {
    const notes = [], fails = problems.map(p => "drawing failed: " + p);
    const drawn = [];
    for (const el of document.querySelectorAll("[data-chart]")) {
      const name = el.dataset.chart, canvas = el.querySelector("canvas");
      if (!charts[name]) fails.push("chart " + name + " was not drawn");
      else if (!canvas || canvas.width === 0 || canvas.height === 0 || blank(canvas)) fails.push("chart " + name + " has an empty canvas");
      else if (charts[name].points === 0) fails.push("chart " + name + " has no points");
      else drawn.push(name + " (" + charts[name].points + " points)");
    }
    notes.push(drawn.length + " charts drew: " + drawn.join(", "));

    if (charts[page.lossChart]) {
      const smoothing = $("smoothing"), log = $("log-scale"), failed = problems.length;
      smoothing.value = 0.5;
      smoothing.dispatchEvent(new Event("input"));
      log.checked = true;
      log.dispatchEvent(new Event("change"));
      await new Promise(resolve => setTimeout(resolve, 0));  // uPlot draws in a microtask
      const canvas = $("chart-" + page.lossChart).querySelector("canvas");
      if (problems.length > failed || !canvas || blank(canvas) || $("smoothing-value").textContent !== "0.500")
        fails.push("the losses chart did not redraw with smoothing 0.5 and a log scale: " + problems.slice(failed).join("; "));
      else notes.push("controls: smoothing 0.500 and log scale redrew the losses");
    }
    for (const img of Array.from(document.images)) if (!(await loaded(img))) fails.push("image did not load: " + img.getAttribute("src").slice(0, 80));
    notes.push(document.images.length + " images loaded");

    await page.check(fails, notes);

    for (const e of window.reportErrors || []) fails.push("script error: " + e);
    const pre = document.createElement("pre");
    pre.id = "selftest";
    pre.textContent = (fails.length ? "FAIL\n" + fails.join("\n") + "\n" : "ok\n") + notes.join("\n");
    document.body.appendChild(pre);
  }

  if (new URLSearchParams(location.search).get("selftest") === "1") {
    window.reportSelfTestStarted = true;
    setTimeout(() => { selfTest(); }, 50);
  }
})();

// report.js: draws a dcgan run report from the page's inline JSON (#report-data, written by
// Dcgan.Nn/Reporting/ReportData.cs) and, with ?selftest=1 in the URL, checks itself and writes the result into
// <pre id="selftest"> (the browser test reads it from the dumped DOM).
//
//   losses, scores    uPlot line charts over iterations: the raw values faint, TensorBoard's debiased exponential
//                     moving average bold (weight on the slider); long series are thinned for drawing only
//   quality-*         metrics.csv per evaluation, the real held-out values as dashed reference lines
//   samples           a slider and a play button over the fixed-noise grids
//   grad-norms        a canvas heatmap: tensor × bucket of iterations, log colour scale, tooltip on hover
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

  // Raw values faint and smoothed bold for each of defs ({ label, values, color }), plus dashed constant lines.
  function smoothedChart(name, title, yLabel, defs, lines, log) {
    const x = data.losses.columns.iteration;
    const el = $("chart-" + name);
    const indices = drawIndices(x.length, defs.map(d => d.values), Math.max(200, el.clientWidth || 800));
    const xs = indices.map(i => x[i]);
    const weight = smoothingWeight();
    const series = [];
    for (const d of defs) series.push({ label: d.label + " raw", values: pick(d.values, indices), color: faint(d.color, 0.28), width: 1 });
    for (const d of defs) series.push({ label: d.label, values: pick(smooth(d.values, weight), indices), color: d.color, width: 2 });
    for (const line of lines) series.push({ label: line.label, values: xs.map(() => line.value), color: COLORS.reference, width: 1, dash: [6, 4] });
    lineChart(name, { title: title, x: xs, yLabel: yLabel, series: series, scale: yScale(defs.map(d => d.values), log) });
  }

  function drawLosses() {
    const c = data.losses.columns;
    const defs = [
      { label: "Loss_D", values: c.loss_d, color: COLORS.d },
      { label: "Loss_G", values: c.loss_g, color: COLORS.g },
    ];
    if (data.losses.penalty) defs.push({ label: data.losses.penalty.toUpperCase(), values: c[data.losses.penalty], color: COLORS.penalty });
    smoothedChart("losses", "", "loss", defs, [], $("log-scale").checked);
  }

  function drawScores() {
    const c = data.losses.columns, names = data.losses.scores;
    let defs, lines = [];
    if (names[0] === "d_x") {
      defs = [
        { label: "D(x)", values: c.d_x, color: COLORS.real },
        { label: "D(G(z)) before D's step", values: c.d_g_z1, color: COLORS.fake1 },
        { label: "D(G(z)) after", values: c.d_g_z2, color: COLORS.fake2 },
      ];
      lines = [{ label: "0.5", value: 0.5 }];
    } else {
      defs = [
        { label: "d_real", values: c.d_real, color: COLORS.real },
        { label: "d_fake1", values: c.d_fake1, color: COLORS.fake1 },
        { label: "d_fake2", values: c.d_fake2, color: COLORS.fake2 },
      ];
      if (data.wasserstein) {
        const w = c.d_real.map((r, i) => finite(r) && finite(c.d_fake1[i]) ? r - c.d_fake1[i] : null);
        defs.push({ label: "W = d_real − d_fake1", values: w, color: COLORS.w });
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

  function setupGrids() {
    const grids = data.grids, img = $("grid-image"), slider = $("grid-slider"), play = $("grid-play");
    if (!img || grids.length === 0) return;
    let timer = null;
    function show(i) {
      const g = grids[i];
      if (img.getAttribute("src") !== g.src) img.src = g.src;
      $("grid-caption").textContent = gridCaption(g);
      $("grid-position").textContent = (i + 1) + " of " + grids.length;
      slider.value = i;
    }
    function stop() { clearInterval(timer); timer = null; play.textContent = "play"; }
    slider.addEventListener("input", () => { stop(); show(+slider.value); });
    play.addEventListener("click", () => {
      if (timer) return stop();
      if (+slider.value >= grids.length - 1) show(0);
      play.textContent = "pause";
      timer = setInterval(() => {
        const next = +slider.value + 1;
        if (next >= grids.length) return stop();
        show(next);
      }, 350);
    });
    show(grids.length - 1);
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

    const wrap = $("chart-grad-norms"), canvas = $("heatmap"), dpr = window.devicePixelRatio || 1;
    const labelWidth = 170, rowHeight = 14, groupGap = 8, axisHeight = 26;
    const columns = g.first.length, width = Math.max(400, wrap.clientWidth || 800);
    const cellWidth = (width - labelWidth - 10) / columns;
    const rowTop = [];
    let y = 4;
    g.tensors.forEach((t, r) => {
      if (r > 0 && t.slice(0, 5) !== g.tensors[r - 1].slice(0, 5)) y += groupGap;  // netG. | netD.
      rowTop.push(y);
      y += rowHeight;
    });
    const height = y + axisHeight;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
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

  // ---- the page ------------------------------------------------------------------------------------------------

  function drawAll() {
    if (data.losses) {
      safely("losses", drawLosses);
      if (data.losses.scores.length) safely("scores", drawScores);
    }
    if (data.metrics) drawQuality();
    if (data.grad_norms) safely("grad-norms", setupHeatmap);
  }

  try {
    if (data.losses) {
      // A browser may restore the slider's value on reload: show the value in force.
      $("smoothing-value").textContent = (+$("smoothing").value).toFixed(3);
      $("smoothing").addEventListener("input", () => {
        $("smoothing-value").textContent = (+$("smoothing").value).toFixed(3);
        safely("losses", drawLosses);
        if (data.losses.scores.length) safely("scores", drawScores);
      });
      $("log-scale").addEventListener("change", () => safely("losses", drawLosses));
    }
    drawAll();
    setupGrids();
  } catch (e) {
    problems.push(e.message);
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (data.losses) { safely("losses", drawLosses); if (data.losses.scores.length) safely("scores", drawScores); }
      if (data.metrics) drawQuality();
      if (data.grad_norms) safely("grad-norms", drawHeatmap);
    }, 150);
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

    if (charts.losses) {
      const smoothing = $("smoothing"), log = $("log-scale"), failed = problems.length;
      smoothing.value = 0.5;
      smoothing.dispatchEvent(new Event("input"));
      log.checked = true;
      log.dispatchEvent(new Event("change"));
      await new Promise(resolve => setTimeout(resolve, 0));  // uPlot draws in a microtask
      const canvas = $("chart-losses").querySelector("canvas");
      if (problems.length > failed || !canvas || blank(canvas) || $("smoothing-value").textContent !== "0.500")
        fails.push("the losses chart did not redraw with smoothing 0.5 and a log scale: " + problems.slice(failed).join("; "));
      else notes.push("controls: smoothing 0.500 and log scale redrew the losses");
    }
    for (const img of Array.from(document.images)) if (!(await loaded(img))) fails.push("image did not load: " + img.getAttribute("src").slice(0, 80));
    notes.push(document.images.length + " images loaded");

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

/* Draws the dashboards' charts with the vendored Chart.js. Each <canvas data-chart="ID">
   names a <script type="application/json" id="ID"> holding
   {labels, datasets: [{label, data, color?, type?}], locale, stacked?, horizontal?, max?,
    integer?, height?, notes?}
   rendered by the server from the read models. No inline script: the pages' CSP is 'self'. */
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2"];
  if (typeof Chart !== "undefined") {
    // The page's own fonts (CJK included), not Chart.js's Helvetica.
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  }

  /* kind "timeline": {labels, datasets: [{label, data: [[start, due], ...], colors?}],
     min, max, ticks: [label of month 0..max], today?, today_label?, notes?, locale, height?}
     Floating bars on a linear axis of plan months (no time scale: no date adapter is
     vendored); today as a vertical line. */
  function timeline(canvas, spec) {
    var ticks = spec.ticks || [];
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.colors || d.color || palette[i % palette.length];
      return {
        type: "bar",
        label: d.label,
        data: d.data,
        backgroundColor: color,
        borderColor: color,
        borderWidth: 0,
        borderSkipped: false,
        order: 1
      };
    });
    if (spec.today !== null && spec.today !== undefined) {
      var n = spec.labels.length;
      datasets.push({
        type: "line",
        label: spec.today_label || "",
        data: [{ x: spec.today, y: -0.5 }, { x: spec.today, y: n - 0.5 }],
        yAxisID: "now",
        borderColor: "#111827",
        borderDash: [4, 4],
        borderWidth: 2,
        pointRadius: 0,
        order: 0
      });
    }
    if (spec.height) { canvas.parentNode.style.height = spec.height + "px"; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: spec.locale || document.documentElement.lang || undefined,
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            type: "linear", min: spec.min || 0, max: spec.max,
            ticks: {
              stepSize: 1, autoSkip: true, maxRotation: 60, minRotation: 0,
              callback: function (value) {
                return Number.isInteger(value) && ticks[value] !== undefined ? ticks[value] : "";
              }
            }
          },
          y: { ticks: { autoSkip: false } },
          now: { type: "linear", display: false, min: -0.5, max: spec.labels.length - 0.5,
                 reverse: true }
        },
        plugins: {
          // The bars' colours are their statuses (the table says them): only today's line.
          legend: {
            position: "bottom",
            labels: { filter: function (entry) { return entry.datasetIndex > 0; } }
          },
          tooltip: {
            callbacks: {
              label: function (item) {
                var v = item.raw;
                if (Array.isArray(v)) {
                  return (ticks[v[0]] || v[0]) + " – " + (ticks[v[1]] || v[1]);
                }
                return item.dataset.label;
              },
              afterLabel: function (item) {
                return spec.notes && Array.isArray(item.raw) ? spec.notes[item.dataIndex] : "";
              }
            }
          }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  /* kind "radar" (360° profiles): {labels: [competency], datasets: [{label, data, color?,
     dashed?}], max (the scale's top), locale}. A hidden group's figure is null (a gap in
     its polygon; the figures table says why). */
  function radar(canvas, spec) {
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.color || palette[i % palette.length];
      return {
        label: d.label,
        data: d.data,
        backgroundColor: d.dashed ? "transparent" : color + "22",
        borderColor: color,
        borderWidth: 2,
        borderDash: d.dashed ? [6, 4] : [],
        pointRadius: d.dashed ? 0 : 3,
        pointBackgroundColor: color,
        spanGaps: false
      };
    });
    if (spec.height) { canvas.parentNode.style.height = spec.height + "px"; }
    new Chart(canvas, {
      type: "radar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: spec.locale || document.documentElement.lang || undefined,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          r: { min: 0, max: spec.max || 5, beginAtZero: true, ticks: { stepSize: 1 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.dataset.drawn = "true";
  }

  /* kind "line": {labels, datasets: [{label, data, color?, dashed?, shown?}], locale,
     height?, gaps?, axis?: {min, max, ticks: [value], labels: [text]}}
     One line per series over the labels (months); a dashed dataset is a target line
     (flat, no points, out of the legend). Gaps (null) are bridged, or left open with
     `gaps` (amounts and counts: a month without any is not half of its neighbours). The server formats the value axis's
     ticks (`axis`) and each figure (`shown`) in the page's language and unit (money,
     percent, count), so the chart says them as the page does. */
  function valueAxis(axis) {
    if (!axis) { return {}; }
    return {
      min: axis.min,
      max: axis.max,
      afterBuildTicks: function (scale) {
        scale.ticks = axis.ticks.map(function (v) { return { value: v }; });
      },
      ticks: {
        autoSkip: false,
        callback: function (value) {
          var i = axis.ticks.indexOf(value);
          return i >= 0 ? axis.labels[i] : "";
        }
      }
    };
  }

  function line(canvas, spec) {
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.color || palette[i % palette.length];
      return {
        type: "line",
        label: d.label,
        data: d.data,
        borderColor: color,
        backgroundColor: color,
        borderWidth: d.dashed ? 1.5 : 2,
        borderDash: d.dashed ? [6, 4] : [],
        pointRadius: d.dashed ? 0 : 3,
        spanGaps: !spec.gaps,
        tension: 0.2
      };
    });
    if (spec.height) { canvas.parentNode.style.height = spec.height + "px"; }
    new Chart(canvas, {
      type: "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: spec.locale || document.documentElement.lang || undefined,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        // Months flat, as many as fit (a phone shows every second or third).
        scales: { x: { ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 8 } },
                  y: valueAxis(spec.axis) },
        plugins: {
          // A target line shares its metric's colour; the caption says what dashes mean
          // and the figures table and tooltip give its value: the legend names metrics.
          legend: {
            position: "bottom",
            labels: { filter: function (entry) { return !spec.datasets[entry.datasetIndex].dashed; } }
          },
          tooltip: {
            callbacks: {
              label: function (item) {
                var shown = spec.datasets[item.datasetIndex].shown;
                var text = shown ? shown[item.dataIndex] : item.formattedValue;
                return item.dataset.label + ": " + text;
              }
            }
          }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  /* kind "histogram": bars (bins computed by the server) touching each other; `marker`
     {index, label} draws a triangle over one bin (e.g. the person's own score). */
  function histogram(spec, datasets) {
    datasets.forEach(function (d) { d.categoryPercentage = 1; d.barPercentage = 1; });
    if (spec.marker) {
      var top = 0;
      spec.datasets.forEach(function (d) {
        d.data.forEach(function (v) { if (v > top) { top = v; } });
      });
      datasets.push({
        type: "line",
        label: spec.marker.label,
        data: spec.labels.map(function (_, i) { return i === spec.marker.index ? top : null; }),
        showLine: false,
        pointStyle: "triangle",
        rotation: 180,
        pointRadius: 9,
        borderColor: "#111827",
        backgroundColor: "#111827",
        order: 0
      });
    }
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    if (spec.kind === "timeline") { timeline(canvas, spec); return; }
    if (spec.kind === "radar") { radar(canvas, spec); return; }
    if (spec.kind === "line") { line(canvas, spec); return; }
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.color || palette[i % palette.length];
      var line = d.type === "line";
      return {
        type: d.type || "bar",
        label: d.label,
        data: d.data,
        backgroundColor: line ? color : color + "cc",
        borderColor: color,
        borderWidth: line ? 2 : 0,
        // A line over bars is a level (no points); a trend of its own (`points`) marks
        // each figure, or a week alone (its neighbours without figures) draws nothing.
        pointRadius: line ? (d.points ? 3 : 0) : undefined,
        order: line ? 0 : 1
      };
    });
    if (spec.kind === "histogram") { histogram(spec, datasets); }
    var value = spec.horizontal ? "x" : "y";
    var category = spec.horizontal ? "y" : "x";
    var scales = {};
    scales[value] = { beginAtZero: true, stacked: !!spec.stacked, ticks: {} };
    scales[category] = { stacked: !!spec.stacked, ticks: { autoSkip: false } };
    if (spec.max !== undefined) { scales[value].max = spec.max; }
    if (spec.integer) { scales[value].ticks.precision = 0; }
    if (spec.height) { canvas.parentNode.style.height = spec.height + "px"; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: spec.locale || document.documentElement.lang || undefined,
        indexAxis: category,
        layout: { padding: { left: 6 } },
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              afterLabel: function (item) {
                return spec.notes ? spec.notes[item.dataIndex] : "";
              }
            }
          }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();

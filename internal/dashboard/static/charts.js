// Threadesk dashboard: draws the statistics page's charts with uPlot (vendor/uplot). The
// numbers come from the page itself, a <script type="application/json"> element the server
// fills, so no inline script is needed (the Content-Security-Policy allows none); the same
// numbers are in the tables beside the charts for screen readers and for browsers without
// JavaScript. The series' names and the units come the same way, in the desk's language.
// The colours are the page's own (app.css), light or dark: when the reader's system switches
// between them, the charts are drawn again.
(function () {
  "use strict";
  var src = document.getElementById("stats-chart-data");
  if (!src || !window.uPlot) { return; }
  var data;
  try { data = JSON.parse(src.textContent); } catch (e) { return; }
  if (!data || !data.t) { return; }
  var words = {};
  try { words = JSON.parse(document.getElementById("stats-chart-text").textContent) || {}; } catch (e) { words = {}; }
  function word(name, fallback) { return words[name] || fallback; }

  // span writes seconds the way the page's tables do: 45s, 12m, 5h, 3d (in the desk's
  // language: 45 с, 12 мин…).
  function unit(name, n, fallback) { return word(name, "{n}" + fallback).replace("{n}", n); }
  function span(s) {
    if (s == null) { return "–"; }
    if (s < 60) { return unit("s", Math.round(s), "s"); }
    if (s < 3600) { return unit("m", Math.floor(s / 60), "m"); }
    if (s < 48 * 3600) { return unit("h", Math.floor(s / 3600), "h"); }
    return unit("d", Math.floor(s / 86400), "d");
  }

  // The x scale of the charts over time reaches half a bucket beyond the first and last, so
  // that their bars are whole.
  var half = (data.unit === "hour" ? 3600 : 86400) / 2;
  var xRange = function (u, min, max) { return [min - half, max + half]; };

  var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  var count = function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? v : ""; }); };

  // charts makes each chart's options and data with the page's colours now.
  function charts() {
    var css = getComputedStyle(document.documentElement);
    function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
    var fg = color("--fg", "#1d1d1f"), line = color("--grid", color("--line", "#dcdce2"));
    var accent = color("--accent", "#3557d4"), ok = color("--ok", "#1e7d3b"), warn = color("--warn", "#9a6400");
    function axis(extra) {
      var a = { stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
      for (var k in extra) { a[k] = extra[k]; }
      return a;
    }
    return {
      volume: function () {
        return {
          opts: {
            series: [{}, { label: word("opened", "Opened"), stroke: accent, fill: accent + "33", paths: bars, points: { show: false } },
              { label: word("resolved", "Resolved"), stroke: ok, width: 2 }],
            axes: [axis({}), axis({ values: count })],
            scales: { x: { range: xRange }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } }
          },
          data: [data.t, data.opened, data.resolved]
        };
      },
      times: function () {
        return {
          opts: {
            series: [{}, { label: word("firstResponse", "First response"), stroke: accent, width: 2, scale: "fr", spanGaps: true, value: function (u, v) { return span(v); } },
              { label: word("resolution", "Resolution"), stroke: warn, width: 2, scale: "res", spanGaps: true, value: function (u, v) { return span(v); } }],
            axes: [axis({}), axis({ scale: "fr", values: function (u, vals) { return vals.map(span); } }),
              axis({ scale: "res", side: 1, grid: { show: false }, values: function (u, vals) { return vals.map(span); } })],
            scales: { x: { range: xRange }, fr: { range: function (u, min, max) { return [0, Math.max(60, max || 0)]; } },
              res: { range: function (u, min, max) { return [0, Math.max(60, max || 0)]; } } }
          },
          data: [data.t, data.firstResponse, data.resolution]
        };
      },
      // The satisfaction's trend: the average rating of each bucket (a line, 0 to 5) over
      // how many ratings it averages (bars, on the right-hand scale).
      satisfaction: function () {
        return {
          opts: {
            series: [{}, { label: word("ratings", "Ratings"), stroke: line, fill: accent + "22", paths: bars, points: { show: false }, scale: "n" },
              { label: word("average", "Average rating"), stroke: ok, width: 2, scale: "avg", spanGaps: true, points: { show: true, size: 6 },
                value: function (u, v) { return v == null ? "–" : v.toFixed(1); } }],
            axes: [axis({}), axis({ scale: "avg", values: function (u, vals) { return vals.map(function (v) { return v.toFixed(1); }); } }),
              axis({ scale: "n", side: 1, grid: { show: false }, values: count })],
            scales: { x: { range: xRange }, avg: { range: [0, 5] }, n: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } }
          },
          data: [data.t, data.ratings, data.satisfaction]
        };
      },
      // The SLA's attainment over time: the share of the targets met among the clocks that
      // ended in each bucket, with met/ended in the legend.
      sla: function () {
        return {
          opts: {
            series: [{}, { label: word("slaShare", "Met %"), stroke: warn, width: 2, spanGaps: true, points: { show: true, size: 6 },
              value: function (u, v, si, i) {
                if (v == null || i == null) { return "–"; }
                return v + "% (" + data.slaMet[i] + "/" + (data.slaMet[i] + data.slaBreached[i]) + ")";
              } }],
            axes: [axis({}), axis({ values: function (u, vals) { return vals.map(function (v) { return v + "%"; }); } })],
            scales: { x: { range: xRange }, y: { range: [0, 100] } }
          },
          data: [data.t, data.slaShare]
        };
      },
      hours: function () {
        var hours = [];
        for (var h = 0; h < 24; h++) { hours.push(h); }
        return {
          opts: {
            scales: { x: { time: false, range: [-0.5, 23.5] }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
            series: [{ label: word("hour", "Hour"), value: function (u, v) { return v == null ? "–" : (v < 10 ? "0" : "") + v + ":00"; } },
              { label: word("opened", "Opened"), stroke: accent, fill: accent + "55", paths: bars, points: { show: false } }],
            axes: [axis({ values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? v : ""; }); } }),
              axis({ values: count })]
          },
          data: [hours, data.byHour]
        };
      }
    };
  }

  var drawn = [];
  function draw() {
    drawn.forEach(function (d) { d.plot.destroy(); });
    drawn = [];
    var makers = charts();
    var boxes = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i], make = makers[box.getAttribute("data-chart")];
      if (!make) { continue; }
      var c = make();
      c.opts.width = Math.max(box.clientWidth, 200);
      c.opts.height = 220;
      var plot = new uPlot(c.opts, c.data, box);
      // How many points the chart drew (its buckets), for whoever checks the page.
      box.setAttribute("data-points", String(plot.data[0].length));
      box.setAttribute("data-drawn", "true");
      drawn.push({ box: box, plot: plot });
    }
  }
  draw();

  // The charts follow the width of their boxes (a phone turned, a window resized).
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      drawn.forEach(function (d) { d.plot.setSize({ width: Math.max(d.box.clientWidth, 200), height: 220 }); });
    }, 150);
  });
  // And the page's colours: light or dark, as the reader's system switches.
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    var redraw = function () { draw(); };
    if (scheme.addEventListener) { scheme.addEventListener("change", redraw); } else if (scheme.addListener) { scheme.addListener(redraw); }
  }
})();

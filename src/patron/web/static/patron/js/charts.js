// The charts of the value dashboards, drawn with the vendored Chart.js 4.
//
// Each <canvas data-chart="ID"> is drawn from the JSON of <script type="application/json"
// id="ID"> (Django's json_script): the content-security policy forbids inline scripts.
// The server sends the labels already translated; numbers are formatted here in the
// page's language (Latin digits, as the tables next to the charts). In right-to-left
// pages the category axis runs from the right and value axes stand on the right.
// A bar with a link (tier, class, segment, stage, reason) opens that list when clicked;
// the table under each chart has the same links for the keyboard.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  var root = document.documentElement;
  var rtl = root.dir === "rtl";
  var locale = (root.lang || "en") + "-u-nu-latn";
  var palette = ["#3446c8", "#2e9e6b", "#e0a800", "#c8414b", "#7a5cc8", "#17a2b8"];
  var muted = "#9aa3c2";
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var body = window.getComputedStyle(document.body);
  Chart.defaults.font.family = body.fontFamily;
  Chart.defaults.color = "#4a5275";
  Chart.defaults.animation = reducedMotion ? false : { duration: 300 };
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.locale = locale;

  function numberFormat(kind, currency, compact) {
    var options = {};
    if (kind === "percent") {
      options = { style: "percent", maximumFractionDigits: compact ? 0 : 1 };
    } else if (kind === "money" && currency) {
      options = { style: "currency", currency: currency, maximumFractionDigits: compact ? 0 : 2 };
    } else {
      options = { maximumFractionDigits: compact ? 1 : 2 };
    }
    if (compact && kind !== "percent") options.notation = "compact";
    try {
      return new Intl.NumberFormat(locale, options);
    } catch (error) {
      return new Intl.NumberFormat(undefined, options);
    }
  }

  function formatter(kind, currency, compact) {
    var format = numberFormat(kind, currency, compact);
    return function (value) {
      return value === null || value === undefined ? "—" : format.format(value);
    };
  }

  function legend(show) {
    return {
      display: show,
      position: "bottom",
      rtl: rtl,
      textDirection: rtl ? "rtl" : "ltr",
      labels: {
        boxWidth: 12,
        boxHeight: 12,
        sort: function (a, b) { return a.datasetIndex - b.datasetIndex; },
      },
    };
  }

  // A long category label in lines of about `width` characters (twice that on a wide
  // chart), so that it wraps instead of being cut or slanted on a phone.
  function wrap(label, width) {
    if (typeof label !== "string" || label.length <= width) return label;
    var lines = [];
    var line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  function wrappedTicks(width) {
    return function (value) {
      var label = this.getLabelForValue(value);
      return wrap(label, this.chart.width < 480 ? width : width * 2);
    };
  }

  function tooltip(callbacks) {
    return { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", callbacks: callbacks };
  }

  // A chart whose bars link somewhere: a click opens the link, the pointer shows it.
  function linking(links) {
    if (!links || !links.length) return {};
    return {
      onClick: function (event, elements) {
        if (!elements.length) return;
        var link = links[elements[0].index];
        if (link) window.location.assign(link);
      },
      onHover: function (event, elements) {
        var target = event.native && event.native.target;
        if (!target) return;
        var link = elements.length && links[elements[0].index];
        target.style.cursor = link ? "pointer" : "default";
      },
    };
  }

  function merge(target, source) {
    Object.keys(source).forEach(function (key) { target[key] = source[key]; });
    return target;
  }

  // Bars per category; a dataset may be a line on a second value axis (axis "y2").
  function bars(spec) {
    var horizontal = !!spec.horizontal;
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var first = spec.datasets[0] || { format: "count" };
    var second = null;
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = palette[index % palette.length];
      var line = dataset.type === "line";
      var out = {
        type: line ? "line" : "bar",
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        format: dataset.format,
      };
      if (line) {
        out.tension = 0.3;
        out.pointRadius = 3;
        out.order = -1;
      } else {
        out.borderRadius = 3;
        out.maxBarThickness = 42;
      }
      if (dataset.axis === "y2") {
        out[valueAxis + "AxisID"] = valueAxis + "2";
        second = dataset;
      }
      return out;
    });
    var scales = {};
    scales[categoryAxis] = {
      type: "category",
      position: horizontal ? (rtl ? "right" : "left") : "bottom",
      reverse: !horizontal && rtl,
      grid: { display: false },
      title: { display: !!spec.category_title, text: spec.category_title },
      ticks: { autoSkip: !horizontal, callback: wrappedTicks(horizontal ? 16 : 11) },
    };
    scales[valueAxis] = {
      type: "linear",
      beginAtZero: true,
      position: horizontal ? "bottom" : (rtl ? "right" : "left"),
      reverse: horizontal && rtl,
      title: { display: !!spec.value_title, text: spec.value_title },
      ticks: { callback: formatter(first.format, spec.currency, true), maxTicksLimit: 6 },
    };
    if (second) {
      scales[valueAxis + "2"] = {
        axis: valueAxis,
        type: "linear",
        beginAtZero: true,
        position: horizontal ? "top" : (rtl ? "left" : "right"),
        reverse: horizontal && rtl,
        grid: { drawOnChartArea: false },
        ticks: { callback: formatter(second.format, spec.currency, true), maxTicksLimit: 6 },
      };
    }
    var formats = {};
    return {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: merge({
        indexAxis: categoryAxis,
        // Slanted labels lean towards the start: in right-to-left pages the last one
        // (on the left) needs the room that Chart.js keeps on the right.
        layout: { padding: !horizontal && rtl ? { left: 24 } : 0 },
        scales: scales,
        plugins: {
          legend: legend(datasets.length > 1),
          tooltip: tooltip({
            label: function (item) {
              var kind = item.dataset.format || "count";
              formats[kind] = formats[kind] || formatter(kind, spec.currency, false);
              return item.dataset.label + ": " + formats[kind](item.raw);
            },
          }),
        },
      }, linking(spec.links)),
    };
  }

  // The Pareto curve: share of revenue against share of customers, best first, with the
  // line of equal shares and the headline points (top 10 %, top 20 %).
  function pareto(spec) {
    var percent = formatter("percent", "", true);
    var exact = formatter("percent", "", false);
    var point = function (pair) { return { x: pair[0], y: pair[1] }; };
    return {
      type: "scatter",
      data: {
        datasets: [
          {
            label: spec.series,
            data: spec.points.map(point),
            showLine: true,
            fill: true,
            borderColor: palette[0],
            backgroundColor: "rgba(52, 70, 200, .12)",
            pointRadius: 0,
            pointHitRadius: 6,
            borderWidth: 2,
          },
          {
            label: spec.equality,
            data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
            showLine: true,
            borderColor: muted,
            borderDash: [6, 4],
            borderWidth: 1,
            pointRadius: 0,
            pointHitRadius: 0,
          },
          {
            label: spec.series,
            data: spec.marks.map(point),
            borderColor: palette[0],
            backgroundColor: "#fff",
            borderWidth: 2,
            pointRadius: 5,
            pointHoverRadius: 6,
          },
        ],
      },
      options: {
        scales: {
          x: {
            type: "linear",
            min: 0,
            max: 1,
            reverse: rtl,
            title: { display: true, text: spec.x_title },
            ticks: { callback: percent, stepSize: 0.2 },
          },
          y: {
            type: "linear",
            min: 0,
            max: 1,
            position: rtl ? "right" : "left",
            title: { display: true, text: spec.y_title },
            ticks: { callback: percent, stepSize: 0.2 },
          },
        },
        plugins: {
          legend: merge(legend(true), {
            labels: {
              boxWidth: 12,
              boxHeight: 12,
              filter: function (item) { return item.datasetIndex < 2; },
            },
          }),
          tooltip: tooltip({
            title: function () { return ""; },
            label: function (item) {
              if (item.datasetIndex === 1) return spec.equality;
              return exact(item.raw.x) + " → " + exact(item.raw.y);
            },
          }),
        },
      },
    };
  }

  // The dashboards' tabs scroll sideways on a phone: keep the current one in sight.
  var current = document.querySelector(".dashboard-nav .active");
  if (current && current.parentElement && current.parentElement.parentElement) {
    var strip = current.parentElement.parentElement;
    var offset = current.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
    strip.scrollLeft = rtl ? offset - strip.scrollWidth + strip.clientWidth : offset;
  }

  var kinds = { bars: bars, pareto: pareto };

  // A chart's box is tall enough for its bars: horizontal bars get a band each.
  function size(box, spec) {
    var minimum = box.hasAttribute("data-tall") ? 360 : 0;
    if (spec.kind === "bars" && spec.horizontal) {
      var bands = spec.labels.length * (10 + 14 * spec.datasets.length);
      minimum = Math.max(minimum, bands + (spec.datasets.length > 1 ? 90 : 60));
    }
    if (minimum > box.clientHeight) box.style.blockSize = minimum + "px";
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return;
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var build = kinds[spec.kind];
    if (!build) return;
    if (canvas.parentElement) size(canvas.parentElement, spec);
    new Chart(canvas, build(spec));
  });
})();

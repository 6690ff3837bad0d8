// The lifecycle-stage chart of the dashboard; data comes from a json_script element.
(function () {
  "use strict";
  var canvas = document.getElementById("stage-chart");
  var source = document.getElementById("stage-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var stages = JSON.parse(source.textContent);
  var colours = { prospect: "#f0ad4e", customer: "#2e9e6b", lost: "#c8414b", partner: "#7a5cc8" };
  var rtl = document.documentElement.dir === "rtl";
  new Chart(canvas, {
    type: "doughnut",
    data: {
      labels: stages.map(function (s) { return s.label; }),
      datasets: [{
        data: stages.map(function (s) { return s.count; }),
        backgroundColor: stages.map(function (s) { return colours[s.value] || "#3446c8"; }),
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      locale: document.documentElement.lang,
      plugins: { legend: { position: rtl ? "left" : "right", rtl: rtl, textDirection: rtl ? "rtl" : "ltr" } },
    },
  });
})();

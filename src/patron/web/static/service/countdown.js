// Keeps the SLA countdowns of a page (queue, ticket, customer card) up to date: the
// server wrote the correct text at load; this rewrites it every 30 seconds with the same
// translated words (#sla-words) and turns it amber or red when the time comes.
(function () {
  "use strict";
  var CLASSES = {
    breached: ["text-danger-emphasis", "fw-semibold"],
    at_risk: ["text-warning-emphasis", "fw-semibold"],
  };

  function fill(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_m, key) {
      return String(values[key]);
    });
  }

  function duration(words, seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) return fill(words.day, { d: days, h: hours });
    if (hours) return fill(words.hour, { h: hours, m: mins });
    return fill(words.minute, { m: mins });
  }

  function setState(el, state) {
    if (el.dataset.state === state) return;
    Object.keys(CLASSES).forEach(function (key) {
      CLASSES[key].forEach(function (c) { el.classList.remove(c); });
    });
    (CLASSES[state] || []).forEach(function (c) { el.classList.add(c); });
    el.dataset.state = state;
  }

  function tick() {
    var source = document.getElementById("sla-words");
    if (!source) return;
    var words = source.dataset;
    var now = Date.now();
    document.querySelectorAll("time.sla-countdown").forEach(function (el) {
      var state = el.dataset.state;
      if (state === "paused") return; // the clock stands still while waiting
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      var seconds = Math.round((due - now) / 1000);
      var text = duration(words, seconds);
      el.textContent = fill(seconds < 0 ? words.over : words.left, { time: text });
      if (seconds < 0) {
        setState(el, "breached");
      } else if (state !== "breached" && el.dataset.atRisk) {
        var risk = Date.parse(el.dataset.atRisk);
        if (!isNaN(risk) && now >= risk) setState(el, "at_risk");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 30000);
})();

// Small behaviours for every page. Loaded as a file: the content-security policy forbids
// inline scripts.
(function () {
  "use strict";

  // "/" jumps to the global search box, as in most web apps.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("global-search");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Single-key shortcuts of a page: <button data-shortcut="l"> is pressed by "l" (outside
  // text fields); a button that opens a collapsed form puts the cursor in its first field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var button = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (!button || button.offsetParent === null) return;
    event.preventDefault();
    var panel = document.querySelector(button.getAttribute("data-bs-target") || "#none");
    if (panel && panel.classList.contains("show")) {
      focusFirst(panel);
      return;
    }
    button.click();
  });
  function focusFirst(panel) {
    var field = panel.querySelector(".is-invalid, input:not([type=hidden]), select, textarea");
    if (field) field.focus();
  }
  document.addEventListener("shown.bs.collapse", function (event) {
    if (event.target.classList.contains("collapse") && event.target.querySelector("form")) {
      focusFirst(event.target);
    }
  });

  // <form data-confirm="Really?"> asks before it submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // <button data-copy="#selector"> copies that field's value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value);
    else document.execCommand("copy");
  });

  // Inline-edited sections ([data-swap-errors]) answer a refused save with 422 (field
  // errors) or 409 (a stale edit): show that answer in place, like a successful one.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var source = event.detail.elt;
    if ((status === 409 || status === 422) && source && source.closest &&
        source.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a section is swapped, keep the keyboard where the person is working: in the
  // form just opened, or back on the section's first action once it is saved.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var id = target && target.id;
    if (!id || id.indexOf("section-") !== 0) return;
    var section = document.getElementById(id);
    if (!section) return;
    var field = section.querySelector(
      "form:not([hx-confirm]) .is-invalid, form:not([hx-confirm]) input:not([type=hidden]), " +
      "form:not([hx-confirm]) select, form:not([hx-confirm]) textarea");
    var focus = section.querySelector("[data-testid=conflict] a") || field ||
      section.querySelector("[data-section-action]");
    if (focus && section.contains(document.activeElement) === false) focus.focus();
  });

  // Bulk actions on the customer list: "tick all" and the count of ticked rows.
  function updateTicked(form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var ticked = form.querySelectorAll("input[name=ids]:checked").length;
    var counter = form.querySelector("[data-selected-count]");
    if (counter) counter.textContent = String(ticked);
    form.classList.toggle("nothing-ticked", ticked === 0);
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box && box.closest && box.closest("form[data-bulk]");
    if (!form) return;
    if (box.hasAttribute("data-select-all")) {
      form.querySelectorAll("input[name=ids]").forEach(function (row) {
        row.checked = box.checked;
      });
    }
    updateTicked(form);
  });
  // Browsers restore ticks on "back": count them again when a list appears.
  function countAll() {
    document.querySelectorAll("form[data-bulk]").forEach(updateTicked);
  }
  document.addEventListener("DOMContentLoaded", countAll);
  document.addEventListener("htmx:afterSettle", countAll);
})();

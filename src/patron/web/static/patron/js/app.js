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
})();

// The rule builder of the segment form. The rules live in the form's JSON textarea
// (what is saved, and what works without JavaScript); the builder draws them as
// conditions and groups, writes every change back, and asks for the live count (the
// "rules-changed" event the count's hx-trigger listens to). Problems the server finds
// come back keyed by path ("conditions[1].value") and are shown next to the condition.
// Loaded as a file: the content-security policy forbids inline scripts.
(function () {
  "use strict";

  var root = document.querySelector("[data-rule-builder]");
  if (!root) return;
  var input = document.getElementById(root.getAttribute("data-rules-input"));
  var form = input && input.form;
  if (!form) return;
  var catalogue = readJson("segment-fields") || { fields: [] };
  var text = readJson("segment-builder-text") || {};
  var maxDepth = catalogue.max_depth || 3;
  var fields = {};
  catalogue.fields.forEach(function (field) { fields[field.key] = field; });
  var state = parse(input.value) || emptyGroup("all");
  var errors = readJson("segment-rule-errors") || {};
  var jsonError = form.querySelector("[data-json-error]");
  var uid = 0;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function emptyGroup(match) { return { match: match, conditions: [] }; }

  function isGroup(node) { return node && typeof node === "object" && Array.isArray(node.conditions); }

  // Rules as the builder holds them: every group has `match` and `conditions`.
  function normalise(node) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return null;
    if ("conditions" in node || "match" in node) {
      var children = Array.isArray(node.conditions) ? node.conditions : [];
      return {
        match: node.match === "any" ? "any" : "all",
        conditions: children.map(normalise).filter(function (c) { return c !== null; })
      };
    }
    var condition = { field: typeof node.field === "string" ? node.field : "", op: node.op || "" };
    if ("value" in node) condition.value = node.value;
    return condition;
  }

  function parse(raw) {
    if (!raw || !raw.trim()) return null;
    try { return normalise(JSON.parse(raw)); } catch (e) { return null; }
  }

  // What is saved: conditions without a field yet (just added) are left out, and so
  // are groups left empty by that. `pathMap` remembers, for each saved condition or
  // group, where the builder shows it (the server's problems name saved paths).
  var pathMap = {};
  function serialise(group, builderPath, savedPath) {
    var conditions = [];
    group.conditions.forEach(function (child, index) {
      var childBuilder = join(builderPath, "conditions") + "[" + index + "]";
      var childSaved = join(savedPath, "conditions") + "[" + conditions.length + "]";
      if (isGroup(child)) {
        var inner = serialise(child, childBuilder, childSaved);
        if (inner.conditions.length) {
          pathMap[childSaved] = childBuilder;
          conditions.push(inner);
        }
      } else if (child.field) {
        var condition = { field: child.field, op: child.op };
        if (inputOf(child) !== "none" && child.value !== undefined) condition.value = child.value;
        pathMap[childSaved] = childBuilder;
        conditions.push(condition);
      }
    });
    return { match: group.match, conditions: conditions };
  }

  function saved() {
    pathMap = {};
    return JSON.stringify(serialise(state, "", ""), null, 2);
  }

  // The builder's path of a problem the server found at a saved path.
  function shownAt(path) {
    var owner = path.match(/^(.*conditions\[\d+\])/);
    if (!owner) return path;
    return (pathMap[owner[1]] || owner[1]) + path.slice(owner[1].length);
  }

  function operatorOf(condition) {
    var field = fields[condition.field];
    if (!field) return null;
    for (var i = 0; i < field.operators.length; i++) {
      if (field.operators[i].key === condition.op) return field.operators[i];
    }
    return null;
  }

  function inputOf(condition) {
    var op = operatorOf(condition);
    return op ? op.input : "none";
  }

  function defaultValue(field, input) {
    if (input === "none") return undefined;
    if (input === "days") return 30;
    if (input === "pair") return ["", ""];
    if (input === "list") return [];
    if (input === "object") {
      if (field.type === "consent") {
        return { channel: catalogue.consent.channels[0].value, purpose: catalogue.consent.purposes[0].value };
      }
      if (field.key === "ordered_category") return { category: "", days: 30 };
      if (field.key === "ordered_product") return { sku: "", days: 30 };
      return { channel: "", days: 30 };
    }
    if (field.type === "boolean") return true;
    return "";
  }

  function changed(structural) {
    input.value = saved();
    if (jsonError) jsonError.hidden = true;
    if (structural) render();
    form.dispatchEvent(new CustomEvent("rules-changed", { bubbles: true }));
  }

  // --- Drawing ------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: String(value), text: label });
    if (selected) node.selected = true;
    return node;
  }

  function select(attrs, choices, current, placeholder) {
    var node = el("select", attrs);
    if (placeholder) node.appendChild(option("", placeholder, current === "" || current === undefined));
    choices.forEach(function (choice) {
      node.appendChild(option(choice.value, choice.label, String(choice.value) === String(current)));
    });
    return node;
  }

  function button(label, icon, attrs) {
    var node = el("button", Object.assign({ type: "button", className: "btn btn-sm btn-outline-secondary" }, attrs));
    node.appendChild(el("i", { className: "bi bi-" + icon, "aria-hidden": "true" }));
    node.appendChild(document.createTextNode(" " + label));
    return node;
  }

  function iconButton(label, icon, attrs) {
    var node = el("button", Object.assign({
      type: "button", className: "btn btn-sm btn-icon btn-outline-danger", title: label, "aria-label": label
    }, attrs));
    node.appendChild(el("i", { className: "bi bi-" + icon, "aria-hidden": "true" }));
    return node;
  }

  function render() {
    var active = document.activeElement;
    var focusKey = active && root.contains(active) ? active.getAttribute("data-focus") : null;
    uid = 0;
    root.replaceChildren(group(state, "", 1));
    if (focusKey) focus(focusKey);
    showErrors(errors);
  }

  function focus(key) {
    var target = root.querySelector('[data-focus="' + CSS.escape(key) + '"]');
    if (target) target.focus();
  }

  function join(path, name) { return path ? path + "." + name : name; }

  function group(node, path, depth) {
    var id = "rule-group-" + (++uid);
    var box = el("fieldset", {
      className: "rule-group border rounded p-2 p-md-3 mb-2" + (depth > 1 ? " bg-body-tertiary" : ""),
      "data-path": path, "data-depth": depth, "aria-describedby": id + "-error"
    });
    box.appendChild(el("legend", { className: "visually-hidden", text: text.group }));
    var matchId = id + "-match";
    var head = el("div", { className: "d-flex flex-wrap align-items-center gap-2 mb-2" }, [
      el("label", { className: "small", "for": matchId, text: text.match }),
      select({
        id: matchId, className: "form-select form-select-sm w-auto", "data-role": "match",
        "data-path": path, "data-focus": join(path, "match")
      }, catalogue.matches.map(function (m) { return { value: m.key, label: m.label }; }), node.match),
      el("span", { className: "small", text: text.of_these })
    ]);
    if (depth > 1) {
      var remove = button(text.remove_group, "x-lg", {
        className: "btn btn-sm btn-outline-danger ms-auto", "data-role": "remove", "data-path": path,
        "data-focus": join(path, "remove")
      });
      head.appendChild(remove);
    }
    box.appendChild(head);
    box.appendChild(el("div", { className: "invalid-feedback d-block", id: id + "-error", "data-error-for": path }));
    var list = el("ol", { className: "list-unstyled mb-2 d-flex flex-column gap-2" });
    node.conditions.forEach(function (child, index) {
      var childPath = join(path, "conditions") + "[" + index + "]";
      var item = el("li", {}, [isGroup(child) ? group(child, childPath, depth + 1) : condition(child, childPath)]);
      list.appendChild(item);
    });
    if (!node.conditions.length && depth === 1) {
      box.appendChild(el("p", { className: "small text-body-secondary mb-2", text: text.nothing_yet }));
    }
    box.appendChild(list);
    var actions = el("div", { className: "d-flex flex-wrap gap-2" }, [
      button(text.add_condition, "plus-lg", {
        "data-role": "add-condition", "data-path": path, "data-focus": join(path, "add-condition"),
        "data-testid": depth === 1 ? "add-condition" : null
      }),
      depth < maxDepth ? button(text.add_group, "diagram-2", {
        "data-role": "add-group", "data-path": path, "data-focus": join(path, "add-group")
      }) : null
    ]);
    box.appendChild(actions);
    return box;
  }

  function fieldSelect(node, path, id) {
    var box = el("select", {
      id: id, className: "form-select form-select-sm", "aria-label": text.field,
      "data-role": "field", "data-path": path, "data-focus": join(path, "field"), "data-testid": "rule-field"
    });
    box.appendChild(option("", text.choose_field, !node.field));
    var groups = {};
    catalogue.fields.forEach(function (field) {
      if (!groups[field.group]) {
        groups[field.group] = el("optgroup", { label: field.group_label });
        box.appendChild(groups[field.group]);
      }
      groups[field.group].appendChild(option(field.key, field.label, field.key === node.field));
    });
    return box;
  }

  function condition(node, path) {
    var id = "rule-" + (++uid);
    var field = fields[node.field];
    var row = el("div", { className: "rule-condition", "data-path": path, "data-testid": "rule-condition" });
    var line = el("div", { className: "row g-2 align-items-start" });
    line.appendChild(el("div", { className: "col-12 col-md-4" }, [fieldSelect(node, path, id + "-field")]));
    if (field) {
      line.appendChild(el("div", { className: "col-12 col-md-3" }, [select({
        id: id + "-op", className: "form-select form-select-sm", "aria-label": text.operator,
        "data-role": "op", "data-path": path, "data-focus": join(path, "op"), "data-testid": "rule-op"
      }, field.operators.map(function (o) { return { value: o.key, label: o.label }; }), node.op)]));
      line.appendChild(el("div", { className: "col" }, [valueInputs(node, field, path, id)]));
    } else {
      line.appendChild(el("div", { className: "col small text-body-secondary pt-1", text: text.incomplete }));
    }
    line.appendChild(el("div", { className: "col-auto" }, [iconButton(text.remove, "trash", {
      "data-role": "remove", "data-path": path, "data-focus": join(path, "remove"), "data-testid": "rule-remove"
    })]));
    row.appendChild(line);
    row.appendChild(el("div", { className: "invalid-feedback d-block", id: id + "-error", "data-error-for": path }));
    return row;
  }

  function valueInputs(node, field, path, id) {
    var kind = inputOf(node);
    var box = el("div", { className: "d-flex flex-wrap align-items-center gap-2 rule-value" });
    var base = { "data-role": "value", "data-path": path, "aria-describedby": id + "-error" };
    var value = node.value;
    function attrs(extra) { return Object.assign({}, base, extra); }
    function number(extra, current) {
      return el("input", attrs(Object.assign({
        type: "number", step: field.integer ? "1" : "any", className: "form-control form-control-sm w-auto rule-number",
        value: current === undefined || current === null ? "" : String(current)
      }, extra)));
    }
    function single(slot, current, label) {
      var key = slot === "" ? join(path, "value") : join(path, "value") + slot;
      var common = { "data-slot": slot, "data-focus": key, "aria-label": label || text.value, "data-testid": "rule-value" };
      var choices = field.choices;
      if (choices && field.type !== "tags") {
        return select(attrs(Object.assign({ className: "form-select form-select-sm w-auto" }, common)), choices, current, text.choose);
      }
      if (field.type === "number") return number(common, current);
      var type = field.type === "date" ? "date" : "text";
      return el("input", attrs(Object.assign({
        type: type, className: "form-control form-control-sm w-auto",
        value: current === undefined || current === null ? "" : String(current)
      }, common)));
    }
    if (kind === "none") return box;
    if (kind === "single") {
      if (field.type === "segment") {
        box.appendChild(select(attrs({
          className: "form-select form-select-sm w-auto", "data-slot": "", "data-focus": join(path, "value"),
          "aria-label": text.value, "data-testid": "rule-value"
        }), field.choices || [], value, text.choose));
      } else {
        box.appendChild(single("", value));
      }
    } else if (kind === "pair") {
      var pair = Array.isArray(value) ? value : ["", ""];
      box.appendChild(single("[0]", pair[0], text.from));
      box.appendChild(el("span", { className: "small", text: text.to }));
      box.appendChild(single("[1]", pair[1], text.to));
    } else if (kind === "days") {
      box.appendChild(number({
        min: "1", step: "1", "data-slot": "", "data-focus": join(path, "value"), "aria-label": text.days,
        "data-testid": "rule-value"
      }, value));
      box.appendChild(el("span", { className: "small", text: text.days }));
    } else if (kind === "list") {
      var items = Array.isArray(value) ? value : [];
      if (field.choices && field.choices.length) {
        var multiple = select(attrs({
          className: "form-select form-select-sm", multiple: true, size: String(Math.max(2, Math.min(5, field.choices.length))),
          "data-slot": "list", "data-focus": join(path, "value"), "aria-label": text.value, "data-testid": "rule-value"
        }), field.choices, null);
        Array.prototype.forEach.call(multiple.options, function (o) {
          o.selected = items.map(String).indexOf(o.value) !== -1;
        });
        box.appendChild(multiple);
      } else {
        box.appendChild(el("input", attrs({
          type: "text", className: "form-control form-control-sm", "data-slot": "csv",
          "data-focus": join(path, "value"), "aria-label": text.value, placeholder: text.comma_help,
          value: items.join(", "), "data-testid": "rule-value"
        })));
      }
    } else if (kind === "object") {
      var object = value && typeof value === "object" ? value : {};
      var slot = function (name) { return { "data-slot": "." + name, "data-focus": join(path, "value") + "." + name }; };
      if (field.type === "consent") {
        box.appendChild(select(attrs(Object.assign({ className: "form-select form-select-sm w-auto", "aria-label": text.channel }, slot("channel"))), catalogue.consent.channels, object.channel));
        box.appendChild(select(attrs(Object.assign({ className: "form-select form-select-sm w-auto", "aria-label": text.purpose }, slot("purpose"))), catalogue.consent.purposes, object.purpose));
      } else {
        if (field.key === "interacted") {
          box.appendChild(select(attrs(Object.assign({ className: "form-select form-select-sm w-auto", "aria-label": text.channel }, slot("channel"))), catalogue.interaction_channels, object.channel || "", text.any_channel));
        } else {
          var name = field.key === "ordered_product" ? "sku" : "category";
          var listId = name === "category" ? "segment-categories" : null;
          box.appendChild(el("input", attrs(Object.assign({
            type: "text", className: "form-control form-control-sm w-auto", list: listId,
            "aria-label": name === "sku" ? text.sku : text.category, placeholder: name === "sku" ? text.sku : text.category,
            value: object[name] || ""
          }, slot(name)))));
        }
        box.appendChild(number(Object.assign({ min: "1", "aria-label": text.days }, slot("days")), object.days));
        box.appendChild(el("span", { className: "small", text: text.days }));
      }
    }
    return box;
  }

  // --- Reading the inputs back ------------------------------------------------------------

  function nodeAt(path) {
    if (!path) return { node: state, parent: null, index: -1 };
    var parts = path.match(/conditions\[\d+\]/g) || [];
    var node = state, parent = null, index = -1;
    parts.forEach(function (part) {
      parent = node;
      index = parseInt(part.slice(11, -1), 10);
      node = node.conditions[index];
    });
    return { node: node, parent: parent, index: index };
  }

  function typed(field, raw) {
    if (raw === "") return "";
    if (field.type === "number" || field.type === "user" || field.type === "team" || field.type === "segment") {
      var number = Number(raw);
      return isNaN(number) ? raw : number;
    }
    if (field.type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
    return raw;
  }

  function readValue(control, node) {
    var field = fields[node.field];
    var slotName = control.getAttribute("data-slot");
    if (slotName === "list") {
      node.value = Array.prototype.filter.call(control.options, function (o) { return o.selected; })
        .map(function (o) { return typed(field, o.value); });
    } else if (slotName === "csv") {
      node.value = control.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    } else if (slotName === "[0]" || slotName === "[1]") {
      var pair = Array.isArray(node.value) ? node.value.slice() : ["", ""];
      pair[slotName === "[0]" ? 0 : 1] = typed(field, control.value);
      node.value = pair;
    } else if (slotName && slotName.charAt(0) === ".") {
      var object = Object.assign({}, node.value || {});
      var key = slotName.slice(1);
      if (key === "days") {
        var days = Number(control.value);
        object.days = control.value === "" || isNaN(days) ? control.value : days;
      } else {
        object[key] = control.value;
      }
      if (key === "channel" && field.key === "interacted" && !control.value) delete object.channel;
      node.value = object;
    } else if (inputOf(node) === "days") {
      var n = Number(control.value);
      node.value = control.value === "" || isNaN(n) ? control.value : n;
    } else {
      node.value = typed(field, control.value);
    }
  }

  root.addEventListener("change", function (event) {
    var control = event.target;
    var role = control.getAttribute("data-role");
    var found = nodeAt(control.getAttribute("data-path"));
    if (!found.node) return;
    if (role === "match") {
      found.node.match = control.value;
      changed(false);
    } else if (role === "field") {
      var field = fields[control.value];
      found.node.field = control.value;
      found.node.op = field ? field.operators[0].key : "";
      found.node.value = field ? defaultValue(field, field.operators[0].input) : undefined;
      changed(true);
    } else if (role === "op") {
      var previous = inputOf(found.node);
      found.node.op = control.value;
      var now = inputOf(found.node);
      if (previous !== now) found.node.value = defaultValue(fields[found.node.field], now);
      changed(true);
    } else if (role === "value") {
      readValue(control, found.node);
      changed(false);
    }
  });

  root.addEventListener("input", function (event) {
    var control = event.target;
    if (control.getAttribute("data-role") !== "value" || control.tagName === "SELECT") return;
    var found = nodeAt(control.getAttribute("data-path"));
    if (!found.node) return;
    readValue(control, found.node);
    changed(false);
  });

  root.addEventListener("click", function (event) {
    var control = event.target.closest("button[data-role]");
    if (!control || !root.contains(control)) return;
    var role = control.getAttribute("data-role");
    var path = control.getAttribute("data-path");
    var found = nodeAt(path);
    if (role === "add-condition" || role === "add-group") {
      var child = role === "add-group" ? { match: "any", conditions: [{ field: "", op: "" }] } : { field: "", op: "" };
      found.node.conditions.push(child);
      var childPath = join(path, "conditions") + "[" + (found.node.conditions.length - 1) + "]";
      changed(true);
      focus(role === "add-group" ? join(childPath, "conditions") + "[0].field" : join(childPath, "field"));
    } else if (role === "remove" && found.parent) {
      found.parent.conditions.splice(found.index, 1);
      var parentPath = path.replace(/\.?conditions\[\d+\]$/, "");
      var next = found.parent.conditions.length > found.index ? found.index : found.index - 1;
      errors = {};
      changed(true);
      if (next >= 0) {
        var nextPath = join(parentPath, "conditions") + "[" + next + "]";
        var target = root.querySelector('[data-focus="' + CSS.escape(join(nextPath, "field")) + '"]') ||
          root.querySelector('[data-focus="' + CSS.escape(join(nextPath, "match")) + '"]');
        if (target) { target.focus(); return; }
      }
      focus(join(parentPath, "add-condition"));
    }
  });

  // The JSON typed or pasted by hand: the builder follows it when it reads.
  input.addEventListener("change", function () {
    var parsed = parse(input.value);
    if (parsed === null && input.value.trim()) {
      if (jsonError) { jsonError.textContent = text.bad_json; jsonError.hidden = false; }
      return;
    }
    state = parsed || emptyGroup("all");
    if (jsonError) jsonError.hidden = true;
    render();
    form.dispatchEvent(new CustomEvent("rules-changed", { bubbles: true }));
  });

  // --- Problems next to the conditions ----------------------------------------------------

  function showErrors(found) {
    root.querySelectorAll("[data-error-for]").forEach(function (slot) { slot.textContent = ""; });
    root.querySelectorAll(".is-invalid").forEach(function (control) {
      control.classList.remove("is-invalid");
      control.removeAttribute("aria-invalid");
    });
    var general = [];
    Object.keys(found || {}).forEach(function (savedPath) {
      var message = found[savedPath];
      var path = shownAt(savedPath);
      // The condition or group the path is in: its longest "…conditions[n]" prefix.
      var owner = path.match(/^(.*conditions\[\d+\])/);
      var ownerPath = owner ? owner[1] : "";
      var slot = root.querySelector('[data-error-for="' + CSS.escape(ownerPath) + '"]');
      if (!slot || (!owner && path !== "match" && path.indexOf("conditions") !== 0)) {
        general.push(message);
        return;
      }
      slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
      var control = root.querySelector('[data-focus="' + CSS.escape(path) + '"]');
      if (!control && /\.(value|field|op)/.test(path)) {
        control = root.querySelector('[data-focus^="' + CSS.escape(path.replace(/(\.value|\.field|\.op).*$/, "$1")) + '"]');
      }
      if (control) {
        control.classList.add("is-invalid");
        control.setAttribute("aria-invalid", "true");
      }
    });
    var top = root.querySelector('[data-error-for=""]');
    if (top && general.length) top.textContent = (top.textContent ? top.textContent + " " : "") + general.join(" ");
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "segment-count") return;
    var result = target.querySelector("[data-errors]");
    try { errors = result ? JSON.parse(result.getAttribute("data-errors") || "{}") : {}; } catch (e) { errors = {}; }
    showErrors(errors);
  });

  // A static list has no rules: the builder is shown for dynamic segments only.
  var section = document.querySelector("[data-dynamic-only]");
  function followKind() {
    var checked = form.querySelector("input[name=kind]:checked");
    if (section) section.classList.toggle("d-none", !!checked && checked.value === "static");
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") followKind();
  });

  // Product categories, offered while typing one.
  if (catalogue.categories && catalogue.categories.length) {
    var list = el("datalist", { id: "segment-categories" });
    catalogue.categories.forEach(function (c) { list.appendChild(el("option", { value: c })); });
    document.body.appendChild(list);
  }

  followKind();
  if (parse(input.value) === null && input.value.trim()) {
    // Typed by hand and not valid JSON: kept as it is, to be corrected.
    if (jsonError) { jsonError.textContent = text.bad_json; jsonError.hidden = false; }
  } else {
    input.value = saved();
  }
  render();
})();

/*
 * The policy page's editor: Rego highlighting, live preview, tests and activation.
 *
 * Everything written into the page goes through DOM nodes and textContent; no text from the
 * editor or the server is ever parsed as HTML. Loaded as a file (CSP script-src 'self'), with
 * nothing fetched from anywhere but the gateway itself. Under Node the pure parts are exported
 * for the test suite.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.RegoEditor = api;
    if (typeof document !== "undefined") {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () { api.init(document); });
      } else {
        api.init(document);
      }
    }
  }
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var KEYWORDS = ["package", "import", "if", "else", "default", "not", "some", "every", "in",
    "contains", "with", "as"];
  var LITERALS = ["true", "false", "null"];
  var BUILTINS = [
    "count", "sum", "product", "max", "min", "sort", "all", "any", "abs", "round", "ceil",
    "floor", "concat", "endswith", "startswith", "format_int", "indexof", "lower", "upper",
    "replace", "split", "sprintf", "substring", "trim", "trim_left", "trim_right",
    "trim_prefix", "trim_suffix", "trim_space", "to_number", "is_string", "is_number",
    "is_boolean", "is_array", "is_object", "is_set", "is_null", "type_name", "union",
    "intersection", "walk", "print", "array.concat", "array.slice", "array.reverse",
    "object.get", "object.union", "object.union_n", "object.remove", "object.filter",
    "object.keys", "object.subset", "json.marshal", "json.unmarshal", "json.is_valid",
    "time.parse_ns", "time.parse_rfc3339_ns", "time.parse_duration_ns", "time.now_ns",
    "time.date", "time.clock", "time.add_date", "time.diff", "time.weekday", "time.format",
    "regex.match", "regex.split", "regex.find_n", "regex.replace", "strings.replace_n",
    "strings.reverse", "strings.any_prefix_match", "strings.any_suffix_match", "strings.count",
    "numbers.range", "units.parse", "units.parse_bytes", "base64.encode", "base64.decode",
    "base64url.encode", "base64url.decode", "crypto.sha256", "glob.match", "semver.compare",
    "semver.is_valid", "net.cidr_contains", "uuid.rfc4122"
  ];
  var OPERATORS = [":=", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "|",
    "&"];
  var IDENT_START = /[A-Za-z_]/;
  var IDENT_PART = /[A-Za-z0-9_]/;
  var NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

  function member(list, word) { return list.indexOf(word) !== -1; }

  function scanString(src, i) {
    var j = i + 1;
    while (j < src.length && src[j] !== "\"" && src[j] !== "\n") {
      j += src[j] === "\\" ? 2 : 1;
    }
    return Math.min(src[j] === "\"" ? j + 1 : j, src.length);
  }

  function scanRaw(src, i) {
    var end = src.indexOf("`", i + 1);
    return end === -1 ? src.length : end + 1;
  }

  function scanName(src, i) {
    var j = i + 1;
    for (;;) {
      while (j < src.length && IDENT_PART.test(src[j])) { j += 1; }
      if (src[j] === "." && j + 1 < src.length && IDENT_START.test(src[j + 1])) {
        j += 2;
      } else {
        return j;
      }
    }
  }

  function nameType(name, next) {
    if (member(BUILTINS, name)) { return "builtin"; }
    if (name === "contains" && next === "(") { return "builtin"; }
    if (member(KEYWORDS, name)) { return "keyword"; }
    if (member(LITERALS, name)) { return "literal"; }
    return "name";
  }

  function nextNonSpace(src, i) {
    while (i < src.length && (src[i] === " " || src[i] === "\t")) { i += 1; }
    return src[i];
  }

  /* Split Rego source into tokens {type, text}; their texts joined give the source back. */
  function tokenize(src) {
    var tokens = [];
    var i = 0;
    function push(type, end) {
      var last = tokens[tokens.length - 1];
      if (type === "text" && last && last.type === "text") {
        last.text += src.slice(i, end);
      } else {
        tokens.push({ type: type, text: src.slice(i, end) });
      }
      i = end;
    }
    while (i < src.length) {
      var c = src[i];
      var op = null;
      if (c === "#") {
        var eol = src.indexOf("\n", i);
        push("comment", eol === -1 ? src.length : eol);
      } else if (c === "\"") {
        push("string", scanString(src, i));
      } else if (c === "`") {
        push("raw-string", scanRaw(src, i));
      } else if (/[0-9]/.test(c)) {
        NUMBER.lastIndex = i;
        push("number", i + NUMBER.exec(src)[0].length);
      } else if (IDENT_START.test(c)) {
        var end = scanName(src, i);
        push(nameType(src.slice(i, end), nextNonSpace(src, end)), end);
      } else {
        for (var k = 0; k < OPERATORS.length && op === null; k += 1) {
          if (src.startsWith(OPERATORS[k], i)) { op = OPERATORS[k]; }
        }
        push(op === null ? "text" : "operator", i + (op === null ? 1 : op.length));
      }
    }
    return tokens;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function el(doc, tag, text, className) {
    var node = doc.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  /* Fill `target` with highlighted `src`: one span per token, text as text nodes. */
  function highlight(doc, target, src) {
    clear(target);
    var tokens = tokenize(src);
    for (var i = 0; i < tokens.length; i += 1) {
      var t = tokens[i];
      target.appendChild(t.type === "text" || t.type === "name"
        ? doc.createTextNode(t.text) : el(doc, "span", t.text, "tok-" + t.type));
    }
    target.appendChild(doc.createTextNode("\n")); /* keeps a final empty line visible */
  }

  function shown(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  /* Rebuild the preview table's body from the JSON records of /ui/policy/preview. */
  function renderPreview(doc, tbody, records) {
    clear(tbody);
    records.forEach(function (r) {
      var head = el(doc, "tr", null, "preview-record outcome-" + r.decision);
      head.setAttribute("data-record", r.source_ref);
      var th = el(doc, "th", r.source_ref + ": " + r.decision + (r.reason ? " (" + r.reason + ")" : "")
        + (r.exposure_encrypted ? "; the amount joins its bucket total, Paillier-encrypted" : ""));
      th.setAttribute("scope", "rowgroup");
      th.setAttribute("colspan", "5");
      head.appendChild(th);
      tbody.appendChild(head);
      r.fields.forEach(function (f) {
        var row = el(doc, "tr", null, "preview-row" + (f.dropped ? " dropped" : ""));
        row.setAttribute("data-record", r.source_ref);
        row.setAttribute("data-field", f.field);
        row.appendChild(el(doc, "td", r.source_ref, "record"));
        row.appendChild(el(doc, "td", f.field, "field"));
        row.appendChild(el(doc, "td", shown(f.original), "original"));
        row.appendChild(el(doc, "td", f.actions.length ? f.actions.join(", ") : "\u2014", "action"));
        row.appendChild(el(doc, "td", f.dropped ? "\u2014" : shown(f.leaves), "leaves"));
        tbody.appendChild(row);
      });
    });
  }

  /* A table with a header row; returns the table and its (empty) body. */
  function table(doc, className, headings) {
    var t = el(doc, "table", null, className);
    var tr = doc.createElement("tr");
    headings.forEach(function (h) { tr.appendChild(el(doc, "th", h)); });
    var thead = doc.createElement("thead");
    var body = doc.createElement("tbody");
    thead.appendChild(tr);
    t.appendChild(thead);
    t.appendChild(body);
    return { table: t, body: body };
  }

  function addRow(doc, body, cells, className) {
    var tr = el(doc, "tr", null, className);
    cells.forEach(function (c) { tr.appendChild(el(doc, "td", c)); });
    body.appendChild(tr);
  }

  /* Show the diff against the active version: decisions, then field by field, then totals. */
  function renderDiff(doc, target, diff, count) {
    clear(target);
    if (!diff.fields.length && !diff.decisions.length) {
      target.appendChild(el(doc, "p", "No difference in what leaves over " + count
        + " sample record(s).", "note"));
      return;
    }
    if (diff.decisions.length) {
      var d = table(doc, "diff-decisions", ["Record", "Active", "Edited"]);
      diff.decisions.forEach(function (c) {
        addRow(doc, d.body, [c.source_ref, c.old + (c.old_reason ? " (" + c.old_reason + ")" : ""),
          c.new + (c.new_reason ? " (" + c.new_reason + ")" : "")], "decision-change");
      });
      target.appendChild(d.table);
    }
    if (diff.fields.length) {
      var f = table(doc, "diff-fields", ["Record", "Field", "Change"]);
      diff.fields.forEach(function (c) {
        var kind = c.change === "more disclosed" ? "more" : c.change === "less disclosed" ? "less" : "changed";
        addRow(doc, f.body, [c.source_ref, c.field, c.change], "change-" + kind);
      });
      target.appendChild(f.table);
    }
    var list = el(doc, "ul", null, "diff-summary");
    Object.keys(diff.summary).forEach(function (name) {
      var parts = Object.keys(diff.summary[name]).map(function (k) {
        return diff.summary[name][k] + " " + k;
      });
      list.appendChild(el(doc, "li", name + ": " + parts.join(", ")));
    });
    target.appendChild(list);
  }

  /* Show Rego test results: a summary line and one item per test. */
  function renderTests(doc, target, result) {
    clear(target);
    target.appendChild(el(doc, "p", result.passed + " passed, " + result.failed + " failed"
      + (result.tests.length ? "" : " (no tests found: add *_test.rego modules with test_ rules)"),
      result.failed || !result.tests.length ? "summary failed" : "summary passed"));
    var list = el(doc, "ul", null, "test-list");
    result.tests.forEach(function (t) {
      list.appendChild(el(doc, "li", (t.passed ? "pass " : "FAIL ") + t.package + "." + t.name
        + (t.error ? ": " + t.error : ""), t.passed ? "test-pass" : "test-fail"));
    });
    target.appendChild(list);
  }

  /* Show why activation was refused (the JSON of a 409/422 answer). */
  function renderRefusal(doc, target, body) {
    clear(target);
    target.appendChild(el(doc, "p", body.error || "refused"));
    var check = body.check;
    if (check) {
      var list = el(doc, "ul", null, "problems");
      check.problems.forEach(function (p) { list.appendChild(el(doc, "li", p)); });
      target.appendChild(list);
      var failing = check.tests.filter(function (t) { return !t.passed; });
      if (failing.length) {
        var tl = el(doc, "ul", null, "failing-tests");
        failing.forEach(function (t) {
          tl.appendChild(el(doc, "li", t.package + "." + t.name + (t.error ? ": " + t.error : "")));
        });
        target.appendChild(tl);
      }
    }
    target.hidden = false;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(
        function (json) { return { status: res.status, body: json }; },
        function () { return { status: res.status, body: { error: "HTTP " + res.status } }; });
    });
  }

  function init(doc) {
    var page = doc.getElementById("policy");
    var editor = doc.getElementById("rego-editor");
    var pre = doc.getElementById("rego-highlight");
    var select = doc.getElementById("module-select");
    if (!page || !editor || !pre || !select) { return; }
    var code = pre.querySelector("code") || pre;
    var meta = doc.querySelector("meta[name='csrf-token']");
    var token = meta ? meta.getAttribute("content") : "";
    var editable = page.getAttribute("data-editable") === "true";
    var modules = {};
    doc.querySelectorAll("#module-sources textarea[data-module]").forEach(function (t) {
      modules[t.getAttribute("data-module")] = t.value;
    });
    var current = select.value;
    var timer = null;
    var asked = 0;
    doc.querySelectorAll(".js-hide").forEach(function (n) { n.hidden = true; });

    function paint() {
      highlight(doc, code, editor.value);
      pre.scrollTop = editor.scrollTop;
      pre.scrollLeft = editor.scrollLeft;
    }
    function message(id, text) {
      var node = doc.getElementById(id);
      if (node) { node.textContent = text; node.hidden = !text; }
    }
    function preview() {
      var mine = ++asked;
      post(page.getAttribute("data-preview-url"), token, { modules: modules }).then(function (r) {
        if (mine !== asked) { return; }
        if (r.status !== 200) { message("preview-error", r.body.error || "HTTP " + r.status); return; }
        message("preview-error", "");
        renderPreview(doc, doc.querySelector("#preview-table tbody"), r.body.records);
        renderDiff(doc, doc.getElementById("diff"), r.body.diff, r.body.records.length);
        message("preview-caption", "Under the edited text (version "
          + r.body.policy.version.slice(0, 12) + "). Original values never leave.");
      }, function () { message("preview-error", "The preview could not be reached."); });
    }
    editor.addEventListener("input", function () {
      modules[current] = editor.value;
      paint();
      if (editable) {
        clearTimeout(timer);
        timer = setTimeout(preview, 400);
      }
    });
    editor.addEventListener("scroll", function () {
      pre.scrollTop = editor.scrollTop;
      pre.scrollLeft = editor.scrollLeft;
    });
    select.addEventListener("change", function () {
      modules[current] = editor.value;
      current = select.value;
      editor.value = modules[current] || "";
      editor.scrollTop = 0;
      var path = doc.getElementById("activation-path");
      if (path) { path.value = current; }
      paint();
    });
    var run = doc.getElementById("run-tests");
    if (run) {
      run.addEventListener("click", function () {
        var target = doc.getElementById("test-results");
        target.textContent = "Running\u2026";
        post(page.getAttribute("data-test-url"), token, { modules: modules }).then(function (r) {
          if (r.status === 200) { renderTests(doc, target, r.body); }
          else { target.textContent = r.body.error || "HTTP " + r.status; }
        });
      });
    }
    var form = doc.getElementById("activation-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var reason = doc.getElementById("activation-reason").value;
        post(page.getAttribute("data-activate-url"), token,
          { modules: modules, reason: reason || null }).then(function (r) {
          if (r.status === 200 && r.body.redirect) { window.location.assign(r.body.redirect); return; }
          renderRefusal(doc, doc.getElementById("activation-error"), r.body);
        });
      });
    }
    paint();
  }

  return {
    tokenize: tokenize,
    highlight: highlight,
    renderPreview: renderPreview,
    renderDiff: renderDiff,
    renderTests: renderTests,
    renderRefusal: renderRefusal,
    init: init
  };
}));

"""The policy page's JavaScript (``static/rego-editor.js``) run by Node: the Rego tokenizer and
the DOM builders.

Node has no DOM, so the builders are given a minimal document written here (elements, text
nodes, attributes) whose ``innerHTML`` throws: the script must build every node from text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.policy_files import builtin_policy

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

HARNESS = r"""
const api = require(process.argv[1]);
class Node_ {
  constructor(tag, text) {
    this.tag = tag; this.text = text; this.children = []; this.attrs = {}; this.className = "";
  }
  get firstChild() { return this.children[0] || null; }
  appendChild(c) { this.children.push(c); return c; }
  removeChild(c) { this.children.splice(this.children.indexOf(c), 1); return c; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  set textContent(v) { this.children = [new Node_("#text", String(v))]; }
  set innerHTML(v) { throw new Error("innerHTML used"); }
  toJSON() {
    if (this.tag === "#text") return this.text;
    return {tag: this.tag, cls: this.className, attrs: this.attrs, children: this.children};
  }
}
const doc = {
  createElement: (t) => new Node_(t),
  createTextNode: (s) => new Node_("#text", String(s)),
};
const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
if (job.tokenize !== undefined) out.tokens = api.tokenize(job.tokenize);
const render = {
  highlight: (t, v) => api.highlight(doc, t, v),
  preview: (t, v) => api.renderPreview(doc, t, v),
  diff: (t, v) => api.renderDiff(doc, t, v, 3),
  tests: (t, v) => api.renderTests(doc, t, v),
};
for (const [name, fill] of Object.entries(render)) {
  if (job[name] !== undefined) {
    out.tree = new Node_(name === "highlight" ? "code" : "div");
    fill(out.tree, job[name]);
  }
}
process.stdout.write(JSON.stringify(out));
"""


def run(job: dict[str, Any]) -> dict[str, Any]:
    script = resources.files("gateway.dashboard") / "static" / "rego-editor.js"
    with resources.as_file(script) as path:
        assert NODE is not None
        done = subprocess.run(
            [NODE, "-e", HARNESS, str(Path(path))], input=json.dumps(job),
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def kinds(source: str) -> list[tuple[str, str]]:
    return [(t["type"], t["text"]) for t in run({"tokenize": source})["tokens"]]


def texts(tree: Any) -> list[str]:
    """Every text node below ``tree``, in order."""
    if isinstance(tree, str):
        return [tree]
    return [t for child in tree["children"] for t in texts(child)]


def elements(tree: Any) -> list[dict[str, Any]]:
    if isinstance(tree, str):
        return []
    return [tree, *(e for child in tree["children"] for e in elements(child))]


def test_the_tokens_give_the_shipped_policy_back_exactly() -> None:
    for source in builtin_policy().modules.values():
        tokens = run({"tokenize": source})["tokens"]
        assert "".join(t["text"] for t in tokens) == source
        assert {"keyword", "builtin", "string", "comment", "number", "operator"} <= {
            t["type"] for t in tokens
        }


def test_rego_v1_keywords_are_keywords_only_as_whole_words() -> None:
    source = (
        "package p\nimport rego.v1\ndefault allow := false\n"
        "s contains x if { some x in input.items; not x == 1; every y in xs { y } }\n"
        "f(r) := 1 if { r } else := 2 with input as {}\n"
        "inputs := ifx\n"
    )
    keywords = [text for kind, text in kinds(source) if kind == "keyword"]
    assert keywords == [
        "package", "import", "default", "contains", "if", "some", "in", "not", "every", "in",
        "if", "else", "with", "as",
    ]


def test_operators_strings_raw_strings_numbers_and_comments() -> None:
    source = 'x := "a\\"b # not a comment" # a comment\ny == `raw\n"multi"` + 12.5e3 != -7'
    assert [(k, t) for k, t in kinds(source) if k not in ("text", "name")] == [
        ("operator", ":="),
        ("string", '"a\\"b # not a comment"'),
        ("comment", "# a comment"),
        ("operator", "=="),
        ("raw-string", '`raw\n"multi"`'),
        ("operator", "+"),
        ("number", "12.5e3"),
        ("operator", "!="),
        ("operator", "-"),
        ("number", "7"),
    ]


def test_dotted_builtins_are_recognised_and_contains_call_is_a_builtin() -> None:
    source = "a := object.get(r, k, null)\nb := format_int(i, 10)\nc := time.parse_ns(l, v)\n" \
             "d := contains(s, t)\ne := object.other(x)\n"
    found = [(k, t) for k, t in kinds(source) if k in ("builtin", "literal")]
    assert found == [
        ("builtin", "object.get"), ("literal", "null"), ("builtin", "format_int"),
        ("builtin", "time.parse_ns"), ("builtin", "contains"),
    ]


def test_an_unterminated_string_stops_at_the_end_of_its_line() -> None:
    tokens = kinds('x := "open\ny := 1')
    assert ("string", '"open') in tokens and ("operator", ":=") in tokens[3:]


def test_highlighting_hostile_text_makes_only_text_nodes() -> None:
    hostile = '# </textarea><script>alert(1)</script>\nx := "<img src=x onerror=alert(2)>"'
    tree = run({"highlight": hostile})["tree"]
    assert "".join(texts(tree)) == hostile + "\n"
    assert {e["tag"] for e in elements(tree)} == {"code", "span"}
    classes = [e["cls"] for e in elements(tree)[1:]]
    assert classes == ["tok-comment", "tok-operator", "tok-string"]


def test_the_preview_table_is_rebuilt_from_text_with_a_dash_for_what_does_not_leave() -> None:
    record = {
        "source_ref": "s.csv:2", "decision": "attach", "reason": None, "exposure_encrypted": True,
        "fields": [
            {"field": "buyer.name", "original": "<b>ACME</b>", "actions": ["buyer_token"],
             "leaves": "p1.k.abc", "dropped": False},
            {"field": "line_items", "original": [{"unit_price": "1.00"}], "actions": [],
             "leaves": None, "dropped": True},
        ],
    }
    tree = run({"preview": [record]})["tree"]
    rows = [e for e in elements(tree) if e["tag"] == "tr"]
    assert [r["attrs"] for r in rows] == [
        {"data-record": "s.csv:2"},
        {"data-record": "s.csv:2", "data-field": "buyer.name"},
        {"data-record": "s.csv:2", "data-field": "line_items"},
    ]
    assert rows[1]["cls"] == "preview-row" and rows[2]["cls"] == "preview-row dropped"
    cells = {c["cls"]: texts(c)[0] for c in rows[1]["children"]}
    assert cells == {"record": "s.csv:2", "field": "buyer.name", "original": "<b>ACME</b>",
                     "action": "buyer_token", "leaves": "p1.k.abc"}
    dropped = {c["cls"]: texts(c)[0] for c in rows[2]["children"]}
    assert dropped["leaves"] == "\u2014" and dropped["action"] == "\u2014"
    assert dropped["original"] == '[{"unit_price":"1.00"}]'


def test_the_diff_lists_each_change_and_says_when_there_is_none() -> None:
    none = run({"diff": {"fields": [], "decisions": [], "summary": {}}})["tree"]
    assert texts(none) == ["No difference in what leaves over 3 sample record(s)."]
    diff = {
        "fields": [{"source_ref": "s:2", "field": "buyer.country", "change": "less disclosed"},
                   {"source_ref": "s:3", "field": "incoterms", "change": "more disclosed"}],
        "decisions": [{"source_ref": "s:4", "old": "attach", "new": "withhold",
                       "old_reason": None, "new_reason": "tenor.beyond_short_term"}],
        "summary": {"buyer.country": {"less disclosed": 1}, "incoterms": {"more disclosed": 1}},
    }
    tree = run({"diff": diff})["tree"]
    rows = [e for e in elements(tree) if e["tag"] == "tr" and e["cls"]]
    assert [(r["cls"], texts(r)) for r in rows] == [
        ("decision-change", ["s:4", "attach", "withhold (tenor.beyond_short_term)"]),
        ("change-less", ["s:2", "buyer.country", "less disclosed"]),
        ("change-more", ["s:3", "incoterms", "more disclosed"]),
    ]
    assert texts(tree)[-2:] == ["buyer.country: 1 less disclosed", "incoterms: 1 more disclosed"]


def test_test_results_show_failures_with_their_reason() -> None:
    result = {"passed": 1, "failed": 1, "tests": [
        {"name": "test_a", "package": "p", "passed": True, "error": None},
        {"name": "test_b", "package": "p", "passed": False, "error": "undefined"},
    ]}
    tree = run({"tests": result})["tree"]
    assert texts(tree) == ["1 passed, 1 failed", "pass p.test_a", "FAIL p.test_b: undefined"]
    assert [e["cls"] for e in elements(tree)[1:]] == [
        "summary failed", "test-list", "test-pass", "test-fail"
    ]

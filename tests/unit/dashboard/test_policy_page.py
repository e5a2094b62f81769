"""The policy page over real HTTP: what each role sees, and the preview, test, activate and
rollback endpoints (kit: test_policy_page_kit.py; real engine, store, sessions and jobs)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.dashboard import _policy_view as policy_view
from gateway.policy import PolicyBundle
from gateway.transform.pseudonyms import pseudonym
from tests.unit.dashboard.served import Node, parse
from tests.unit.dashboard.test_policy_page_kit import (
    COUNTRY_LINE,
    RULE,
    TESTS,
    PolicyGateway,
    edited,
    gateway_config,
    gw,
    shipped_modules,
)

NOT_LEAVING = "\u2014"
BROKEN_TEST = ('\td.outcome == "attach"\n\td.fields.origin == ["keep"]',
               '\td.outcome == "withhold"\n\td.fields.origin == ["keep"]')


__all__ = ["gateway_config", "gw"]  # fixtures


def raw(node: Node) -> str:
    return "".join(node.parts)


def cells(page: Node, record: str, field: str) -> dict[str, str]:
    row = page.one("tr", class_="preview-row", data_record=record, data_field=field)
    return {td.attrs["class"]: raw(td) for td in row.all("td")}


def activate(gw: PolicyGateway, modules: dict[str, str], reason: str = "approved") -> int:
    answer = gw.post("officer", "/ui/policy/activate", {"modules": modules, "reason": reason})
    assert answer.status_code == 200, answer.text
    seq: int = answer.json()["seq"]
    return seq


def test_the_officer_sees_the_configured_version_its_text_and_what_leaves(
    gw: PolicyGateway,
) -> None:
    answer = gw.page("officer")
    assert answer.status_code == 200
    page = parse(answer.text)
    shipped = builtin_policy()
    assert page.one(id="active-state").text() == "configured, never activated"
    assert page.one(id="active-hash").text() == shipped.version[:12]
    options = [o.attrs["value"] for o in page.one("select", id="module-select").all("option")]
    assert options == [RULE, TESTS]
    assert raw(page.one("textarea", id="rego-editor")) == "\n" + shipped.modules[RULE]
    assert page.all("pre", id="rego-highlight") and page.all("button", id="activate")
    assert page.all("button", id="run-tests") and page.all("input", id="activation-reason")
    meta = page.one("meta", name="csrf-token").attrs["content"]
    assert meta == gw.headers("officer")["X-CSRF-Token"]
    samples = gw.ctx.jobs.samples()[:20]
    rows = page.all("tr", class_="preview-row")
    assert {r.attrs["data-record"] for r in rows} == {s.source_ref for s in samples}
    first = samples[0]
    name = cells(page, first.source_ref, "buyer.name")
    key = gw.ctx.runtime.current.pseudonym_key
    assert name["original"] == first.buyer.name
    assert name["leaves"] == pseudonym(key, "buyer", first.buyer.name)
    assert cells(page, first.source_ref, "buyer.address")["leaves"] == NOT_LEAVING
    assert cells(page, first.source_ref, "buyer.country")["leaves"] == first.buyer.country


def test_the_auditor_reads_the_policy_but_gets_no_edit_test_or_activate_control(
    gw: PolicyGateway,
) -> None:
    page = parse(gw.page("auditor").text)
    assert "readonly" in page.one("textarea", id="rego-editor").attrs
    assert not page.all("button", id="activate") and not page.all("button", id="run-tests")
    assert not page.all("form", class_="rollback-form")
    assert "cannot activate" in page.one(id="activation-not-allowed").text()
    assert page.all("tr", class_="preview-row")  # reading what leaves is for every role


def test_preview_returns_rows_and_the_diff_against_the_active_version(gw: PolicyGateway) -> None:
    answer = gw.post("officer", "/ui/policy/preview", {"modules": edited(COUNTRY_LINE, "")})
    assert answer.status_code == 200, answer.text
    doc: dict[str, Any] = answer.json()
    assert doc["policy"]["version"] == PolicyBundle(edited(COUNTRY_LINE, "")).version
    assert len(doc["records"]) == 20
    for record in doc["records"]:
        country = next(f for f in record["fields"] if f["field"] == "buyer.country")
        assert country["dropped"] and country["leaves"] is None and country["actions"] == []
    attached = [r["source_ref"] for r in doc["records"] if r["decision"] == "attach"]
    assert attached
    assert doc["diff"]["fields"] == [
        {"source_ref": ref, "field": "buyer.country", "change": "less disclosed"}
        for ref in attached
    ]
    same = gw.post("officer", "/ui/policy/preview", {"modules": shipped_modules()})
    assert same.json()["diff"] == {"fields": [], "decisions": [], "summary": {}}


def test_a_compile_error_is_422_with_the_engine_message_naming_module_and_line(
    gw: PolicyGateway,
) -> None:
    broken = edited('exporter_country := "KR"', 'exporter_country := := "KR"')
    answer = gw.post("officer", "/ui/policy/preview", {"modules": broken})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error.startswith(f"{RULE} line ")
    assert not any(s.buyer.name in error for s in gw.ctx.jobs.samples())


def test_the_test_endpoint_runs_the_candidate_tests_and_names_a_failure(
    gw: PolicyGateway,
) -> None:
    modules = shipped_modules()
    modules[TESTS] = modules[TESTS].replace(*BROKEN_TEST)
    answer = gw.post("officer", "/ui/policy/test", {"modules": modules})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    failed = [t["name"] for t in doc["tests"] if not t["passed"]]
    assert failed == ["test_success_customs_origin_is_disclosed"]
    assert doc["failed"] == 1 and doc["passed"] == len(doc["tests"]) - 1 > 10


def test_activation_records_who_and_why_and_the_page_shows_it(gw: PolicyGateway) -> None:
    modules = edited(COUNTRY_LINE, "")
    modules[TESTS] = modules[TESTS].replace('\t"buyer.country": ["keep"],\n', "", 1)
    seq = activate(gw, modules, reason="Country is not needed for cover (ticket 42)")
    active = gw.store.active_policy()
    assert active is not None and active.seq == seq and active.actor == "officer"
    assert active.reason == "Country is not needed for cover (ticket 42)"
    assert gw.ctx.runtime.current.engine.version == PolicyBundle(modules).version
    page = parse(gw.page("officer", f"?activated={seq}").text)
    assert page.one(id="active-state").text() == f"activated (#{seq})"
    assert page.one(id="active-by").text() == "officer"
    assert "Activated" in page.one(id="activation-result").text()
    first = gw.ctx.jobs.samples()[0].source_ref
    assert cells(page, first, "buyer.country")["leaves"] == NOT_LEAVING
    history = page.one("table", id="activation-history").all("tr", class_="history-row")
    assert [h.attrs["data-seq"] for h in history] == [str(seq)]


def test_a_refused_activation_is_409_with_the_failing_test_and_nothing_changes(
    gw: PolicyGateway,
) -> None:
    before = gw.ctx.runtime.current.engine.version
    modules = edited(COUNTRY_LINE, "")  # the shipped tests expect buyer.country: one fails
    answer = gw.post("officer", "/ui/policy/activate", {"modules": modules, "reason": "try"})
    assert answer.status_code == 409
    check = answer.json()["check"]
    assert check["ok"] is False and any("fails" in p for p in check["problems"])
    assert [t["name"] for t in check["tests"] if not t["passed"]] == [
        "test_success_attach_names_exactly_the_allowlisted_fields"
    ]
    assert gw.store.active_policy() is None
    assert gw.ctx.runtime.current.engine.version == before


def test_a_protected_field_in_clear_is_refused_and_the_form_page_says_why(
    gw: PolicyGateway,
) -> None:
    leaky = edited('"buyer.name": ["buyer_token"],', '"buyer.name": ["keep"],')
    answer = gw.form("officer", "/ui/policy/activate",
                     {"path": RULE, "text": leaky[RULE], "reason": "needs the name"})
    assert answer.status_code == 409
    error = parse(answer.text).one(id="activation-error")
    assert "hidden" not in error.attrs
    assert "buyer.name (buyer name) would leave in clear" in error.text()
    assert gw.store.active_policy() is None


def test_a_form_activation_edits_one_module_and_redirects_to_the_result(
    gw: PolicyGateway,
) -> None:
    text = shipped_modules()[RULE] + "\n# reviewed by compliance\n"
    answer = gw.form("officer", "/ui/policy/activate",
                     {"path": RULE, "text": text.replace("\n", "\r\n"), "reason": "review"})
    assert answer.status_code == 303
    active = gw.store.active_policy()
    assert active is not None and answer.headers["location"] == f"/ui/policy?activated={active.seq}"
    kept = gw.store.get_policy_version(active.version)
    assert kept is not None and kept.modules[RULE] == text
    assert kept.modules[TESTS] == shipped_modules()[TESTS]


def test_rollback_returns_to_an_earlier_version_with_a_reason(gw: PolicyGateway) -> None:
    first = activate(gw, shipped_modules(), reason="baseline")
    second = activate(gw, edited("package redaction.export_record\n",
                                 "package redaction.export_record\n\n# second version\n"), "v2")
    page = parse(gw.page("officer").text)
    buttons = page.all("form", class_="rollback-form")
    shipped = builtin_policy().version
    assert [f.one("input", name="version").attrs["value"] for f in buttons] == [shipped]
    assert second > first
    no_reason = gw.post("officer", "/ui/policy/rollback", {"version": shipped, "reason": ""})
    assert no_reason.status_code == 422
    answer = gw.form("officer", "/ui/policy/rollback", {"version": shipped, "reason": "revert"})
    assert answer.status_code == 303
    active = gw.store.active_policy()
    assert active is not None and active.action == "rollback" and active.version == shipped
    assert active.reason == "revert" and gw.ctx.runtime.current.engine.version == shipped
    history = parse(gw.page("officer").text).all("tr", class_="history-row")
    assert [h.attrs["data-seq"] for h in history] == [str(active.seq), str(second), str(first)]


def test_the_other_modules_open_by_name_and_an_unknown_name_opens_the_first(
    gw: PolicyGateway,
) -> None:
    page = parse(gw.page("officer", f"?module={TESTS}").text)
    assert raw(page.one("textarea", id="rego-editor")) == "\n" + shipped_modules()[TESTS]
    assert page.one("input", id="activation-path").attrs["value"] == TESTS
    other = parse(gw.page("officer", "?module=../../etc/passwd").text)
    assert raw(other.one("textarea", id="rego-editor")) == "\n" + shipped_modules()[RULE]


def test_while_a_sync_holds_the_pipeline_the_page_waits_then_says_so(
    gw: PolicyGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy_view, "LOCK_WAIT_S", 0.05)
    gw.page("officer")  # signed in before the lock is taken
    with gw.ctx.pipeline_lock:  # what a running sync holds
        busy = gw.post("officer", "/ui/policy/preview", {"modules": shipped_modules()})
        page = parse(gw.page("officer").text)
    assert busy.status_code == 503 and "sync is running" in busy.json()["error"]
    assert "A sync is running" in page.one(id="sample-note").text()
    assert not page.all("tr", class_="preview-row")
    after = gw.post("officer", "/ui/policy/preview", {"modules": shipped_modules()})
    assert after.status_code == 200

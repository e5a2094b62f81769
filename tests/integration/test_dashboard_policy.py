"""The compliance officer's round trip on the policy page, end to end over real HTTP: preview
an edit, see it refused, fix it, activate it, and find that the next sync sends exactly what
the preview showed; then roll back.

Real keys, engine, store, sessions and serve jobs (tests/unit/dashboard/test_policy_page_kit.py);
the sync writes signed submissions to the outbox (delivery to an insurer is not needed here).
"""

from __future__ import annotations

from typing import Any

from gateway.adapters.policy_files import builtin_policy
from gateway.service.jobs import process_with
from tests.support import jws_payload
from tests.unit.dashboard.served import parse
from tests.unit.dashboard.test_policy_page_kit import (
    COUNTRY_LINE,
    TESTS,
    PolicyGateway,
    edited,
    gateway_config,
    gw,
)

__all__ = ["gateway_config", "gw"]  # fixtures


def sent_attachments(gw: PolicyGateway) -> list[dict[str, Any]]:
    """Every attachment in the outbox's signed submissions, as the insurer would read it."""
    out: list[dict[str, Any]] = []
    for submission in gw.store.list_submissions(limit=1000):
        out.extend(jws_payload(submission.jws)["attachments"])
    return out


def test_what_the_preview_shows_is_what_the_next_sync_sends_and_rollback_restores(
    gw: PolicyGateway,
) -> None:
    baseline = gw.post("officer", "/ui/policy/activate",
                       {"modules": dict(builtin_policy().modules), "reason": "baseline"})
    assert baseline.status_code == 200, baseline.text
    modules = edited(COUNTRY_LINE, "")
    refused = gw.post("officer", "/ui/policy/activate", {"modules": modules, "reason": "v2"})
    assert refused.status_code == 409  # the shipped tests still expect buyer.country
    modules[TESTS] = modules[TESTS].replace('\t"buyer.country": ["keep"],\n', "", 1)
    tests = gw.post("officer", "/ui/policy/test", {"modules": modules}).json()
    assert tests["failed"] == 0 and tests["passed"] > 10

    preview = gw.post("officer", "/ui/policy/preview", {"modules": modules})
    assert preview.status_code == 200
    shown = {
        r["source_ref"]: {f["field"]: f["leaves"] for f in r["fields"] if not f["dropped"]}
        for r in preview.json()["records"] if r["decision"] == "attach"
    }
    assert shown and all("buyer.country" not in leaves for leaves in shown.values())

    activated = gw.post("officer", "/ui/policy/activate",
                        {"modules": modules, "reason": "country not needed (ticket 42)"})
    assert activated.status_code == 200, activated.text
    with gw.ctx.pipeline_lock:
        _, result = process_with(gw.settings, gw.ctx.runtime, gw.store)
    assert result.submissions
    sent = {a["invoice_number"]: {k: v for k, v in a.items() if k != "revision"}
            for a in sent_attachments(gw)}
    by_token = {leaves["invoice_number"]: leaves for leaves in shown.values()}
    assert by_token.keys() <= sent.keys()
    for token, leaves in by_token.items():
        assert sent[token] == leaves  # tokens included: the preview used the runtime's key

    shipped = builtin_policy().version
    back = gw.form("officer", "/ui/policy/rollback",
                   {"version": shipped, "reason": "insurer asked for the country again"})
    assert back.status_code == 303
    page = parse(gw.page("officer", "?" + back.headers["location"].split("?", 1)[1]).text)
    assert "Rolled back to" in page.one(id="activation-result").text()
    assert page.one(id="active-hash").text() == shipped[:12]
    again = gw.post("officer", "/ui/policy/preview", {"modules": modules}).json()
    assert {c["change"] for c in again["diff"]["fields"]} == {"less disclosed"}
    assert {c["field"] for c in again["diff"]["fields"]} == {"buyer.country"}

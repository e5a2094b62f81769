"""gateway.policy.compare: preview rows and the diff of two evaluations of one sample."""

from __future__ import annotations

import pytest

from gateway.errors import PolicyError
from gateway.policy.compare import (
    DROPPED,
    EXPOSURE,
    Change,
    RecordView,
    diff_views,
    field_rows,
)

ACTIONS = {"buyer.country": ("keep",), "hs_code": ("hs4",), "amount": ("band", "exposure")}
LEAVES = {"buyer.country": "DE", "hs_code": "8504", "amount": {"lower": "0", "upper": "10"}}


def attached(ref: str, **leaves: object) -> RecordView:
    return RecordView(ref, "attach", None, ACTIONS, {**LEAVES, **leaves}, exposure=True)


def test_field_rows_follow_the_record_and_mark_unnamed_fields_dropped() -> None:
    original = {"source_ref": "s:2", "hs_code": "850440", "buyer.address": "1 Street"}
    rows = field_rows(original, attached("s:2"))
    assert [r.field for r in rows] == ["hs_code", "buyer.address"]
    assert (rows[0].actions, rows[0].leaves, rows[0].dropped) == (("hs4",), "8504", False)
    assert (rows[1].actions, rows[1].leaves, rows[1].dropped) == ((), DROPPED, True)


def test_a_field_no_longer_sent_is_less_disclosed() -> None:
    kept = {"hs_code": "8504", "amount": LEAVES["amount"]}
    new = RecordView("s:2", "attach", None, ACTIONS, kept, exposure=True)
    diff = diff_views([attached("s:2")], [new])
    assert [(c.source_ref, c.field, c.change) for c in diff.fields] == [
        ("s:2", "buyer.country", Change.LESS)
    ]
    assert diff.decisions == () and diff.summary == {"buyer.country": {"less disclosed": 1}}


def test_more_disclosed_and_changed_values_are_told_apart() -> None:
    old = attached("s:2")
    new = attached("s:2", hs_code="850440", incoterms="FOB")
    diff = diff_views([old], [new])
    assert {(c.field, c.change) for c in diff.fields} == {
        ("hs_code", Change.CHANGED),
        ("incoterms", Change.MORE),
    }


def test_equal_values_under_different_actions_are_no_change() -> None:
    new = RecordView("s:2", "attach", None, {"hs_code": ("keep",)}, LEAVES, exposure=True)
    assert diff_views([attached("s:2")], [new]).empty


def test_a_withheld_record_is_a_decision_change_and_discloses_less() -> None:
    new = RecordView("s:2", "withhold", "tenor.beyond_short_term")
    diff = diff_views([attached("s:2"), attached("s:3")], [new, attached("s:3")])
    (change,) = diff.decisions
    assert (change.source_ref, change.old, change.new, change.new_reason) == (
        "s:2", "attach", "withhold", "tenor.beyond_short_term",
    )
    assert {c.field for c in diff.fields} == {*LEAVES, EXPOSURE}
    assert {c.change for c in diff.fields} == {Change.LESS}
    assert all(c.source_ref == "s:2" for c in diff.fields)


def test_evaluations_of_different_records_are_refused() -> None:
    with pytest.raises(PolicyError):
        diff_views([attached("s:2")], [attached("s:3")])
    with pytest.raises(PolicyError):
        diff_views([attached("s:2")], [])

"""Protected fields: which operators disclose them in clear, and what counts as a justification."""

from __future__ import annotations

import pytest

from gateway.errors import PolicyError
from gateway.policy.protected import (
    MIN_JUSTIFICATION_CHARS,
    PROTECTED_FIELDS,
    check_exceptions,
    clear_findings,
    in_clear,
)

GOOD = "The insurer's cover terms require this field for capital goods (clause 7.2)."


@pytest.mark.parametrize("field", sorted(PROTECTED_FIELDS))
def test_keep_and_truncate_disclose_protected_fields_other_operators_do_not(field: str) -> None:
    assert in_clear(field, "keep") and in_clear(field, "truncate")
    for kind in ("drop", "pseudonymise", "band", "encrypt", "month"):
        assert not in_clear(field, kind)


def test_unprotected_fields_may_leave_in_clear() -> None:
    assert not in_clear("buyer.country", "keep")
    assert not in_clear("hs_code", "truncate")


def test_findings_count_records_per_field_and_operator() -> None:
    types = {"keep": "keep", "buyer_token": "pseudonymise", "first4": "truncate"}
    decisions = [
        {"buyer.name": ["buyer_token"], "line_items": ["keep"]},
        {"buyer.name": ["first4"], "line_items": ["keep"], "buyer.country": ["keep"]},
        {"invoice_number": ["nonexistent"]},
    ]
    found = [(f.field, f.operator, f.records) for f in clear_findings(decisions, types)]
    assert found == [("buyer.name", "first4", 1), ("line_items", "keep", 2)]


def test_exceptions_are_checked_and_normalised() -> None:
    assert check_exceptions(None, where="x") == {}
    assert check_exceptions({"line_items": "  " + GOOD + "\n"}, where="x") == {"line_items": GOOD}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["line_items"], "must be an object"),
        ({"buyer.country": GOOD}, "not a protected field"),
        ({"line_items": 7}, "must be text"),
        ({"line_items": "TBD"}, "write the justification out"),
        ({"line_items": "x" * (MIN_JUSTIFICATION_CHARS - 1)}, "write the justification out"),
        ({"line_items": "x" * 2001}, "longer than"),
    ],
)
def test_bad_exceptions_are_refused_without_echoing_the_text(value: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as caught:
        check_exceptions(value, where="data.redaction.export_record.disclosure_exceptions")
    assert "TBD" not in str(caught.value) and "xxxx" not in str(caught.value)

"""Receivable: paid means settled in full; values never appear in validation errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.guard import Receivable

BASE: dict[str, Any] = {
    "buyer_key": "acmetrading",
    "invoice_number": "INV-1",
    "currency": "USD",
    "outstanding_minor": 1000,
    "due_date": date(2026, 1, 31),
    "source_ref": "receivables.csv:2",
}


def test_open_and_settled_items() -> None:
    open_item = Receivable(**BASE)
    assert open_item.unpaid_on(date(2026, 3, 1))
    settled = Receivable(**{**BASE, "outstanding_minor": 0, "paid_on": date(2026, 2, 10)})
    assert settled.unpaid_on(date(2026, 2, 9))
    assert not settled.unpaid_on(date(2026, 2, 10))
    assert settled.days_overdue_on(date(2026, 2, 10)) == 10
    assert settled.days_overdue_on(date(2026, 1, 30)) == -1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outstanding_minor": 0}, "nothing is outstanding but there is no paid date"),
        ({"paid_on": date(2026, 2, 1)}, "still outstanding"),
        ({"outstanding_minor": -1}, "greater than or equal to 0"),
        ({"currency": "XXQ"}, "ISO 4217"),
        ({"invoice_number": "SECRET\x00INV"}, "control characters"),
        ({"buyer_key": ""}, "at least 1 character"),
        ({"extra": "SECRET"}, "Extra inputs"),
    ],
)
def test_invalid_receivables_are_refused_without_echoing(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Receivable(**{**BASE, **change})
    assert "SECRET" not in str(caught.value)


def test_receivables_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Receivable(**BASE).outstanding_minor = 0  # type: ignore[misc]

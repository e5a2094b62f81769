"""The continuing-export guard: overdue on the shipment date, by more than the limit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.errors import ConfigError
from gateway.guard import GuardWarning, Receivable, buyer_key, continuing_export_warnings

ACME = buyer_key("Acme Trading Co., Ltd.")
OTHER = buyer_key("Other Imports GmbH")
DUE = date(2026, 1, 10)


def receivable(
    invoice: str = "INV-1",
    key: str = ACME,
    due: date = DUE,
    paid_on: date | None = None,
) -> Receivable:
    return Receivable(
        buyer_key=key,
        invoice_number=invoice,
        currency="USD",
        outstanding_minor=0 if paid_on else 125_000,
        due_date=due,
        paid_on=paid_on,
        source_ref=f"receivables.csv:{invoice}",
    )


def ship(days_after_due: int, key: str = ACME, ref: str = "S1") -> tuple[str, str, date]:
    return (ref, key, DUE + timedelta(days=days_after_due))


def test_thirty_days_overdue_is_not_warned_thirty_one_is() -> None:
    assert continuing_export_warnings([ship(30)], [receivable()]) == []
    (warning,) = continuing_export_warnings([ship(31)], [receivable()])
    assert warning == GuardWarning("S1", ACME, DUE + timedelta(days=31), ("INV-1",), 31)


def test_paid_before_the_shipment_is_not_warned() -> None:
    paid = receivable(paid_on=DUE + timedelta(days=40))
    assert continuing_export_warnings([ship(45)], [paid]) == []


def test_paid_on_the_shipment_day_counts_as_paid() -> None:
    paid = receivable(paid_on=DUE + timedelta(days=45))
    assert continuing_export_warnings([ship(45)], [paid]) == []


def test_paid_after_the_shipment_is_still_warned() -> None:
    paid_late = receivable(paid_on=DUE + timedelta(days=46))
    (warning,) = continuing_export_warnings([ship(45)], [paid_late])
    assert warning.max_days_overdue == 45


def test_other_buyers_are_unaffected() -> None:
    shipments = [ship(60, OTHER, "S-other"), ship(60, ACME, "S-acme"), ship(60, "", "S-none")]
    warnings = continuing_export_warnings(shipments, [receivable()])
    assert [w.ref for w in warnings] == ["S-acme"]


def test_buyer_name_variants_share_a_key() -> None:
    variant = buyer_key("ACME TRADING CO LTD")
    (warning,) = continuing_export_warnings([ship(31, variant)], [receivable()])
    assert warning.buyer_key == ACME


def test_several_overdue_invoices_oldest_first_with_the_worst_age() -> None:
    book = [
        receivable("INV-3", due=DUE + timedelta(days=5)),
        receivable("INV-1", due=DUE - timedelta(days=20)),
        receivable("INV-2", due=DUE),
        receivable("INV-2", due=DUE),  # the same invoice listed twice
        receivable("INV-4", due=DUE + timedelta(days=20)),  # only 20 days overdue
        receivable("INV-5", due=DUE - timedelta(days=90), paid_on=DUE),  # paid long ago
    ]
    (warning,) = continuing_export_warnings([ship(40)], book)
    assert warning.overdue_invoices == ("INV-1", "INV-2", "INV-3")
    assert warning.max_days_overdue == 60


def test_the_limit_is_configurable() -> None:
    assert continuing_export_warnings([ship(60)], [receivable()], overdue_days=60) == []
    assert len(continuing_export_warnings([ship(61)], [receivable()], overdue_days=60)) == 1
    assert len(continuing_export_warnings([ship(1)], [receivable()], overdue_days=0)) == 1
    assert continuing_export_warnings([ship(0)], [receivable()], overdue_days=0) == []


@pytest.mark.parametrize("days", [-1, 3651])
def test_bad_limits_are_refused(days: int) -> None:
    with pytest.raises(ConfigError):
        continuing_export_warnings([ship(40)], [receivable()], overdue_days=days)


def test_warnings_follow_shipment_order_and_inputs_may_be_iterators() -> None:
    shipments = [ship(50, ref="B"), ship(10, ref="skip"), ship(40, ref="A")]
    warnings = continuing_export_warnings(iter(shipments), iter([receivable()]))
    assert [w.ref for w in warnings] == ["B", "A"]


def test_many_buyers_and_invoices() -> None:
    """Each of 2,000 buyers has 10 invoices; only buyers divisible by 7 left one unpaid."""
    keys = [buyer_key(f"Buyer {n:04d} Ltd") for n in range(2000)]
    book = [
        receivable(f"I{n}-{i}", key, DUE + timedelta(days=i),
                   None if (n % 7 == 0 and i == 0) else DUE + timedelta(days=i))
        for n, key in enumerate(keys)
        for i in range(10)
    ]
    shipments = [(f"S{n}", key, DUE + timedelta(days=45)) for n, key in enumerate(keys)]
    warnings = continuing_export_warnings(shipments, book)
    assert [w.ref for w in warnings] == [f"S{n}" for n in range(0, 2000, 7)]
    assert all(w.overdue_invoices == (f"I{w.ref[1:]}-0",) for w in warnings)

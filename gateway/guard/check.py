"""The continuing-export guard: shipments to buyers who were overdue on the shipment date.

Export credit terms (K-SURE's among them) refuse claims for goods shipped to a buyer who was
already more than a set number of days (30) overdue on an earlier invoice. This check finds such
shipments so the exporter learns of them locally, before relying on the cover. IO-free; cost is
about linear: receivables are indexed by buyer and sorted by due date once, and each shipment
looks only at its buyer's invoices that were due early enough to be overdue.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Final

from gateway.errors import ConfigError
from gateway.guard.model import GuardWarning, Receivable

MAX_OVERDUE_DAYS: Final = 3650


class _BuyerBook:
    """One buyer's receivables sorted by due date, with the due dates for bisection."""

    __slots__ = ("due", "items")

    def __init__(self, items: Sequence[Receivable]) -> None:
        self.items = sorted(items, key=lambda r: (r.due_date, r.invoice_number, r.source_ref))
        self.due = [r.due_date for r in self.items]

    def overdue(self, day: date, limit: int) -> list[Receivable]:
        """Invoices unpaid on ``day`` and more than ``limit`` days past due on it."""
        latest_due = day - timedelta(days=limit)  # due strictly before this is overdue enough
        end = bisect_left(self.due, latest_due)
        return [r for r in self.items[:end] if r.unpaid_on(day)]


def _index(receivables: Iterable[Receivable]) -> dict[str, _BuyerBook]:
    by_buyer: dict[str, list[Receivable]] = defaultdict(list)
    for receivable in receivables:
        by_buyer[receivable.buyer_key].append(receivable)
    return {key: _BuyerBook(items) for key, items in by_buyer.items()}


class ContinuingExportGuard:
    """The receivables indexed once; :meth:`check` then takes shipments in any number of
    batches (a reconciled sync streams them)."""

    def __init__(self, receivables: Iterable[Receivable], *, overdue_days: int = 30) -> None:
        if not 0 <= overdue_days <= MAX_OVERDUE_DAYS:
            raise ConfigError(f"overdue_days must be between 0 and {MAX_OVERDUE_DAYS}")
        self._books = _index(receivables)
        self._limit = overdue_days

    def check(self, shipments: Iterable[tuple[str, str, date]]) -> list[GuardWarning]:
        """A warning for each ``(ref, buyer_key, shipment_date)`` whose buyer, on the shipment
        date, had an unpaid invoice more than ``overdue_days`` days past its due date. Warnings
        come in shipment input order; shipments without one are left out."""
        warnings = []
        for ref, buyer, shipped in shipments:
            book = self._books.get(buyer)
            if book is None:
                continue
            late = book.overdue(shipped, self._limit)
            if late:
                invoices = tuple(dict.fromkeys(r.invoice_number for r in late))
                worst = max(r.days_overdue_on(shipped) for r in late)
                warnings.append(GuardWarning(ref, buyer, shipped, invoices, worst))
        return warnings


def continuing_export_warnings(
    shipments: Iterable[tuple[str, str, date]],
    receivables: Iterable[Receivable],
    *,
    overdue_days: int = 30,
) -> list[GuardWarning]:
    """:meth:`ContinuingExportGuard.check` of ``shipments`` against ``receivables``."""
    return ContinuingExportGuard(receivables, overdue_days=overdue_days).check(shipments)

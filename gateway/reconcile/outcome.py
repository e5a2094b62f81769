"""Outcomes of reconciliation: one :class:`Match` per group of ERP records and declarations.

Reason codes (conflicts only) and flags are stable strings that reports and tests rely on.
``Match.detail`` is for logs: it names source references, declaration numbers, counts and field
names, never buyer names or amounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from gateway.model import ExportDeclaration, ExportRecord


class MatchKind(StrEnum):
    """What reconciliation concluded about a group."""

    MATCHED = "matched"  # ERP invoice(s) and declaration(s) agree
    CUSTOMS_ONLY = "customs_only"  # cleared export the ERP feed never notified: attach it
    ERP_ONLY = "erp_only"  # notified but not (yet) cleared: pending
    CONFLICT = "conflict"  # linked, but they disagree: hold for review


CONFLICT_AMOUNT: Final = "reconcile.conflict.amount"
CONFLICT_CURRENCY: Final = "reconcile.conflict.currency"
CONFLICT_BUYER: Final = "reconcile.conflict.buyer"
CONFLICT_COUNTRY: Final = "reconcile.conflict.country"
CONFLICT_DUPLICATE: Final = "reconcile.conflict.duplicate"
#: Every conflict reason, in the order of precedence when several apply.
CONFLICT_REASONS: Final = (
    CONFLICT_DUPLICATE,
    CONFLICT_CURRENCY,
    CONFLICT_BUYER,
    CONFLICT_COUNTRY,
    CONFLICT_AMOUNT,
)

SPLIT: Final = "split"  # one invoice over several declarations
CONSOLIDATED: Final = "consolidated"  # several invoices on one declaration
FUZZY: Final = "fuzzy"  # matched by buyer, date window and amount, not by a number
FX: Final = "fx"  # amounts compared in KRW through the configured rates
STALE: Final = "stale"  # ERP-only and shipped longer ago than the pending window
NOT_SHIPPED: Final = "not_shipped"  # a declaration accepted but not loaded yet
NEAR_DUPLICATE: Final = "near_duplicate"  # another record has the same buyer, amount and date
LATE_DECLARATION: Final = "late_declaration"  # declaration dated after the ERP shipment date
DATE_GAP: Final = "date_outside_window"  # linked by number, dates further apart than the window
DECLARATION_NOT_FOUND: Final = "declaration_not_found"  # ERP names a declaration not received
DUPLICATE_DECLARATION: Final = "duplicate_declaration"  # one declaration number seen twice
DUPLICATE_INVOICE: Final = "duplicate_invoice"  # one invoice number on two ERP records


@dataclass(frozen=True, slots=True)
class Match:
    """One group: its kind, the ERP records and declarations in it, and why."""

    kind: MatchKind
    erp: tuple[ExportRecord, ...]
    declarations: tuple[ExportDeclaration, ...]
    reason: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    detail: str = ""

    def __post_init__(self) -> None:
        if (self.kind is MatchKind.CONFLICT) != (self.reason is not None):
            raise ValueError("a conflict needs a reason and only a conflict has one")
        if not self.erp and not self.declarations:
            raise ValueError("a match holds at least one record")

    def sort_key(self) -> tuple[date, tuple[str, ...], tuple[str, ...], str]:
        """Deterministic order: shipment date, declaration numbers, ERP references, kind."""
        dates = [r.shipment_date for r in self.erp] + [d.shipment_date for d in self.declarations]
        return (
            min(dates),
            tuple(d.declaration_number for d in self.declarations),
            tuple(r.source_ref for r in self.erp),
            self.kind.value,
        )


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """All outcomes of one reconciliation, in deterministic order."""

    matches: tuple[Match, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches", tuple(sorted(self.matches, key=Match.sort_key)))

    def __iter__(self) -> Iterator[Match]:
        return iter(self.matches)

    def __len__(self) -> int:
        return len(self.matches)

    def counts(self) -> dict[MatchKind, int]:
        """Number of outcomes of each kind (every kind present, zero included)."""
        result = dict.fromkeys(MatchKind, 0)
        for match in self.matches:
            result[match.kind] += 1
        return result

    def of_kind(self, kind: MatchKind | str) -> tuple[Match, ...]:
        """The outcomes of one kind, in order."""
        wanted = MatchKind(kind)
        return tuple(m for m in self.matches if m.kind is wanted)

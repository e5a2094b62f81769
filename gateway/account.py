"""Accounts of a sync: per source, read = attached + withheld + quarantined + pending + unchanged.

Plain data shared by the pipeline, the CLI report and the service; no stage logic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class SourceAccount:
    """Per-source account: read = attached + withheld + quarantined + pending + unchanged.

    ``unchanged`` counts records identical to a version an earlier submission already attached
    (a re-read of the same export): they are not sent again.
    """

    read: int = 0
    attached: int = 0
    withheld: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    pending: int = 0
    unchanged: int = 0

    def balanced(self) -> bool:
        accounted = (
            self.attached
            + sum(self.withheld.values())
            + self.quarantined
            + self.pending
            + self.unchanged
        )
        return self.read == accounted

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "attached": self.attached,
            "withheld": dict(sorted(self.withheld.items())),
            "quarantined": self.quarantined,
            "pending": self.pending,
            "unchanged": self.unchanged,
        }


@dataclass
class SyncResult:
    """What one pass produced: accounts per source, submissions written, delivery outcome."""

    run_id: str
    sources: dict[str, SourceAccount]
    submissions: list[str] = field(default_factory=list)
    already_submitted: list[str] = field(default_factory=list)
    buckets: int = 0
    suppressed_records: int = 0
    delivered: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    dead: dict[str, str] = field(default_factory=dict)
    breaker_open_until: datetime | None = None
    reconciliation: ReconcileSummary | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # unchanged source -> run that read it

    def totals(self) -> SourceAccount:
        total = SourceAccount()
        for acc in self.sources.values():
            total.read += acc.read
            total.attached += acc.attached
            total.withheld.update(acc.withheld)
            total.quarantined += acc.quarantined
            total.pending += acc.pending
            total.unchanged += acc.unchanged
        return total


@dataclass
class ReconcileSummary:
    """What reconciliation, the deadline clock and the continuing-export guard found.

    Local only: it names rows, declaration numbers and invoice numbers of the exporter's own
    records, never buyer names or amounts, and nothing in it is sent to the insurer.
    """

    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    auto_attached: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    guard: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "counts": dict(self.counts),
            "auto_attached": self.auto_attached,
            "pending": self.pending,
            "conflicts": self.conflicts,
            "deadlines": self.deadlines,
            "continuing_export_warnings": self.guard,
        }

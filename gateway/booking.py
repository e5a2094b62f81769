"""Booking a reconciliation: which shipments are attached, pending or withheld, and the report.

Pure: it takes the reconciler's groups and the accounts of the sources each record came from,
and books every ERP record and declaration exactly once. The pipeline does the reading and the
writing around it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gateway.account import ReconcileSummary, SourceAccount
from gateway.deadlines import BusinessCalendar, DeadlineState, Rule, assess
from gateway.errors import RecordError
from gateway.guard import ContinuingExportGuard, Receivable
from gateway.guard import buyer_key as guard_buyer_key
from gateway.ingest import Quarantined
from gateway.model import ExportDeclaration, ExportRecord, RecordOrigin
from gateway.reconcile import (
    NOT_SHIPPED,
    STALE,
    Match,
    MatchKind,
    ReconcileConfig,
    Reconciliation,
    enrich,
    record_from_declaration,
)

#: Which source accounts one record stands for: (account, how many of that source's items).
Attribution = tuple[tuple[SourceAccount, int], ...]
GUARD_FIELD = "guard.max_days_overdue"


def book(attribution: Attribution, outcome: str, reason: str | None = None) -> None:
    """Count one record's outcome in every account it stands for."""
    for account, n in attribution:
        if outcome == "attached":
            account.attached += n
        elif outcome == "withheld":
            account.withheld[reason or "policy.undefined"] += n
        elif outcome == "quarantined":
            account.quarantined += n
        elif outcome == "unchanged":
            account.unchanged += n
        else:
            account.pending += n


@dataclass(frozen=True)
class ReconcileSetup:
    """Reconciliation settings, the notification deadline rule and the guard threshold."""

    config: ReconcileConfig
    rule: Rule
    calendar: BusinessCalendar
    warn_business_days: int = 2
    overdue_days: int = 30


@dataclass
class Booking:
    """The result of routing every group: records to attach, and what was held back."""

    setup: ReconcileSetup
    summary: ReconcileSummary
    attachable: list[tuple[ExportRecord, Attribution]] = field(default_factory=list)
    held: list[tuple[str, date]] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    pending_erp: list[ExportRecord] = field(default_factory=list)  # ERP records still waiting
    # Every declaration an attached ERP record was matched with (a split shipment has several).
    declarations_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kinds: Counter[MatchKind] = field(default_factory=Counter)  # groups routed, by kind
    matched_left: int = 0  # matched groups at least one of whose declarations shipped

    def route_all(
        self,
        outcome: Reconciliation,
        erp_accounts: Mapping[int, SourceAccount],
        decl_accounts: Mapping[str, SourceAccount],
    ) -> None:
        for match in outcome:
            decls: Attribution = tuple((decl_accounts[d.source_ref], 1) for d in match.declarations)
            erp: Attribution = tuple((erp_accounts[id(r)], 1) for r in match.erp)
            self.route(match, decls, erp)
        self.count()

    def count(self) -> None:
        """The report's counts, once every group is routed."""
        counts = {kind.value: self.kinds[kind] for kind in MatchKind}
        counts["matched"] = self.matched_left
        counts["auto_attached"] = len(self.summary.auto_attached)
        counts["not_shipped"] = sum(1 for p in self.summary.pending if p["not_shipped"])
        counts["stale"] = sum(1 for p in self.summary.pending if p["stale"])
        counts["quarantined"] = len(self.quarantined)
        self.summary.counts.update(counts)

    def route(self, match: Match, decls: Attribution, erp: Attribution) -> None:
        """Book one group (``decls`` and ``erp``: the account of each of its declarations and
        ERP records). A group has left once any of its declarations shipped (a split shipment
        may leave in parts); a group none of whose declarations shipped yet is pending."""
        left = any(d.shipped for d in match.declarations)
        self.kinds[match.kind] += 1
        self.matched_left += match.kind is MatchKind.MATCHED and left
        if match.kind is MatchKind.MATCHED and left:
            numbers = tuple(d.declaration_number for d in match.declarations)
            for i, record in enumerate(match.erp):
                self.declarations_of[record.source_ref] = numbers
                enriched = enrich(record, match.declarations)
                enriched = enriched.model_copy(update={"origin": RecordOrigin.RECONCILED})
                self.attachable.append((enriched, (erp[i], *(decls if i == 0 else ()))))
        elif match.kind is MatchKind.CUSTOMS_ONLY and left:
            for decl, share in zip(match.declarations, decls, strict=True):
                self._customs_only(match, decl, share)
        elif match.kind is MatchKind.CONFLICT:
            book(erp + decls, "withheld", match.reason)
            self.summary.conflicts.append(
                {
                    "reason": match.reason,
                    "erp": [r.source_ref for r in match.erp],
                    "declarations": [d.declaration_number for d in match.declarations],
                    "flags": sorted(match.flags),
                    "detail": match.detail,
                }
            )
            self._hold(match)
        else:  # ERP-only (not yet cleared), or declared but not shipped yet: pending
            book(erp + decls, "pending")
            self.pending_erp.extend(match.erp)
            self.summary.pending.append(_pending_entry(match, None))
            self._hold(match)

    def _customs_only(
        self, match: Match, decl: ExportDeclaration, share: tuple[SourceAccount, int]
    ) -> None:
        if not decl.shipped:
            book((share,), "pending")
            self.summary.pending.append(_pending_entry(match, decl))
            self.held.append((decl.declaration_number, decl.shipment_date))
            return
        try:
            record = record_from_declaration(decl, self.setup.config)
        except RecordError as exc:  # e.g. a declared HS code the record model refuses
            source, _, row = decl.source_ref.rpartition(":")
            self.quarantined.append(Quarantined(source, int(row or 0), exc.field, exc.reason, {}))
            book((share,), "quarantined")
            return
        self.attachable.append(
            (record.model_copy(update={"origin": RecordOrigin.CUSTOMS}), (share,))
        )
        self.summary.auto_attached.append(
            {
                "declaration_number": decl.declaration_number,
                "source_ref": decl.source_ref,
                "shipment_date": decl.shipment_date.isoformat(),
                "detail": match.detail,
            }
        )

    def _hold(self, match: Match) -> None:
        refs = [r.source_ref for r in match.erp] or [
            d.declaration_number for d in match.declarations
        ]
        self.held.extend((ref, _shipped(match)) for ref in refs)

    def deadlines(self, as_of: date) -> None:
        """The notification clock of every shipment held back (pending, not shipped, conflict):
        those can still miss their deadline. Records attached in this run are notified now."""
        statuses = assess(
            [(ref, shipped, None) for ref, shipped in self.held],
            self.setup.rule,
            self.setup.calendar,
            as_of=as_of,
            warn_business_days=self.setup.warn_business_days,
        )
        flagged = [s for s in statuses if s.state in (DeadlineState.AT_RISK, DeadlineState.MISSED)]
        self.summary.deadlines = [
            {
                "ref": s.ref,
                "shipment_date": s.shipment_date.isoformat(),
                "deadline": s.deadline.isoformat(),
                "state": s.state.value,
                "business_days_left": s.business_days_left,
            }
            for s in flagged
        ]
        states = [s.state for s in flagged]
        self.summary.counts["deadline_at_risk"] = states.count(DeadlineState.AT_RISK)
        self.summary.counts["deadline_missed"] = states.count(DeadlineState.MISSED)

    def guard(self, receivables: Iterable[Receivable]) -> dict[str, dict[str, Any]]:
        """Continuing-export warnings; the policy input gets the days overdue, and decides."""
        check = ContinuingExportGuard(receivables, overdue_days=self.setup.overdue_days)
        return self.guard_batch(check, self.attachable)

    def guard_batch(
        self, check: ContinuingExportGuard, items: Iterable[tuple[ExportRecord, Attribution]]
    ) -> dict[str, dict[str, Any]]:
        """:meth:`guard` for some of the records to attach (a streamed sync's, batch by batch);
        the report's warnings and count grow with each batch."""
        warnings = check.check(
            (r.source_ref, guard_buyer_key(r.buyer.name, r.buyer.insurer_code), r.shipment_date)
            for r, _ in items
        )
        self.summary.guard += [
            {
                "ref": w.ref,
                "shipment_date": w.shipment_date.isoformat(),
                "overdue_invoices": list(w.overdue_invoices),
                "max_days_overdue": w.max_days_overdue,
            }
            for w in warnings
        ]
        self.summary.counts["continuing_export_warnings"] = len(self.summary.guard)
        return {w.ref: {GUARD_FIELD: w.max_days_overdue} for w in warnings}


def _shipped(match: Match) -> date:
    return min([r.shipment_date for r in match.erp] + [d.shipment_date for d in match.declarations])


def _pending_entry(match: Match, decl: ExportDeclaration | None) -> dict[str, Any]:
    """One held-back shipment for the report: a whole group, or one unshipped declaration."""
    decls: Sequence[ExportDeclaration] = [decl] if decl else match.declarations
    return {
        "erp": [] if decl else [r.source_ref for r in match.erp],
        "declarations": [d.declaration_number for d in decls],
        "shipment_date": (decl.shipment_date if decl else _shipped(match)).isoformat(),
        "stale": decl is None and STALE in match.flags,
        "not_shipped": bool(decls) and not any(d.shipped for d in decls),
        "detail": match.detail,
    }


__all__ = ["GUARD_FIELD", "NOT_SHIPPED", "Attribution", "Booking", "ReconcileSetup", "book"]

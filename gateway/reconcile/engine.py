"""The matching engine: ERP records and customs declarations in, one outcome per group out.

Pass 1 links records by declaration number and invoice number (``exact``); pass 2 pairs the
rest by buyer, currency, country, date window and amount (``fuzzy``); whatever is left is
ERP-only (pending) or customs-only (to be attached from the declaration). Inputs are put in a
canonical order first, so outcomes do not depend on the order the sources delivered them in.
No IO: this is a pure function of its arguments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile import outcome as o
from gateway.reconcile._items import Side, decl_side, erp_side, refs
from gateway.reconcile.compare import Verdict, assess
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.exact import LINK_NAMES, Group, link
from gateway.reconcile.fuzzy import pair
from gateway.reconcile.outcome import Match, MatchKind, Reconciliation


def _near_duplicates(side: Side[ExportRecord] | Side[ExportDeclaration]) -> set[int]:
    """Indexes of records that share buyer, currency, amount and date with another record of
    the same side."""
    keys = list(zip(side.buyer, side.currency, side.minor, side.day, strict=True))
    count = Counter(keys)
    return {i for i, key in enumerate(keys) if count[key] > 1}


def _kind(verdict: Verdict) -> MatchKind:
    return MatchKind.CONFLICT if verdict.reason else MatchKind.MATCHED


def group_kind(
    erp: Side[ExportRecord], decls: Side[ExportDeclaration], group: Group, config: ReconcileConfig
) -> MatchKind:
    """The kind of the outcome :meth:`_Builder.group` makes of a linked group, without building
    it: a conflict without ERP records, else what :func:`assess` concludes."""
    return _kind(assess(erp, decls, group, config)) if group[0] else MatchKind.CONFLICT


@dataclass
class _Builder:
    """Builds outcomes for one reconciliation; identical flag sets are shared, not copied."""

    erp: Side[ExportRecord]
    decls: Side[ExportDeclaration]
    config: ReconcileConfig
    as_of: date
    near_erp: set[int] = field(default_factory=set)
    near_decl: set[int] = field(default_factory=set)
    flagsets: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def make(self, kind: MatchKind, erp_part: Sequence[int], decl_part: Sequence[int],
             reason: str | None, flags: set[str], detail: str) -> Match:
        if any(e in self.near_erp for e in erp_part) or any(
            d in self.near_decl for d in decl_part
        ):
            flags.add(o.NEAR_DUPLICATE)
        frozen = frozenset(flags)
        shared = self.flagsets.setdefault(frozen, frozen)
        return Match(kind, tuple(self.erp.models[e] for e in erp_part),
                     tuple(self.decls.models[d] for d in decl_part), reason, shared, detail)

    def _dates(self, erp_part: Sequence[int], decl_part: Sequence[int]) -> set[str]:
        erp_days = [self.erp.day[e] for e in erp_part]
        decl_days = [self.decls.day[d] for d in decl_part]
        flags = {o.NOT_SHIPPED} if any(
            not self.decls.models[d].shipped for d in decl_part) else set()
        if max(decl_days) > max(erp_days):
            flags.add(o.LATE_DECLARATION)
        if max(max(decl_days) - min(erp_days), max(erp_days) - min(decl_days)) > (
            self.config.date_window_days
        ):
            flags.add(o.DATE_GAP)
        return flags

    def group(self, group: Group) -> Match:
        erp_part, decl_part, link_bits, duplicate = group
        described = f"declaration(s) [{refs(self.decls, decl_part)}]"
        if not erp_part:  # the same declaration number more than once, and no ERP record
            flags = {o.DUPLICATE_DECLARATION}
            if any(not self.decls.models[d].shipped for d in decl_part):
                flags.add(o.NOT_SHIPPED)
            return self.make(MatchKind.CONFLICT, (), decl_part, o.CONFLICT_DUPLICATE, flags,
                             f"{described}: declaration number occurs {len(decl_part)} times")
        verdict = assess(self.erp, self.decls, group, self.config)
        flags = self._dates(erp_part, decl_part)
        if duplicate:
            flags.add(o.DUPLICATE_DECLARATION)
        if len({self.decls.declaration[d] for d in decl_part}) > 1:
            flags.add(o.SPLIT)
        if len(erp_part) > 1:
            flags.add(o.CONSOLIDATED)
        if len({self.erp.invoice[e] for e in erp_part}) < len(erp_part):
            flags.add(o.DUPLICATE_INVOICE)
        if verdict.fx:
            flags.add(o.FX)
        linked_by = ", ".join(name for bit, name in LINK_NAMES if link_bits & bit)
        detail = f"ERP record(s) [{refs(self.erp, erp_part)}] and {described} linked by {linked_by}"
        if verdict.differing:
            detail += f"; differing: {', '.join(verdict.differing)}"
        return self.make(_kind(verdict), erp_part, decl_part, verdict.reason, flags, detail)

    def paired(self, e: int, d: int) -> Match:
        detail = (
            f"ERP record [{self.erp.ref[e]}] and declaration [{self.decls.ref[d]}] paired by "
            f"buyer, currency, country, dates ({abs(self.decls.day[d] - self.erp.day[e])} days "
            "apart) and amount"
        )
        flags = {o.FUZZY} | self._dates((e,), (d,))
        return self.make(MatchKind.MATCHED, (e,), (d,), None, flags, detail)

    def erp_only(self, e: int) -> Match:
        age = (self.as_of - self.erp.models[e].shipment_date).days
        flags = {o.STALE} if age > self.config.pending_window_days else set()
        detail = f"no declaration for ERP record [{self.erp.ref[e]}] yet, shipped {age} days ago"
        if self.erp.declaration[e]:
            flags.add(o.DECLARATION_NOT_FOUND)
            detail += f"; its declaration [{self.erp.declaration[e]}] was not received"
        return self.make(MatchKind.ERP_ONLY, (e,), (), None, flags, detail)

    def customs_only(self, d: int) -> Match:
        detail = f"declaration [{self.decls.ref[d]}] has no ERP invoice"
        flags: set[str] = set()
        if not self.decls.models[d].shipped:
            flags.add(o.NOT_SHIPPED)
            detail += "; accepted but not shipped yet"
        return self.make(MatchKind.CUSTOMS_ONLY, (), (d,), None, flags, detail)


def reconcile(
    erp: Iterable[ExportRecord],
    declarations: Iterable[ExportDeclaration],
    config: ReconcileConfig,
    *,
    as_of: date,
) -> Reconciliation:
    """Match ERP records with customs declarations (docs/reconciliation.md).

    ``as_of`` is the reconciliation date that ages ERP-only records against the pending window.
    Every input record appears in exactly one outcome.
    """
    erp_records, decls = erp_side(erp), decl_side(declarations)
    build = _Builder(erp_records, decls, config, as_of,
                     _near_duplicates(erp_records), _near_duplicates(decls))
    groups = link(erp_records, decls)
    matches = [build.group(g) for g in groups]
    grouped_erp = {e for g in groups for e in g[0]}
    grouped_decl = {d for g in groups for d in g[1]}
    free_erp = [e for e in range(len(erp_records)) if e not in grouped_erp]
    free_decl = [d for d in range(len(decls)) if d not in grouped_decl]
    unnumbered = [e for e in free_erp if not erp_records.declaration[e]]
    pairs = pair(erp_records, unnumbered, decls, free_decl, config)
    matches += [build.paired(e, d) for e, d in pairs]
    paired_erp = {e for e, _ in pairs}
    paired_decl = {d for _, d in pairs}
    matches += [build.erp_only(e) for e in free_erp if e not in paired_erp]
    matches += [build.customs_only(d) for d in free_decl if d not in paired_decl]
    return Reconciliation(tuple(matches))

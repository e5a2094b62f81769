"""The matching engine: ERP records and customs declarations in, one outcome per group out.

Pass 1 links records by declaration number and invoice number (``exact``); pass 2 pairs the
rest by buyer, currency, country, date window and amount (``fuzzy``); whatever is left is
ERP-only (pending) or customs-only (to be attached from the declaration). Inputs are put in a
canonical order first, so outcomes do not depend on the order the sources delivered them in.
No IO: this is a pure function of its arguments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile import outcome as o
from gateway.reconcile._items import DeclItem, ErpItem, decl_items, erp_items, refs
from gateway.reconcile.compare import assess
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.exact import Group, link
from gateway.reconcile.fuzzy import pair
from gateway.reconcile.outcome import Match, MatchKind, Reconciliation


def _date_flags(erp: Iterable[ErpItem], decls: Iterable[DeclItem], window: int) -> set[str]:
    erp_days = [e.day for e in erp]
    decl_days = [d.day for d in decls]
    flags: set[str] = set()
    if max(decl_days) > max(erp_days):
        flags.add(o.LATE_DECLARATION)
    if max(max(decl_days) - min(erp_days), max(erp_days) - min(decl_days)) > window:
        flags.add(o.DATE_GAP)
    return flags


def _group_match(group: Group, config: ReconcileConfig) -> Match:
    erp, decls = group.erp, group.decls
    flags = {o.NOT_SHIPPED} if any(not d.declaration.shipped for d in decls) else set()
    if group.duplicate_declaration:
        flags.add(o.DUPLICATE_DECLARATION)
    described = f"declaration(s) [{refs(decls)}]"
    if not erp:  # the same declaration number more than once, and no ERP record
        detail = f"{described}: declaration number occurs {len(decls)} times"
        return Match(MatchKind.CONFLICT, (), tuple(d.declaration for d in decls),
                     o.CONFLICT_DUPLICATE, frozenset(flags), detail)
    verdict = assess(erp, decls, config, duplicate=group.duplicate_declaration)
    flags |= _date_flags(erp, decls, config.date_window_days)
    if len({d.declaration.declaration_number for d in decls}) > 1:
        flags.add(o.SPLIT)
    if len(erp) > 1:
        flags.add(o.CONSOLIDATED)
    if len({e.invoice for e in erp}) < len(erp):
        flags.add(o.DUPLICATE_INVOICE)
    if verdict.fx:
        flags.add(o.FX)
    detail = f"ERP record(s) [{refs(erp)}] and {described} linked by {', '.join(group.by)}"
    if verdict.differing:
        detail += f"; differing: {', '.join(verdict.differing)}"
    kind = MatchKind.CONFLICT if verdict.reason else MatchKind.MATCHED
    return Match(kind, tuple(e.record for e in erp), tuple(d.declaration for d in decls),
                 verdict.reason, frozenset(flags), detail)


def _pair_match(e: ErpItem, d: DeclItem, config: ReconcileConfig) -> Match:
    flags = {o.FUZZY} | _date_flags((e,), (d,), config.date_window_days)
    if not d.declaration.shipped:
        flags.add(o.NOT_SHIPPED)
    detail = (
        f"ERP record [{e.record.source_ref}] and declaration [{d.declaration.declaration_number}]"
        f" paired by buyer, currency, country, dates ({abs(d.day - e.day)} days apart) and amount"
    )
    return Match(MatchKind.MATCHED, (e.record,), (d.declaration,), None, frozenset(flags), detail)


def _erp_only(e: ErpItem, config: ReconcileConfig, as_of: date) -> Match:
    age = (as_of - e.record.shipment_date).days
    flags = {o.STALE} if age > config.pending_window_days else set()
    detail = f"no declaration for ERP record [{e.record.source_ref}] yet, shipped {age} days ago"
    if e.declaration:
        flags.add(o.DECLARATION_NOT_FOUND)
        detail += f"; its declaration [{e.declaration}] was not received"
    return Match(MatchKind.ERP_ONLY, (e.record,), (), None, frozenset(flags), detail)


def _customs_only(d: DeclItem) -> Match:
    flags = frozenset() if d.declaration.shipped else frozenset({o.NOT_SHIPPED})
    detail = f"declaration [{d.declaration.declaration_number}] has no ERP invoice"
    if not d.declaration.shipped:
        detail += "; accepted but not shipped yet"
    return Match(MatchKind.CUSTOMS_ONLY, (), (d.declaration,), None, flags, detail)


def _near_duplicates(erp: list[ErpItem], decls: list[DeclItem]) -> tuple[set[int], set[int]]:
    """Indexes of records whose buyer, currency, amount and date another record of the same
    side shares."""
    erp_keys = [(e.buyer, e.currency, e.minor, e.day) for e in erp]
    decl_keys = [(d.buyer, d.currency, d.minor, d.day) for d in decls]
    erp_count, decl_count = Counter(erp_keys), Counter(decl_keys)
    return (
        {e.index for e, k in zip(erp, erp_keys, strict=True) if erp_count[k] > 1},
        {d.index for d, k in zip(decls, decl_keys, strict=True) if decl_count[k] > 1},
    )


def _flag(match: Match, near: bool) -> Match:
    if not near:
        return match
    return Match(match.kind, match.erp, match.declarations, match.reason,
                 match.flags | {o.NEAR_DUPLICATE}, match.detail)


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
    erp_list, decl_list = erp_items(erp), decl_items(declarations)
    near_erp, near_decl = _near_duplicates(erp_list, decl_list)

    def near(erp_part: Iterable[ErpItem], decl_part: Iterable[DeclItem]) -> bool:
        return any(e.index in near_erp for e in erp_part) or any(
            d.index in near_decl for d in decl_part
        )

    groups = link(erp_list, decl_list)
    matches = [_flag(_group_match(g, config), near(g.erp, g.decls)) for g in groups]
    grouped_erp = {e.index for g in groups for e in g.erp}
    grouped_decl = {d.index for g in groups for d in g.decls}
    free_erp = [e for e in erp_list if e.index not in grouped_erp]
    free_decl = [d for d in decl_list if d.index not in grouped_decl]
    pairs = pair([e for e in free_erp if not e.declaration], free_decl, config)
    matches += [_flag(_pair_match(e, d, config), near((e,), (d,))) for e, d in pairs]
    paired_erp = {e.index for e, _ in pairs}
    paired_decl = {d.index for _, d in pairs}
    matches += [
        _flag(_erp_only(e, config, as_of), e.index in near_erp)
        for e in free_erp if e.index not in paired_erp
    ]
    matches += [
        _flag(_customs_only(d), d.index in near_decl)
        for d in free_decl if d.index not in paired_decl
    ]
    return Reconciliation(tuple(matches))

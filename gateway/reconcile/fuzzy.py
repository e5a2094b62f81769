"""Pass 2: pair what numbers could not link, by buyer, currency, country, dates and amount.

Declarations are blocked by (buyer key, currency) and sorted by shipment date inside a block, so
each ERP record only looks at the declarations of its buyer and currency within the date window
(a binary search, not a scan). A candidate must also agree on country (a name alone is not
enough) and be within the amount tolerance. Candidates are taken greedily: closest date first,
then closest amount, then canonical order, each record at most once, so two near-duplicate ERP
invoices can never both take one declaration.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import Side
from gateway.reconcile.compare import Tolerance
from gateway.reconcile.config import ReconcileConfig

_Block = tuple[list[int], list[int]]  # declaration indexes and their days, by day


def _blocks(decls: Side[ExportDeclaration], free: Sequence[int]) -> dict[tuple[str, str], _Block]:
    blocks: dict[tuple[str, str], _Block] = {}
    for d in sorted(free, key=lambda d: (decls.day[d], d)):
        if decls.buyer[d]:
            indexes, days = blocks.setdefault((decls.buyer[d], decls.currency[d]), ([], []))
            indexes.append(d)
            days.append(decls.day[d])
    return blocks


def _candidates(
    erp: Side[ExportRecord], free_erp: Sequence[int],
    decls: Side[ExportDeclaration], free_decls: Sequence[int], config: ReconcileConfig,
) -> list[tuple[int, int, int, int]]:
    blocks = _blocks(decls, free_decls)
    window = config.date_window_days
    agrees = Tolerance.of(config).agrees
    found: list[tuple[int, int, int, int]] = []
    for e in free_erp:
        block = blocks.get((erp.buyer[e], erp.currency[e])) if erp.buyer[e] else None
        if block is None:
            continue
        indexes, days = block
        day, minor, country = erp.day[e], erp.minor[e], erp.country[e]
        for d in indexes[bisect_left(days, day - window) : bisect_right(days, day + window)]:
            if decls.country[d] == country and agrees(minor, decls.minor[d]):
                found.append((abs(decls.day[d] - day), abs(decls.minor[d] - minor), e, d))
    return found


def pair(
    erp: Side[ExportRecord], free_erp: Sequence[int],
    decls: Side[ExportDeclaration], free_decls: Sequence[int], config: ReconcileConfig,
) -> list[tuple[int, int]]:
    """One-to-one (ERP index, declaration index) pairs among the free records, greedy by
    (date gap, amount gap, canonical order)."""
    taken_erp: set[int] = set()
    taken_decl: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, _, e, d in sorted(_candidates(erp, free_erp, decls, free_decls, config)):
        if e in taken_erp or d in taken_decl:
            continue
        taken_erp.add(e)
        taken_decl.add(d)
        pairs.append((e, d))
    return pairs

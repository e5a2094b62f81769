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
from collections import defaultdict
from collections.abc import Sequence

from gateway.reconcile._items import DeclItem, ErpItem
from gateway.reconcile.compare import Tolerance
from gateway.reconcile.config import ReconcileConfig

_Block = tuple[list[DeclItem], list[int]]


def _blocks(decls: Sequence[DeclItem]) -> dict[tuple[str, str], _Block]:
    grouped: dict[tuple[str, str], list[DeclItem]] = defaultdict(list)
    for d in decls:
        if d.buyer:
            grouped[(d.buyer, d.currency)].append(d)
    blocks: dict[tuple[str, str], _Block] = {}
    for key, items in grouped.items():
        items.sort(key=lambda d: (d.day, d.index))
        blocks[key] = (items, [d.day for d in items])
    return blocks


def _candidates(
    erp: Sequence[ErpItem], decls: Sequence[DeclItem], config: ReconcileConfig
) -> list[tuple[int, int, int, int]]:
    blocks = _blocks(decls)
    window = config.date_window_days
    agrees = Tolerance.of(config).agrees
    found: list[tuple[int, int, int, int]] = []
    for e in erp:
        block = blocks.get((e.buyer, e.currency)) if e.buyer else None
        if block is None:
            continue
        items, days = block
        for d in items[bisect_left(days, e.day - window) : bisect_right(days, e.day + window)]:
            if d.country == e.country and agrees(e.minor, d.minor):
                found.append((abs(d.day - e.day), abs(d.minor - e.minor), e.index, d.index))
    return found


def pair(
    erp: Sequence[ErpItem], decls: Sequence[DeclItem], config: ReconcileConfig
) -> list[tuple[ErpItem, DeclItem]]:
    """One-to-one pairs, greedy by (date gap, amount gap, canonical order)."""
    erp_at = {e.index: e for e in erp}
    decl_at = {d.index: d for d in decls}
    taken_erp: set[int] = set()
    taken_decl: set[int] = set()
    pairs: list[tuple[ErpItem, DeclItem]] = []
    for _, _, e_index, d_index in sorted(_candidates(erp, decls, config)):
        if e_index in taken_erp or d_index in taken_decl:
            continue
        taken_erp.add(e_index)
        taken_decl.add(d_index)
        pairs.append((erp_at[e_index], decl_at[d_index]))
    return pairs

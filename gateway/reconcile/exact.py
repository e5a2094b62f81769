"""Pass 1: link ERP records and declarations that share a declaration or invoice number.

The links form a bipartite graph; each connected component is one group. One ERP record linked
to several declarations is a split shipment, several ERP records on one declaration a
consolidated one. Declarations sharing a declaration number are joined too (a duplicate: the
group becomes a conflict). Cost: hash indexes and a union-find, linear in the input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.reconcile._items import DeclItem, ErpItem

BY_DECLARATION: str = "declaration_number"
BY_INVOICE: str = "invoice_number"


@dataclass(frozen=True, slots=True)
class Group:
    """A connected component of number links."""

    erp: tuple[ErpItem, ...]
    decls: tuple[DeclItem, ...]
    by: tuple[str, ...]  # link kinds used, sorted
    duplicate_declaration: bool


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def _index(decls: Sequence[DeclItem]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    by_number: dict[str, list[int]] = defaultdict(list)
    by_invoice: dict[str, list[int]] = defaultdict(list)
    for d in decls:
        by_number[d.declaration.declaration_number].append(d.index)
        if d.invoice:
            by_invoice[d.invoice].append(d.index)
    return by_number, by_invoice


_KIND_BITS = ((1, BY_DECLARATION), (2, BY_INVOICE))


def link(erp: Sequence[ErpItem], decls: Sequence[DeclItem]) -> list[Group]:
    """Groups of records linked by numbers, in canonical order (by their first member)."""
    offset = len(erp)
    uf = _UnionFind(offset + len(decls))
    by_number, by_invoice = _index(decls)
    for same in by_number.values():
        for other in same[1:]:
            uf.union(offset + same[0], offset + other)
    link_bits = [0] * offset  # per ERP record: 1 = by declaration number, 2 = by invoice number
    for e in erp:
        for bit, key, index in ((1, e.declaration, by_number), (2, e.invoice, by_invoice)):
            for d in index.get(key, ()) if key else ():
                uf.union(e.index, offset + d)
                link_bits[e.index] |= bit
    members: dict[int, list[int]] = {}
    for node in range(offset + len(decls)):
        root = uf.find(node)
        if uf.size[root] > 1:
            members.setdefault(root, []).append(node)
    groups: list[Group] = []
    for nodes in members.values():  # in order of their lowest node: canonical order
        group_erp = tuple(erp[n] for n in nodes if n < offset)
        group_decls = tuple(decls[n - offset] for n in nodes if n >= offset)
        bits = 0
        for e in group_erp:
            bits |= link_bits[e.index]
        numbers = {d.declaration.declaration_number for d in group_decls}
        groups.append(
            Group(
                erp=group_erp,
                decls=group_decls,
                by=tuple(name for bit, name in _KIND_BITS if bits & bit),
                duplicate_declaration=len(numbers) < len(group_decls),
            )
        )
    return groups

"""Pass 1: link ERP records and declarations that share a declaration or invoice number.

The links form a bipartite graph; each connected component is one group. One ERP record linked
to several declarations is a split shipment, several ERP records on one declaration a
consolidated one. Declarations sharing a declaration number are joined too (a duplicate: the
group becomes a conflict). Cost: hash indexes and a union-find, linear in the input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import Side

BY_DECLARATION: Final = 1
BY_INVOICE: Final = 2
#: Link bits and the field names ``Match.detail`` reports for them.
LINK_NAMES: Final = ((BY_DECLARATION, "declaration_number"), (BY_INVOICE, "invoice_number"))

#: A group: ERP indexes, declaration indexes, link bits, whether a declaration number repeats.
#: Plain tuples of integers, which the garbage collector stops tracking.
Group = tuple[tuple[int, ...], tuple[int, ...], int, bool]


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


def _index(keys: Sequence[str]) -> dict[str, int | list[int]]:
    """Key -> position, or positions when a key repeats; empty keys are not indexed."""
    index: dict[str, int | list[int]] = {}
    for position, key in enumerate(keys):
        if not key:
            continue
        seen = index.get(key)
        if seen is None:
            index[key] = position
        elif isinstance(seen, int):
            index[key] = [seen, position]
        else:
            seen.append(position)
    return index


def _hits(index: dict[str, int | list[int]], key: str) -> Sequence[int]:
    found = index.get(key) if key else None
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


def _components(uf: _UnionFind, total: int) -> Iterator[tuple[int, ...]]:
    """Nodes of every component with two or more nodes, components ordered by lowest node."""
    roots = [uf.find(node) for node in range(total)]
    grouped = [node for node in range(total) if uf.size[roots[node]] > 1]
    lowest: dict[int, int] = {}
    for node in grouped:
        lowest.setdefault(roots[node], node)
    grouped.sort(key=lambda node: lowest[roots[node]])  # stable: ascending inside a component
    start = 0
    for end in range(1, len(grouped) + 1):
        if end == len(grouped) or roots[grouped[end]] != roots[grouped[start]]:
            yield tuple(grouped[start:end])
            start = end


def link(erp: Side[ExportRecord], decls: Side[ExportDeclaration]) -> list[Group]:
    """Groups of records linked by numbers, in canonical order (by their first member)."""
    offset = len(erp)
    uf = _UnionFind(offset + len(decls))
    by_number, by_invoice = _index(decls.declaration), _index(decls.invoice)
    for same in by_number.values():
        if isinstance(same, list):
            for other in same[1:]:
                uf.union(offset + same[0], offset + other)
    bits = [0] * offset
    for e in range(offset):
        for bit, key, index in ((BY_DECLARATION, erp.declaration[e], by_number),
                                (BY_INVOICE, erp.invoice[e], by_invoice)):
            for d in _hits(index, key):
                uf.union(e, offset + d)
                bits[e] |= bit
    groups: list[Group] = []
    for nodes in _components(uf, offset + len(decls)):
        erp_part = tuple(n for n in nodes if n < offset)
        decl_part = tuple(n - offset for n in nodes if n >= offset)
        link_bits = 0
        for e in erp_part:
            link_bits |= bits[e]
        numbers = {decls.declaration[d] for d in decl_part}
        groups.append((erp_part, decl_part, link_bits, len(numbers) < len(decl_part)))
    return groups

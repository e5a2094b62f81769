"""Staged pass 1: records linked by declaration or invoice number, grouped on disk.

The same groups as ``gateway.reconcile.exact.link``, with a fixed few bytes per record in
memory: a union-find over ``array('i')`` (node ``e`` is ERP position ``e``, node
``n_erp + d`` declaration position ``d``; positions count from 1, node 0 is unused) and a
``bytearray`` of link bits per ERP record. Edges come from SQL joins over indexed keys; each
node is linked to the lowest node sharing its key, which gives the same components as linking
every pair. Roots are always the lowest node of their component, so groups come out ordered
by their lowest node with their members ascending, as ``exact._components`` orders them.

Each group is written to ``member`` (outcome ``seq`` = its lowest node) and gets an ``outcome``
row with its sort key: the kind comes from ``group_kind`` over the key columns; models are read
back only for groups that FX decides (more than one currency, rates configured).
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Final

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import M, Side
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.engine import group_kind
from gateway.reconcile.exact import BY_DECLARATION, BY_INVOICE
from gateway.store.staging_rows import tuple_key

_FIRST_OF_SAME: Final = (
    "SELECT d.pos, f.first FROM (SELECT {col}, min(pos) AS first FROM decl WHERE {col} <> '' "
    "GROUP BY {col} HAVING count(*) > 1) AS f JOIN decl AS d ON d.{col} = f.{col} "
    "WHERE d.pos <> f.first{extra}"
)
#: Declarations sharing a number are always one group.
DECL_SAME_NUMBER: Final = _FIRST_OF_SAME.format(col="number", extra="")
#: Declarations sharing an invoice key are joined only through an ERP record with that key.
DECL_SAME_INVOICE: Final = _FIRST_OF_SAME.format(
    col="ikey", extra=" AND EXISTS (SELECT 1 FROM erp AS e WHERE e.ikey = f.ikey)")
_ERP_TO_FIRST: Final = (  # first is NULL when no declaration has the key
    "SELECT e.pos, (SELECT min(d.pos) FROM decl AS d WHERE d.{col} = e.{key}) "
    "FROM erp AS e WHERE e.{key} <> ''"
)
ERP_BY_NUMBER: Final = _ERP_TO_FIRST.format(col="number", key="dkey")
ERP_BY_INVOICE: Final = _ERP_TO_FIRST.format(col="ikey", key="ikey")

INSERT_MEMBER: Final = "INSERT INTO member (seq, ord, side, pos) VALUES (?, ?, ?, ?)"
INSERT_OUTCOME: Final = (
    "INSERT INTO outcome (seq, type, date, numbers, refs, kind, bits, dup) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_GROUP_ROWS: Final = (
    "SELECT m.seq, m.side, m.pos, coalesce(e.dkey, d.number), coalesce(e.ikey, d.ikey), "
    "coalesce(e.buyer, d.buyer), coalesce(e.currency, d.currency), "
    "coalesce(e.minor, d.minor), coalesce(e.country, d.country), coalesce(e.day, d.day), "
    "coalesce(e.date, d.date), coalesce(e.ref, d.number) "
    "FROM member AS m LEFT JOIN erp AS e ON m.side = 0 AND e.pos = m.pos "
    "LEFT JOIN decl AS d ON m.side = 1 AND d.pos = m.pos ORDER BY m.seq, m.ord"
)
_ERP_BODY: Final = "SELECT body FROM erp WHERE pos = ?"
_DECL_BODY: Final = "SELECT body FROM decl WHERE pos = ?"
_Row = tuple[int, int, int, str, str, str, str, str, str, int, str, str]


class Links:
    """Union-find over both sides, toward the lowest node."""

    def __init__(self, n_erp: int, n_decl: int) -> None:
        self.n_erp = n_erp
        total = n_erp + n_decl + 1
        self.parent = array("i", range(total))
        self.heads = bytearray(total)  # nodes something was attached to; later: group heads
        self.bits = bytearray(n_erp + 1)  # link bits of each ERP record
        self.next = array("i")  # next member of a node's group (0: none), once chained

    def _find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            low, high = (ra, rb) if ra < rb else (rb, ra)
            self.parent[high] = low
            self.heads[low] = 1

    def _edges(self, pairs: Iterable[tuple[int, int | None]], offset_a: int, bit: int) -> None:
        for a, b in pairs:
            if b is None:
                continue
            self._union(offset_a + a, self.n_erp + b)
            if bit:
                self.bits[a] |= bit

    def link(self, conn: sqlite3.Connection) -> None:
        """Read every edge, then chain each group's members."""
        self._edges(conn.execute(DECL_SAME_NUMBER), self.n_erp, 0)
        self._edges(conn.execute(ERP_BY_NUMBER), 0, BY_DECLARATION)
        self._edges(conn.execute(ERP_BY_INVOICE), 0, BY_INVOICE)
        self._edges(conn.execute(DECL_SAME_INVOICE), self.n_erp, 0)
        self._chain()

    def _chain(self) -> None:
        parent, heads = self.parent, self.heads
        for node in range(len(parent)):  # parents are lower: one ascending pass compresses all
            root = parent[node] = parent[parent[node]]
            if root != node:
                heads[node] = 0
        nxt = self.next = array("i", bytes(4 * len(parent)))
        for node in range(len(parent)):
            root = parent[node]
            if root != node:  # the root's slot now holds its group's last node so far
                nxt[parent[root]] = node
                parent[root] = node

    def grouped(self, node: int) -> bool:
        """Whether a node is in a group (after :meth:`link`)."""
        return self.parent[node] != node

    def groups(self) -> Iterator[list[int]]:
        """Nodes of every group, groups by lowest node, members ascending."""
        head = self.heads.find(1)
        while head != -1:
            members, node = [head], self.next[head]
            while node:
                members.append(node)
                node = self.next[node]
            yield members
            head = self.heads.find(1, head + 1)

    def member_rows(self) -> Iterator[tuple[int, int, int, int]]:
        """``member`` rows of every group: (lowest node, rank, side, position)."""
        for members in self.groups():
            for rank, node in enumerate(members):
                erp = node <= self.n_erp
                yield members[0], rank, 0 if erp else 1, node if erp else node - self.n_erp


def _side(rows: Sequence[_Row], models: list[M]) -> Side[M]:
    return Side(
        models=models, declaration=[r[3] for r in rows], invoice=[r[4] for r in rows],
        buyer=[r[5] for r in rows], currency=[r[6] for r in rows],
        minor=[int(r[7]) for r in rows], country=[r[8] for r in rows],
        day=[r[9] for r in rows], ref=[r[11] for r in rows],
    )


def _bodies(conn: sqlite3.Connection, query: str, rows: Sequence[_Row]) -> list[str]:
    return [str(conn.execute(query, (r[2],)).fetchone()[0]) for r in rows]


def _outcome(conn: sqlite3.Connection, links: Links, config: ReconcileConfig,
             rows: list[_Row]) -> tuple[int, str, str, bytes, bytes, str, int, int]:
    erp_rows = [r for r in rows if r[1] == 0]
    decl_rows = [r for r in rows if r[1] == 1]
    numbers = [r[11] for r in decl_rows]
    bits = 0
    for r in erp_rows:
        bits |= links.bits[r[2]]
    duplicate = len(set(numbers)) < len(numbers)
    erp_models: list[ExportRecord] = []
    decl_models: list[ExportDeclaration] = []
    if config.fx is not None and erp_rows and len({r[6] for r in rows}) > 1:
        # assess reads models (amounts, FOB values) only to compare across currencies
        erp_models = [ExportRecord.model_validate_json(b)
                      for b in _bodies(conn, _ERP_BODY, erp_rows)]
        decl_models = [ExportDeclaration.model_validate_json(b)
                       for b in _bodies(conn, _DECL_BODY, decl_rows)]
    group = (tuple(range(len(erp_rows))), tuple(range(len(decl_rows))), bits, duplicate)
    kind = group_kind(_side(erp_rows, erp_models), _side(decl_rows, decl_models), group, config)
    return (rows[0][0], "g", min(r[10] for r in rows), tuple_key(numbers),
            tuple_key(r[11] for r in erp_rows), kind.value, bits, int(duplicate))


def plan_groups(conn: sqlite3.Connection, links: Links, config: ReconcileConfig) -> None:
    """Write every group's members and its outcome row (sort key, kind, link bits)."""
    conn.executemany(INSERT_MEMBER, links.member_rows())
    links.next = array("i")
    rows = conn.execute(_GROUP_ROWS)
    conn.executemany(INSERT_OUTCOME, (
        _outcome(conn, links, config, list(group)) for _, group in groupby(rows, itemgetter(0))
    ))

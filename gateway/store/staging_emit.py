"""Staged reconciliation, last step: outcomes read back in order and built by the engine's code.

One query walks the planned outcomes in ``Reconciliation`` order (an index on the sort key,
then each outcome's members in order) and streams the members' stored JSON. Each outcome's
records are rebuilt with ``model_validate_json`` into small ``Side``s, and the engine's own
``_Builder`` makes the ``Match``: flags, reasons and ``detail`` come from the same code as
``reconcile``. Only one outcome's records are in memory at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

from gateway.errors import StoreError
from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import decl_in_order, erp_in_order
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.engine import _Builder
from gateway.reconcile.outcome import Match
from gateway.store.staging_rows import Keys

ORDERED: Final = (
    "SELECT o.seq, o.type, o.kind, o.bits, o.dup, m.side, coalesce(e.body, d.body), "
    "coalesce(e.tag, d.tag), coalesce(e.near, d.near) "
    "FROM outcome AS o INDEXED BY outcome_order JOIN member AS m ON m.seq = o.seq "
    "LEFT JOIN erp AS e ON m.side = 0 AND e.pos = m.pos "
    "LEFT JOIN decl AS d ON m.side = 1 AND d.pos = m.pos "
    "ORDER BY o.date, o.numbers, o.refs, o.kind, o.seq, m.ord"
)


@dataclass(frozen=True, slots=True)
class StagedMatch:
    """One outcome of a staged reconciliation, with the tag given with each of its records."""

    match: Match  # identical to the one ``reconcile`` gives
    erp_tags: tuple[int, ...]  # the tag of each ERP record of ``match.erp``, same order
    decl_tags: tuple[int, ...]  # the tag of each declaration of ``match.declarations``


class _Emitter:
    def __init__(self, config: ReconcileConfig, as_of: date, keys: Keys) -> None:
        self.config, self.as_of, self.keys = config, as_of, keys
        self.flagsets: dict[frozenset[str], frozenset[str]] = {}
        self.last: tuple[Any, ...] | None = None

    def build(self, rows: Sequence[tuple[Any, ...]]) -> StagedMatch:
        _, kind_of, kind, bits, dup = rows[0][:5]
        erp_rows = [r for r in rows if r[5] == 0]
        decl_rows = [r for r in rows if r[5] == 1]
        builder = _Builder(
            erp_in_order([ExportRecord.model_validate_json(r[6]) for r in erp_rows],
                         self.keys.buyer),
            decl_in_order([ExportDeclaration.model_validate_json(r[6]) for r in decl_rows],
                          self.keys.buyer),
            self.config, self.as_of,
            {i for i, r in enumerate(erp_rows) if r[8]},
            {i for i, r in enumerate(decl_rows) if r[8]},
            self.flagsets,
        )
        if kind_of == "g":
            match = builder.group(
                (tuple(range(len(erp_rows))), tuple(range(len(decl_rows))), bits, bool(dup)))
        elif kind_of == "p":
            match = builder.paired(0, 0)
        elif kind_of == "e":
            match = builder.erp_only(0)
        else:
            match = builder.customs_only(0)
        key = match.sort_key()
        if match.kind.value != kind or (self.last is not None and key < self.last):
            raise StoreError("reconciliation staging: outcomes read back out of order")
        self.last = key
        return StagedMatch(match, tuple(r[7] for r in erp_rows), tuple(r[7] for r in decl_rows))


def emit(conn: sqlite3.Connection, config: ReconcileConfig, as_of: date,
         keys: Keys) -> Iterator[StagedMatch]:
    """Every planned outcome, in ``Reconciliation`` order (``keys`` caches buyer keys)."""
    emitter = _Emitter(config, as_of, keys)
    for _, rows in groupby(conn.execute(ORDERED), itemgetter(0)):
        yield emitter.build(list(rows))

"""Planning a staged reconciliation: every outcome's members and sort key, on disk.

In the order ``gateway.reconcile.engine.reconcile`` builds outcomes: statuses refresh the
declarations, both sides are copied in canonical order, linked groups are planned
(``staging_link``), free records are paired by buyer, currency, country, date window and amount
(candidates found by an indexed SQL join, filtered by the engine's own ``Tolerance``, taken
greedily in the engine's order), and what is left becomes ERP-only, then customs-only.

Each outcome gets a ``seq`` in that build order and the columns of ``Match.sort_key`` (earliest
date, declaration numbers, ERP references, kind); ``Reconciliation`` sorts stably by that key,
so ordering by (key, seq) gives its order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Final

from gateway.ingest.customs_status import DeclarationStatus, apply_statuses
from gateway.model import ExportDeclaration
from gateway.reconcile.compare import Tolerance
from gateway.reconcile.config import ReconcileConfig
from gateway.store.staging_link import Links, plan_groups
from gateway.store.staging_rows import (
    LATEST_STATUS,
    ORDER,
    STATUS_CHUNK,
    UPDATE_DECL,
    Keys,
    Value,
    padded,
    tuple_key,
)

_CHUNK: Final = 1000
_PLAN_TABLES: Final = (
    "CREATE TABLE member (seq INTEGER NOT NULL, ord INTEGER NOT NULL, side INTEGER NOT NULL, "
    "pos INTEGER NOT NULL, PRIMARY KEY (seq, ord)) WITHOUT ROWID",
    "CREATE TABLE outcome (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, date TEXT NOT NULL, "
    "numbers BLOB NOT NULL, refs BLOB NOT NULL, kind TEXT NOT NULL, "
    "bits INTEGER NOT NULL, dup INTEGER NOT NULL)",
    "CREATE TABLE free_e (pos INTEGER PRIMARY KEY)",
    "CREATE TABLE free_d (pos INTEGER PRIMARY KEY)",
    "CREATE TABLE cand (dgap INTEGER NOT NULL, agap TEXT NOT NULL, e INTEGER NOT NULL, "
    "d INTEGER NOT NULL)",
    "CREATE TABLE pairs (seq INTEGER PRIMARY KEY, e INTEGER NOT NULL, d INTEGER NOT NULL)",
)
_BLOCKS: Final = (
    "CREATE TABLE fdecl (buyer TEXT, currency TEXT, day INTEGER, pos INTEGER, country TEXT, "
    "minor TEXT)",
    "INSERT INTO fdecl SELECT d.buyer, d.currency, d.day, d.pos, d.country, d.minor "
    "FROM free_d AS f JOIN decl AS d ON d.pos = f.pos WHERE d.buyer <> ''",
    "CREATE INDEX fdecl_block ON fdecl (buyer, currency, day)",
)
_CANDIDATES: Final = (
    "SELECT e.pos, d.pos, e.day, d.day, e.minor, d.minor FROM free_e AS f "
    "CROSS JOIN erp AS e ON e.pos = f.pos JOIN fdecl AS d ON d.buyer = e.buyer "
    "AND d.currency = e.currency AND d.day BETWEEN e.day - ?1 AND e.day + ?1 "
    "WHERE e.dkey = '' AND e.buyer <> '' AND d.country = e.country"
)
_AFTER_PAIRS: Final = (
    "INSERT INTO outcome SELECT p.seq, 'p', min(e.date, d.date), tkey(d.number), tkey(e.ref), "
    "'matched', 0, 0 FROM pairs AS p JOIN erp AS e ON e.pos = p.e JOIN decl AS d ON d.pos = p.d",
    "INSERT INTO member SELECT seq, 0, 0, e FROM pairs",
    "INSERT INTO member SELECT seq, 1, 1, d FROM pairs",
    "DELETE FROM free_e WHERE pos IN (SELECT e FROM pairs)",
    "DELETE FROM free_d WHERE pos IN (SELECT d FROM pairs)",
)
_LEFT: Final = (
    "INSERT INTO outcome SELECT :erp + e.pos, 'e', e.date, X'', tkey(e.ref), 'erp_only', 0, 0 "
    "FROM free_e AS f JOIN erp AS e ON e.pos = f.pos",
    "INSERT INTO member SELECT :erp + pos, 0, 0, pos FROM free_e",
    "INSERT INTO outcome SELECT :customs + d.pos, 'c', d.date, tkey(d.number), X'', "
    "'customs_only', 0, 0 FROM free_d AS f JOIN decl AS d ON d.pos = f.pos",
    "INSERT INTO member SELECT :customs + pos, 0, 1, pos FROM free_d",
)


def _status_updates(conn: sqlite3.Connection, keys: Keys) -> Iterator[list[tuple[Value, ...]]]:
    """Chunks of (row, rowid) for declarations with a status, each refreshed as
    ``apply_statuses`` refreshes it (the last status given for a number wins)."""
    last = 0
    while chunk := conn.execute(STATUS_CHUNK, (last, _CHUNK)).fetchall():
        updates = []
        for rowid, tag, body, status in chunk:
            decl = ExportDeclaration.model_validate_json(body)
            (fresh,) = apply_statuses([decl], [DeclarationStatus.model_validate_json(status)])
            updates.append((*keys.decl_row(fresh, tag), rowid))
        last = chunk[-1][0]
        yield updates


def refresh_statuses(conn: sqlite3.Connection, keys: Keys) -> None:
    """Apply the staged statuses to the staged declarations."""
    for sql in LATEST_STATUS:
        conn.execute(sql)
    for updates in _status_updates(conn, keys):
        conn.executemany(UPDATE_DECL, updates)


def _candidates(conn: sqlite3.Connection, window: int,
                agrees: Callable[[int, int], bool]) -> Iterator[tuple[int, str, int, int]]:
    for e, d, e_day, d_day, e_minor, d_minor in conn.execute(_CANDIDATES, (window,)):
        a, b = int(e_minor), int(d_minor)
        if agrees(a, b):
            yield abs(d_day - e_day), padded(abs(b - a)), e, d


def _pairs(conn: sqlite3.Connection, n_erp: int, n_decl: int, first: int,
           ) -> Iterator[tuple[int, int, int]]:
    taken_erp, taken_decl = bytearray(n_erp + 1), bytearray(n_decl + 1)
    seq = first
    for e, d in conn.execute("SELECT e, d FROM cand ORDER BY dgap, agap, e, d"):
        if not (taken_erp[e] or taken_decl[d]):
            taken_erp[e] = taken_decl[d] = 1
            yield seq, e, d
            seq += 1


def plan(conn: sqlite3.Connection, config: ReconcileConfig, n_erp: int, n_decl: int) -> None:
    """Order both sides and plan every outcome (statuses must be applied first)."""
    for sql in ORDER:
        conn.execute(sql)
    for sql in _PLAN_TABLES:
        conn.execute(sql)
    conn.create_function("tkey", 1, lambda text: tuple_key((text,)), deterministic=True)
    links = Links(n_erp, n_decl)
    links.link(conn)
    plan_groups(conn, links, config)
    nodes = n_erp + n_decl + 1
    conn.executemany("INSERT INTO free_e (pos) VALUES (?)",
                     ((e,) for e in range(1, n_erp + 1) if not links.grouped(e)))
    conn.executemany("INSERT INTO free_d (pos) VALUES (?)",
                     ((d,) for d in range(1, n_decl + 1) if not links.grouped(n_erp + d)))
    del links
    for sql in _BLOCKS:
        conn.execute(sql)
    agrees = Tolerance.of(config).agrees
    conn.executemany("INSERT INTO cand VALUES (?, ?, ?, ?)",
                     _candidates(conn, config.date_window_days, agrees))
    conn.executemany("INSERT INTO pairs VALUES (?, ?, ?)", _pairs(conn, n_erp, n_decl, nodes))
    for sql in _AFTER_PAIRS:
        conn.execute(sql)
    for sql in _LEFT:  # ERP-only, then customs-only, each in canonical order
        conn.execute(sql, {"erp": 2 * nodes, "customs": 3 * nodes})
    conn.execute("CREATE INDEX outcome_order ON outcome (date, numbers, refs, kind, seq)")

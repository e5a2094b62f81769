"""The disclosure ledger table: appending a link and reading the chain back.

:func:`append` runs inside the caller's ``BEGIN IMMEDIATE`` transaction, so the head it reads
cannot move before its row is written: concurrent appends (threads or processes) get distinct,
consecutive ``seq`` numbers. It is exposed separately so that recording a receipt and its
ledger entry can share one transaction.
"""

from __future__ import annotations

import sqlite3

from gateway.errors import StoreError
from gateway.ledger import LedgerAnchor, LedgerEntry, entry_problem, next_entry

COLUMNS = (
    "seq, submission_id, payload_sha256, policy_version, recorded_at, receipt_sha256, "
    "receipt_id, anchor_seq, anchor_hash, prev_hash, hash"
)


def entry(row: sqlite3.Row) -> LedgerEntry:
    """A row as an entry, exactly as stored (verification decides whether it is sound)."""
    anchor = None
    if row["anchor_seq"] is not None or row["anchor_hash"] is not None:
        anchor = LedgerAnchor(row["anchor_seq"], row["anchor_hash"])
    return LedgerEntry(
        seq=row["seq"],
        submission_id=row["submission_id"],
        payload_sha256=row["payload_sha256"],
        policy_version=row["policy_version"],
        recorded_at=row["recorded_at"],
        receipt_sha256=row["receipt_sha256"],
        receipt_id=row["receipt_id"],
        ledger_anchor=anchor,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def head(conn: sqlite3.Connection) -> LedgerAnchor | None:
    """The last entry's ``(seq, hash)``, or ``None`` for an empty ledger."""
    row = conn.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else LedgerAnchor(int(row[0]), str(row[1]))


def by_submission(conn: sqlite3.Connection, submission_id: str) -> LedgerEntry | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM ledger WHERE submission_id = ?", (submission_id,)  # noqa: S608
    ).fetchone()
    return None if row is None else entry(row)


def _anchor_problem(conn: sqlite3.Connection, new: LedgerEntry) -> str | None:
    anchor = new.ledger_anchor
    if anchor is None:
        return None
    row = conn.execute("SELECT hash FROM ledger WHERE seq = ?", (anchor.seq,)).fetchone()
    if anchor.seq >= new.seq or row is None or row[0] != anchor.hash:
        return "ledger_anchor is not the head of this ledger at an earlier entry"
    return None


def append(
    conn: sqlite3.Connection,
    *,
    recorded_at: str,
    submission_id: str,
    payload_sha256: str,
    policy_version: str,
    receipt_sha256: str,
    receipt_id: str,
    ledger_anchor: LedgerAnchor | None,
) -> LedgerEntry:
    """Append the next link (call inside ``BEGIN IMMEDIATE``); idempotent per submission."""
    conn.row_factory = sqlite3.Row
    existing = by_submission(conn, submission_id)
    if existing is not None:
        if (existing.receipt_sha256, existing.payload_sha256) != (receipt_sha256, payload_sha256):
            raise StoreError(f"ledger already records submission {submission_id} differently")
        return existing
    new = next_entry(
        head(conn),
        submission_id=submission_id,
        payload_sha256=payload_sha256,
        policy_version=policy_version,
        recorded_at=recorded_at,
        receipt_sha256=receipt_sha256,
        receipt_id=receipt_id,
        ledger_anchor=None if ledger_anchor is None else LedgerAnchor(*ledger_anchor),
    )
    problem = entry_problem(new) or _anchor_problem(conn, new)
    if problem is not None:
        raise StoreError(f"ledger entry for submission {submission_id}: {problem}")
    anchor = new.ledger_anchor
    conn.execute(
        f"INSERT INTO ledger ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (new.seq, new.submission_id, new.payload_sha256, new.policy_version, new.recorded_at,
         new.receipt_sha256, new.receipt_id, None if anchor is None else anchor.seq,
         None if anchor is None else anchor.hash, new.prev_hash, new.hash),
    )
    return new


def entries(conn: sqlite3.Connection, start: int) -> list[LedgerEntry]:
    """Entries with ``seq >= start`` in ``seq`` order."""
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM ledger WHERE seq >= ? ORDER BY seq", (start,)  # noqa: S608
    ).fetchall()
    return [entry(row) for row in rows]

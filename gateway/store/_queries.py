"""Single-row look-ups shared by the SQLite store's methods (inside their transactions)."""

from __future__ import annotations

import sqlite3

from gateway.errors import StoreError
from gateway.store import _rows
from gateway.store.base import Receipt, Run, Submission


def find_run(conn: sqlite3.Connection, run_id: str) -> Run | None:
    row = conn.execute(
        f"SELECT {_rows.RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)  # noqa: S608
    ).fetchone()
    return None if row is None else _rows.run(row)


def run(conn: sqlite3.Connection, run_id: str) -> Run:
    found = find_run(conn, run_id)
    if found is None:
        raise StoreError(f"unknown run {run_id}")
    return found


def submission(conn: sqlite3.Connection, submission_id: str) -> Submission | None:
    row = conn.execute(
        f"SELECT {_rows.SUBMISSION_COLUMNS} FROM submissions "  # noqa: S608
        "WHERE submission_id = ?",
        (submission_id,),
    ).fetchone()
    return None if row is None else _rows.submission(row)


def existing(conn: sqlite3.Connection, submission_id: str) -> Submission:
    found = submission(conn, submission_id)
    if found is None:
        raise StoreError(f"unknown submission {submission_id}")
    return found


def receipt(conn: sqlite3.Connection, submission_id: str) -> Receipt | None:
    row = conn.execute(
        f"SELECT {_rows.RECEIPT_COLUMNS} FROM receipts WHERE submission_id = ?",  # noqa: S608
        (submission_id,),
    ).fetchone()
    return None if row is None else _rows.receipt(row)

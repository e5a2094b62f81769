"""Read-only views over runs, record versions, the outbox and the quarantine, for dashboards.

Inside the caller's connection; nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3

from gateway.store import _rows
from gateway.store.base import QuarantineStatus, RecordChange, Run, SubmissionStatus


def list_runs(conn: sqlite3.Connection, limit: int, offset: int) -> list[Run]:
    """Runs, most recently started first."""
    rows = conn.execute(
        f"SELECT {_rows.RUN_COLUMNS} FROM runs "  # noqa: S608
        "ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return [_rows.run(row) for row in rows]


def record_history(conn: sqlite3.Connection) -> list[RecordChange]:
    """Every attached version of every record, in the order they were recorded."""
    rows = conn.execute(
        "SELECT record_id, version, run_id, submission_id, recorded_at, bucket, exposure_minor "
        "FROM records ORDER BY recorded_at, record_id, version"
    ).fetchall()
    out = []
    for row in rows:
        recorded = _rows.from_text(row["recorded_at"])
        assert recorded is not None
        out.append(
            RecordChange(
                record_id=row["record_id"],
                version=row["version"],
                run_id=row["run_id"],
                submission_id=row["submission_id"],
                recorded_at=recorded,
                bucket=None if row["bucket"] is None else json.loads(row["bucket"]),
                exposure_minor=row["exposure_minor"],
            )
        )
    return out


def submission_counts(conn: sqlite3.Connection) -> dict[SubmissionStatus, int]:
    """How many outbox entries are in each status (every status present, zeros included)."""
    found = dict(conn.execute("SELECT status, COUNT(*) FROM submissions GROUP BY status"))
    return {status: int(found.get(status.value, 0)) for status in SubmissionStatus}


def quarantine_counts(conn: sqlite3.Connection) -> dict[QuarantineStatus, int]:
    """How many quarantined rows are in each status (zeros included)."""
    found = dict(conn.execute("SELECT status, COUNT(*) FROM quarantine GROUP BY status"))
    return {status: int(found.get(status.value, 0)) for status in QuarantineStatus}

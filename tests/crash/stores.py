"""Read-only views of the gateway's store and the reference insurer's state, as plain data.

Plain ``sqlite3`` queries on the documented tables (``runs``, ``submissions``, ``quarantine`` of
the gateway store; ``submissions`` of the insurer state), so a crash test keeps working while the
code behind them changes, and reading never runs migrations or takes a write lock.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.crypto import b64url_decode


@contextlib.contextmanager
def _read(path: Path) -> Iterator[sqlite3.Connection | None]:
    if not path.exists():
        yield None
        return
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only = ON")
        yield conn
    finally:
        conn.close()


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(r[0]) for r in rows}


@dataclass(frozen=True)
class RunRow:
    run_id: str
    started_at: str
    finished_at: str | None
    account: dict[str, Any] | None


@dataclass(frozen=True)
class GatewayView:
    """The gateway store at one moment: runs (oldest first), submission statuses, quarantine."""

    runs: list[RunRow] = field(default_factory=list)
    submissions: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (run, status)
    quarantined_lines: dict[str, set[int]] = field(default_factory=dict)  # source -> lines

    def run_ids(self) -> set[str]:
        return {r.run_id for r in self.runs}

    def last_account(self, source: str) -> dict[str, Any] | None:
        """``source``'s account in the last finished run that read it. A run that skips a
        source (its file unchanged since it was last read in full) has no entry for it."""
        finished = [r for r in self.runs if r.finished_at is not None and r.account]
        finished.sort(key=lambda r: (r.finished_at or "", r.started_at))
        for run in reversed(finished):
            account = (run.account or {}).get(source)
            if isinstance(account, dict):
                return account
        return None

    def with_status(self, *statuses: str) -> set[str]:
        return {sid for sid, (_, status) in self.submissions.items() if status in statuses}


def read_gateway(path: Path) -> GatewayView:
    """The gateway store at ``path`` (an empty view if it does not exist yet)."""
    with _read(path) as conn:
        if conn is None or "runs" not in _tables(conn):
            return GatewayView()
        runs = [
            RunRow(r[0], r[1], r[2], json.loads(r[3]) if r[3] else None)
            for r in conn.execute(
                "SELECT run_id, started_at, finished_at, account FROM runs ORDER BY rowid"
            )
        ]
        submissions = {
            str(r[0]): (str(r[1]), str(r[2]))
            for r in conn.execute("SELECT submission_id, run_id, status FROM submissions")
        }
        lines: dict[str, set[int]] = {}
        for source, row in conn.execute("SELECT source, row FROM quarantine"):
            lines.setdefault(str(source), set()).add(int(row))
    return GatewayView(runs, submissions, lines)


def _payload(jws: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(b64url_decode(jws.split(".")[1]))
    return decoded


@dataclass(frozen=True)
class InsurerView:
    """What the insurer stored: each accepted submission's id and decoded payload."""

    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)

    def attachments(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for submission_id, payload in self.payloads.items():
            for attachment in payload.get("attachments") or ():
                yield submission_id, attachment


def read_insurer(path: Path) -> InsurerView:
    """The insurer state file at ``path``; payloads are decoded from the stored JWS (the insurer
    verified each one before storing it)."""
    with _read(path) as conn:
        if conn is None or "submissions" not in _tables(conn):
            return InsurerView()
        rows = conn.execute("SELECT submission_id, jws FROM submissions ORDER BY rowid").fetchall()
    return InsurerView({str(sid): _payload(str(jws)) for sid, jws in rows})


def insurer_ids(path: Path) -> set[str]:
    """Only the ids the insurer stored (cheap: no payloads)."""
    with _read(path) as conn:
        if conn is None or "submissions" not in _tables(conn):
            return set()
        return {str(r[0]) for r in conn.execute("SELECT submission_id FROM submissions")}


def open_submissions(path: Path) -> int:
    """Outbox entries not yet delivered (cheap enough to poll every few milliseconds)."""
    with _read(path) as conn:
        if conn is None or "submissions" not in _tables(conn):
            return 0
        row = conn.execute(
            "SELECT count(*) FROM submissions WHERE status IN ('pending', 'failed')"
        ).fetchone()
    return int(row[0])

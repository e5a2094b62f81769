"""The reference insurer's own state: accepted submissions, their receipts and buckets, and
the hub releases it accepted with their decrypted totals (rows in :mod:`.release_rows`).

A separate SQLite file (stdlib ``sqlite3``), nothing shared with the gateway's store. Accepting a
submission is one ``BEGIN IMMEDIATE`` transaction, so concurrent replays of the same id store it
once and all get the original receipt.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.crypto import b64url_decode
from gateway.errors import StoreError
from gateway.examples.insurer_api import release_rows
from gateway.examples.insurer_api.release_rows import Outcome as Outcome  # re-exported
from gateway.examples.insurer_api.released import DecryptedRelease

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS submissions (
        submission_id   TEXT PRIMARY KEY,
        exporter_id     TEXT NOT NULL,
        kid             TEXT NOT NULL,
        payload_sha256  TEXT NOT NULL,
        received_at     TEXT NOT NULL,
        attachments     INTEGER NOT NULL,
        jws             TEXT NOT NULL,
        receipt_id      TEXT NOT NULL UNIQUE,
        receipt_jws     TEXT NOT NULL
    ) STRICT""",
    """CREATE TABLE IF NOT EXISTS buckets (
        submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
        position       INTEGER NOT NULL,
        bucket_key     TEXT NOT NULL,
        currency       TEXT,
        records        INTEGER NOT NULL,
        ciphertext     TEXT NOT NULL,
        PRIMARY KEY (submission_id, position)
    ) STRICT""",
    *release_rows.SCHEMA,
)




@dataclass(frozen=True, slots=True)
class Accepted:
    """What the insurer stores for one verified submission (the receipt is made on insert)."""

    submission_id: str
    exporter_id: str
    kid: str
    payload_sha256: str
    received_at: str
    attachments: int
    jws: str
    buckets: Sequence[tuple[str, str | None, int, str]]  # (key JSON, currency, records, ct)


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    """An accepted submission as stored: its JWS is verified again before any use."""

    submission_id: str
    exporter_id: str
    kid: str
    jws: str


class InsurerState:
    """Submissions and buckets in one SQLite file (mode 0600, WAL, ``synchronous=FULL``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        with self._tx() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    @contextlib.contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"insurer state {self.path}: cannot open") from exc
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"insurer state {self.path}: {type(exc).__name__}") from exc
        finally:
            conn.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def accept(
        self, item: Accepted, make_receipt: Callable[[], tuple[str, str]]
    ) -> tuple[Outcome, str | None]:
        """Store ``item`` once. ``make_receipt() -> (receipt_id, receipt_jws)`` runs only for a
        new submission; a replay returns the original receipt, another payload a conflict."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT payload_sha256, receipt_jws FROM submissions WHERE submission_id = ?",
                (item.submission_id,),
            ).fetchone()
            if row is not None:
                same = row[0] == item.payload_sha256
                return (Outcome.REPLAY, row[1]) if same else (Outcome.CONFLICT, None)
            receipt_id, receipt_jws = make_receipt()
            conn.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (item.submission_id, item.exporter_id, item.kid, item.payload_sha256,
                 item.received_at, item.attachments, item.jws, receipt_id, receipt_jws),
            )
            conn.executemany(
                "INSERT INTO buckets VALUES (?, ?, ?, ?, ?, ?)",
                [(item.submission_id, i, *bucket) for i, bucket in enumerate(item.buckets)],
            )
            return Outcome.CREATED, receipt_jws

    def submissions(self, limit: int, offset: int) -> list[dict[str, object]]:
        """Accepted submissions, oldest first, without their bodies."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT submission_id, exporter_id, received_at, attachments FROM submissions "
                "ORDER BY rowid LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        keys = ("submission_id", "exporter_id", "received_at", "attachments")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count(self) -> int:
        with self._conn() as conn:
            return int(conn.execute("SELECT count(*) FROM submissions").fetchone()[0])

    def latest_snapshots(self) -> list[StoredSubmission]:
        """Each exporter's latest submission that carries exposure buckets.

        A gateway's exposure is a snapshot of its whole book that replaces the previous one
        (docs/submission-format.md), so only each exporter's newest snapshot counts: newest by
        the signed ``iat``, then by arrival (a retried older snapshot can arrive late).
        """
        with self._conn() as conn:
            carriers = conn.execute(
                "SELECT s.rowid, s.submission_id, s.exporter_id, s.kid, s.jws FROM submissions s "
                "WHERE EXISTS (SELECT 1 FROM buckets b WHERE b.submission_id = s.submission_id)"
            ).fetchall()
        latest: dict[str, tuple[tuple[int, int], StoredSubmission]] = {}
        for rowid, submission_id, exporter_id, kid, jws in carriers:
            order = (_signed_iat(jws), rowid)
            if exporter_id not in latest or order > latest[exporter_id][0]:
                stored = StoredSubmission(submission_id, exporter_id, kid, jws)
                latest[exporter_id] = (order, stored)
        return [latest[exporter][1] for exporter in sorted(latest)]

    # -- hub releases --------------------------------------------------------------------

    def accept_release(
        self, release: DecryptedRelease, jws: str, make_receipt: Callable[[], tuple[str, str]]
    ) -> tuple[Outcome, str | None]:
        """Store a decrypted release once per period (see :mod:`.release_rows`)."""
        with self._tx() as conn:
            return release_rows.insert(conn, release, jws, make_receipt)

    def release(self, period: str) -> DecryptedRelease | None:
        """The release of ``period``, or ``None``."""
        with self._conn() as conn:
            return release_rows.load(conn, period)

    def previous_release(self, period: str) -> DecryptedRelease | None:
        """The release of the latest released period before ``period``, or ``None``."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT max(period) FROM releases WHERE period < ?", (period,)
            ).fetchone()
            return release_rows.load(conn, row[0]) if row[0] is not None else None

    def released_periods(self) -> list[str]:
        """Every released period, newest first."""
        with self._conn() as conn:
            rows = conn.execute("SELECT period FROM releases ORDER BY period DESC").fetchall()
        return [row[0] for row in rows]


def _signed_iat(jws: str) -> int:
    """The ``iat`` of a stored (already verified) submission."""
    payload = json.loads(b64url_decode(jws.split(".")[1]))
    return int(payload["iat"])

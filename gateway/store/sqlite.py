"""The embedded store: one SQLite file (WAL, ``synchronous=FULL``).

Each method opens a short-lived connection and runs exactly one transaction, so the store is safe
to share between threads and between processes (the CLI and the service). Errors from
``sqlite3`` become :class:`gateway.errors.StoreError`; messages name tables and identifiers,
never record contents.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.canonical import canonical_json, sha256_hex
from gateway.errors import StoreError
from gateway.ledger import LedgerAnchor, LedgerEntry, format_recorded_at
from gateway.store import _book, _governance, _history, _ledger, _records, _rows
from gateway.store import _queries as _q
from gateway.store._batch import chunks, marks
from gateway.store._connection import (
    connect,
    ensure_private_file,
    migrate,
    read_snapshot,
    transaction,
)
from gateway.store.base import (
    BucketTotal,
    Checkpoint,
    HubBookEntry,
    PendingRecord,
    PolicyActivation,
    PolicyVersion,
    QuarantineEntry,
    QuarantineItem,
    QuarantineStatus,
    Receipt,
    RecordChange,
    RecordVersion,
    Run,
    Submission,
    SubmissionStatus,
    UserRecord,
)

if TYPE_CHECKING:
    from gateway.policy.bundle import PolicyBundle

MAX_PAGE = 10_000
MAX_ERROR_CHARS = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise StoreError(f"page out of range: limit must be 1..{MAX_PAGE}, offset >= 0")


class SqliteStore:
    """:class:`gateway.store.Store` on an SQLite file created with mode 0600."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.path = Path(path)
        self._clock = clock
        # One connection per thread, opened on first use and kept: opening one and applying
        # the pragmas costs more than most calls. close() closes them all.
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._open_lock = threading.Lock()
        ensure_private_file(self.path)
        with self._connection() as conn:
            self.schema_version = migrate(conn, self.path)

    def close(self) -> None:
        """Close every thread's connection (a later call opens a new one)."""
        with self._open_lock:
            conns, self._open = self._open, []
            self._local = threading.local()
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _thread_connection(self) -> sqlite3.Connection:
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = connect(self.path, same_thread=False)  # closed by close() from any thread
            conn.row_factory = sqlite3.Row
            with self._open_lock:
                self._open.append(conn)
            local.conn = conn
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = self._thread_connection()
        outer = conn.in_transaction  # a call made inside another call's transaction
        try:
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: {type(exc).__name__}: {exc}") from exc
        finally:
            if conn.in_transaction and not outer:  # nothing may pin an old snapshot
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn, transaction(conn):
            yield conn

    def _now(self) -> str:
        return _rows.to_text(self._clock())

    # -- runs and dedup ---------------------------------------------------------------------

    def begin_run(self, run_id: str, sources: Sequence[str] = ()) -> Run:
        """Record the start of a sync over ``sources``; a reused ``run_id`` is an error."""
        summary = _rows.to_json({"sources": sorted(sources)}, "source summary")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise StoreError(f"run {run_id} already exists")
            conn.execute(
                "INSERT INTO runs (run_id, started_at, source_summary) VALUES (?, ?, ?)",
                (run_id, self._now(), summary),
            )
            return _q.run(conn, run_id)

    def finish_run(
        self,
        run_id: str,
        account: Mapping[str, Any],
        *,
        source_summary: Mapping[str, Any] | None = None,
        checkpoints: Sequence[Checkpoint] = (),
        pending: Sequence[PendingRecord] | None = None,
    ) -> Run:
        """Close a run with its record account (plain JSON), its sources' checkpoints and (for a
        reconciled run) the new set of invoices pending customs, in one transaction; optionally
        replace its summary."""
        account_json = _rows.to_json(account, "account")
        summary_json = None if source_summary is None else _rows.to_json(source_summary, "summary")
        with self._write() as conn:
            current = _q.run(conn, run_id)
            if current.finished_at is not None:
                raise StoreError(f"run {run_id} is already finished")
            conn.execute(
                "UPDATE runs SET finished_at = ?, account = ?, "
                "source_summary = COALESCE(?, source_summary) WHERE run_id = ?",
                (self._now(), account_json, summary_json, run_id),
            )
            _records.put_checkpoints(conn, checkpoints, run_id=run_id, now=self._now())
            if pending is not None:
                _records.replace_pending(conn, pending, run_id=run_id, now=self._now())
            return _q.run(conn, run_id)

    def get_run(self, run_id: str) -> Run | None:
        with self._connection() as conn:
            return _q.find_run(conn, run_id)

    def last_run(self) -> Run | None:
        """The most recently started run."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
            return None if row is None else _q.find_run(conn, row[0])

    # -- record versions, checkpoints, named values ----------------------------------------

    def latest_versions(self, keys: Iterable[str]) -> dict[str, RecordVersion]:
        """For each known business key, the latest attached version of the record it names."""
        with self._connection() as conn:
            return _records.latest_versions(conn, keys)

    def exposure_book(self) -> list[RecordVersion]:
        """The latest version of every attached record that adds exposure."""
        with self._connection() as conn:
            return _records.exposure_book(conn)

    def exposure_totals(self, overrides: Iterable[RecordVersion] = ()) -> list[BucketTotal]:
        """Records and exposure total per bucket over the latest attached version of every
        record, with ``overrides`` (versions about to be committed; the last one per record
        wins) replacing their records' stored latest versions. Summed in SQL: memory grows
        with the number of buckets, not of records. Sorted by bucket; integers only."""
        with self._connection() as conn, read_snapshot(conn):
            return _book.exposure_totals(conn, overrides)

    def hub_book(self) -> list[HubBookEntry]:
        """The exposure book with each record's common buyer id, for hub contributions."""
        with self._connection() as conn:
            return _records.hub_book(conn)

    def get_checkpoint(self, source: str) -> Checkpoint | None:
        with self._connection() as conn:
            return _records.get_checkpoint(conn, source)

    def pending_records(self) -> list[PendingRecord]:
        """ERP invoices still waiting for customs, oldest first."""
        with self._connection() as conn:
            return _records.pending_records(conn)

    def get_meta(self, name: str) -> str | None:
        with self._connection() as conn:
            return _records.get_meta(conn, name)

    def set_meta(self, name: str, value: str | None) -> None:
        """Set (or, with ``None``, delete) a named value."""
        with self._write() as conn:
            _records.set_meta(conn, [(name, value)])

    # -- quarantine -------------------------------------------------------------------------

    def add_quarantine(self, run_id: str, items: Iterable[QuarantineItem]) -> int:
        """Store quarantined rows (with their raw content, locally only); returns how many are
        new. A row identical to one still open for the same source is not stored twice, so a
        re-read of the same export does not grow the quarantine."""
        with self._write() as conn:
            _q.run(conn, run_id)
            now = self._now()
            rows: dict[tuple[str, str], tuple[Any, ...]] = {}  # the first of identical rows
            for it in items:
                raw_json = _rows.to_json(dict(it.raw), f"raw row {it.source} row {it.row}")
                digest = _quarantine_digest(it, raw_json)
                rows.setdefault(
                    (it.source, digest),
                    (run_id, it.source, it.row, it.field, it.reason, raw_json, now, digest),
                )
            for still_open in _open_quarantine(conn, list(rows)):
                rows.pop(still_open, None)
            conn.executemany(
                "INSERT INTO quarantine (run_id, source, row, field, reason, raw_json, "
                "created_at, raw_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                list(rows.values()),
            )
            return len(rows)

    def list_quarantine(
        self,
        *,
        run_id: str | None = None,
        status: QuarantineStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[QuarantineEntry]:
        """Quarantined rows in insertion order, optionally of one run or in one status."""
        _page(limit, offset)
        clauses, params = [], []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status.value)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {_rows.QUARANTINE_COLUMNS} FROM quarantine {where} "  # noqa: S608
                "ORDER BY id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [_rows.quarantine(row) for row in rows]

    def get_quarantine(self, entry_id: int) -> QuarantineEntry | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {_rows.QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?",  # noqa: S608
                (entry_id,),
            ).fetchone()
        return None if row is None else _rows.quarantine(row)

    def set_quarantine_status(self, entry_ids: Iterable[int], status: QuarantineStatus) -> int:
        """Move open entries to ``status``; returns how many changed."""
        with self._write() as conn:
            cursor = conn.executemany(
                "UPDATE quarantine SET status = ? WHERE id = ? AND status = 'open'",
                [(status.value, entry_id) for entry_id in dict.fromkeys(entry_ids)],
            )
            return max(cursor.rowcount, 0)

    # -- outbox -----------------------------------------------------------------------------

    def put_submission(
        self,
        submission_id: str,
        *,
        run_id: str,
        sequence: int,
        jws: str,
        payload_sha256: str,
        policy_version: str,
        records: Sequence[RecordVersion] = (),
        meta: Mapping[str, str] | None = None,
    ) -> Submission:
        """Commit a signed submission as ``pending`` before it is sent, together with the record
        versions it attaches and named values (the exposure snapshot it carries): all or nothing.

        Putting the same id with the same payload hash again is a no-op that returns the stored
        entry; the same id with another payload is an error.
        """
        with self._write() as conn:
            existing = _q.submission(conn, submission_id)
            if existing is not None:
                if existing.payload_sha256 != payload_sha256:
                    raise StoreError(f"submission {submission_id} exists with another payload")
                return existing
            _q.run(conn, run_id)
            conn.execute(
                "INSERT INTO submissions (submission_id, run_id, sequence, created_at, status, "
                "jws, payload_sha256, policy_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (submission_id, run_id, sequence, self._now(), SubmissionStatus.PENDING.value,
                 jws, payload_sha256, policy_version),
            )
            now = self._now()
            _records.put_versions(
                conn, records, run_id=run_id, submission_id=submission_id, now=now
            )
            _records.set_meta(conn, (meta or {}).items())
            return _q.existing(conn, submission_id)

    def mark_delivered(self, submission_id: str, receipt_jws: str, receipt_id: str) -> Receipt:
        """Store the (already verified) receipt and close the outbox entry, atomically."""
        with self._write() as conn:
            current = _q.existing(conn, submission_id)
            if current.status is SubmissionStatus.DELIVERED:
                stored = _q.receipt(conn, submission_id)
                if stored is not None and stored.receipt_id == receipt_id:
                    return stored
                raise StoreError(f"submission {submission_id} already has another receipt")
            now = self._now()
            conn.execute(
                "INSERT INTO receipts (submission_id, receipt_jws, receipt_id, received_at, "
                "verified_at) VALUES (?, ?, ?, ?, ?)",
                (submission_id, receipt_jws, receipt_id, now, now),
            )
            conn.execute(
                "UPDATE submissions SET status = ?, attempts = attempts + 1, "
                "last_attempt_at = ?, last_error = NULL WHERE submission_id = ?",
                (SubmissionStatus.DELIVERED.value, now, submission_id),
            )
            stored = _q.receipt(conn, submission_id)
            assert stored is not None
            return stored

    def mark_failed(
        self,
        submission_id: str,
        error_text: str,
        *,
        permanent: bool = False,
        next_attempt_at: datetime | None = None,
    ) -> Submission:
        """Count a failed attempt: ``failed`` (retried from ``next_attempt_at`` on) or, if
        ``permanent``, ``dead`` (dead-lettered: only ``requeue`` sends it again)."""
        status = SubmissionStatus.DEAD if permanent else SubmissionStatus.FAILED
        when = None if permanent or next_attempt_at is None else _rows.to_text(next_attempt_at)
        with self._write() as conn:
            current = _q.existing(conn, submission_id)
            if current.status is SubmissionStatus.DELIVERED:
                raise StoreError(f"submission {submission_id} is already delivered")
            conn.execute(
                "UPDATE submissions SET status = ?, attempts = attempts + 1, "
                "last_attempt_at = ?, last_error = ?, next_attempt_at = ? "
                "WHERE submission_id = ?",
                (status.value, self._now(), error_text[:MAX_ERROR_CHARS], when, submission_id),
            )
            return _q.existing(conn, submission_id)

    def requeue(self, submission_id: str) -> Submission:
        """Send a ``dead`` or ``failed`` entry again at the next delivery, with a fresh attempt
        count (the last error is kept until the next attempt)."""
        with self._write() as conn:
            current = _q.existing(conn, submission_id)
            if current.status is SubmissionStatus.DELIVERED:
                raise StoreError(f"submission {submission_id} is already delivered")
            conn.execute(
                "UPDATE submissions SET status = ?, attempts = 0, next_attempt_at = NULL "
                "WHERE submission_id = ?",
                (SubmissionStatus.PENDING.value, submission_id),
            )
            return _q.existing(conn, submission_id)

    def pending_submissions(
        self, *, limit: int = 1000, due_at: datetime | None = None
    ) -> list[Submission]:
        """Entries still to send (``pending`` or ``failed``), oldest first; with ``due_at``,
        only those whose next attempt is due by then."""
        rows = self._pending(_rows.SUBMISSION_COLUMNS, limit, due_at)
        return [_rows.submission(row) for row in rows]

    def pending_schedule(
        self, *, limit: int = 1000, due_at: datetime | None = None
    ) -> list[tuple[str, datetime | None]]:
        """(submission id, next attempt or ``None`` for "now") of the entries
        :meth:`pending_submissions` returns, in its order, without their JWS: delivery loads
        one submission at a time, so a large outbox is never held in memory at once."""
        rows = self._pending("submission_id, next_attempt_at", limit, due_at)
        return [(sid, _rows.from_text(at)) for sid, at in rows]

    def _pending(self, columns: str, limit: int, due_at: datetime | None) -> list[sqlite3.Row]:
        """``columns`` of the entries still to send, oldest first (see pending_submissions)."""
        _page(limit, 0)
        due = "" if due_at is None else "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        params = () if due_at is None else (_rows.to_text(due_at),)
        with self._connection() as conn:
            rows: list[sqlite3.Row] = conn.execute(
                f"SELECT {columns} FROM submissions "  # noqa: S608 - columns are ours
                f"WHERE status IN (?, ?) {due}ORDER BY rowid LIMIT ?",
                (SubmissionStatus.PENDING.value, SubmissionStatus.FAILED.value, *params, limit),
            ).fetchall()
        return rows

    def list_submissions(
        self, limit: int = 100, offset: int = 0, *, status: SubmissionStatus | None = None
    ) -> list[Submission]:
        """All entries (or those in ``status``), newest first."""
        _page(limit, offset)
        where, params = ("WHERE status = ? ", (status.value,)) if status else ("", ())
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {_rows.SUBMISSION_COLUMNS} FROM submissions "  # noqa: S608
                f"{where}ORDER BY rowid DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [_rows.submission(row) for row in rows]

    def get_submission(self, submission_id: str) -> Submission | None:
        with self._connection() as conn:
            return _q.submission(conn, submission_id)

    def get_receipt(self, submission_id: str) -> Receipt | None:
        with self._connection() as conn:
            return _q.receipt(conn, submission_id)

    # -- disclosure ledger ------------------------------------------------------------------

    def append_ledger(
        self,
        *,
        submission_id: str,
        payload_sha256: str,
        policy_version: str,
        receipt_sha256: str,
        receipt_id: str,
        ledger_anchor: tuple[int, str] | None = None,
    ) -> LedgerEntry:
        """Append the next ledger entry (``seq``, ``prev_hash`` and ``hash`` computed here).

        One ``BEGIN IMMEDIATE`` transaction, so concurrent appends get consecutive numbers.
        Appending the same submission with the same hashes again returns the stored entry;
        with other hashes it is an error, as is an anchor that is not an earlier head.
        """
        with self._write() as conn:
            return _ledger.append(
                conn,
                recorded_at=format_recorded_at(self._clock()),
                submission_id=submission_id,
                payload_sha256=payload_sha256,
                policy_version=policy_version,
                receipt_sha256=receipt_sha256,
                receipt_id=receipt_id,
                ledger_anchor=None if ledger_anchor is None else LedgerAnchor(*ledger_anchor),
            )

    def ledger_entries(self, start: int = 0) -> list[LedgerEntry]:
        """Entries with ``seq >= start``, in order, exactly as stored (not verified)."""
        if start < 0:
            raise StoreError("ledger start must be >= 0")
        with self._connection() as conn:
            return _ledger.entries(conn, start)

    def ledger_head(self) -> LedgerAnchor | None:
        """The last entry's ``(seq, hash)``; ``None`` while the ledger is empty."""
        with self._connection() as conn:
            return _ledger.head(conn)

    # -- webhook replay protection ----------------------------------------------------------

    def claim_delivery(self, delivery_id: str, *, signed_at: int, forget_before: int) -> bool:
        """Record a webhook delivery id (with its signed unix timestamp); ``False`` if it was
        seen before. Ids signed before ``forget_before`` are pruned first: the service refuses
        their timestamps anyway, so forgetting them cannot reopen a replay."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM webhook_deliveries WHERE signed_at < ?", (forget_before,)
            )
            cursor = conn.execute(
                "INSERT INTO webhook_deliveries (delivery_id, signed_at) VALUES (?, ?) "
                "ON CONFLICT (delivery_id) DO NOTHING",
                (delivery_id, signed_at),
            )
            return cursor.rowcount == 1


    # -- policy versions, activations, users ----------------------------------------------

    def put_policy_version(self, bundle: PolicyBundle) -> PolicyVersion:
        """Keep ``bundle``'s text under its version (a no-op when it is already kept)."""
        with self._write() as conn:
            return _governance.put_policy_version(
                conn, bundle.version, bundle.name, bundle.modules, self._now()
            )

    def get_policy_version(self, version: str) -> PolicyVersion | None:
        with self._connection() as conn:
            return _governance.get_policy_version(conn, version)

    def list_policy_versions(self) -> list[PolicyVersion]:
        with self._connection() as conn:
            return _governance.list_policy_versions(conn)

    def record_activation(
        self,
        version: str,
        *,
        action: str,
        actor: str,
        reason: str | None,
        exceptions: Mapping[str, str],
    ) -> PolicyActivation:
        """Append an activation or rollback of a kept version; it becomes the active one."""
        with self._write() as conn:
            return _governance.record_activation(
                conn, version, action=action, actor=actor, reason=reason,
                exceptions=exceptions, now=self._now(),
            )

    def activations(self) -> list[PolicyActivation]:
        """Every activation and rollback, oldest first."""
        with self._connection() as conn:
            return _governance.activations(conn)

    def active_policy(self) -> PolicyActivation | None:
        """The latest activation or rollback, or ``None`` when none was ever made."""
        with self._connection() as conn:
            return _governance.active_policy(conn)

    def add_user(self, username: str, role: str, password_hash: str) -> UserRecord:
        with self._write() as conn:
            return _governance.add_user(conn, username, role, password_hash, self._now())

    def get_user(self, username: str) -> UserRecord | None:
        with self._connection() as conn:
            return _governance.get_user(conn, username)

    def list_users(self) -> list[UserRecord]:
        with self._connection() as conn:
            return _governance.list_users(conn)

    def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        """Change a user; any change ends the sessions issued before it."""
        with self._write() as conn:
            return _governance.update_user(
                conn, username, role=role, password_hash=password_hash, disabled=disabled
            )

    # -- read-only views for the dashboard --------------------------------------------------

    def list_runs(self, limit: int = 20, offset: int = 0) -> list[Run]:
        """Runs, most recently started first."""
        _page(limit, offset)
        with self._connection() as conn:
            return _history.list_runs(conn, limit, offset)

    def record_history(self) -> list[RecordChange]:
        """Every attached version of every record, oldest first (the exposure book's history)."""
        with self._connection() as conn:
            return _history.record_history(conn)

    def submission_counts(self) -> dict[SubmissionStatus, int]:
        """Outbox entries per status."""
        with self._connection() as conn:
            return _history.submission_counts(conn)

    def quarantine_counts(self) -> dict[QuarantineStatus, int]:
        """Quarantined rows per status."""
        with self._connection() as conn:
            return _history.quarantine_counts(conn)


def _open_quarantine(
    conn: sqlite3.Connection, wanted: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which ``(source, raw_sha256)`` pairs are already open in the quarantine."""
    by_source: dict[str, list[str]] = {}
    for source, digest in wanted:
        by_source.setdefault(source, []).append(digest)
    found: set[tuple[str, str]] = set()
    for source, digests in by_source.items():
        for chunk in chunks(digests):
            rows = conn.execute(
                "SELECT raw_sha256 FROM quarantine "  # noqa: S608 - placeholders only
                f"WHERE status = 'open' AND source = ? AND raw_sha256 IN ({marks(chunk)})",
                (source, *chunk),
            )
            found.update((source, row[0]) for row in rows)
    return found


def _quarantine_digest(item: QuarantineItem, raw_json: str) -> str:
    """What makes two quarantined rows the same: the raw row when there is one, else (for a
    record the policy quarantined) its row, field and reason."""
    if item.raw:
        return sha256_hex(b"raw\x00" + raw_json.encode("utf-8"))
    return sha256_hex(canonical_json({"row": item.row, "field": item.field, "reason": item.reason}))

"""The ``Store`` interface and the records it returns.

The interface is deliberately small so that a server database can replace the embedded SQLite
store. Records are frozen dataclasses; fields that hold record contents or signed material
(``raw``, ``jws``, ``receipt_jws``) are left out of ``repr`` so a stray log line cannot leak them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from gateway.ledger import LedgerAnchor, LedgerEntry


class SubmissionStatus(StrEnum):
    """Where an outbox entry is in its delivery life."""

    PENDING = "pending"  # committed, not yet acknowledged
    DELIVERED = "delivered"  # the insurer's receipt is stored
    FAILED = "failed"  # the last attempt failed; will be retried
    DEAD = "dead"  # the insurer refused it for good; needs a person


class QuarantineStatus(StrEnum):
    """What happened to a quarantined row since."""

    OPEN = "open"
    RETRIED = "retried"
    DISCARDED = "discarded"


class QuarantineItem(Protocol):
    """What the store needs from a quarantined row (``gateway.ingest.Quarantined`` fits)."""

    @property
    def source(self) -> str: ...
    @property
    def row(self) -> int: ...
    @property
    def field(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def raw(self) -> Mapping[str, str | None]: ...


@dataclass(frozen=True, slots=True)
class SeenRecord:
    """One ingested record's identity: where it came from and a hash of its content."""

    source: str
    ref: str
    content_sha256: str


@dataclass(frozen=True, slots=True)
class Run:
    """One sync run."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None
    source_summary: dict[str, Any] | None
    account: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A stored quarantined row. ``raw`` is the original row, kept only locally for retry."""

    id: int
    run_id: str
    source: str
    row: int
    field: str
    reason: str
    created_at: datetime
    status: QuarantineStatus
    raw: dict[str, str | None] = dataclasses.field(repr=False)


@dataclass(frozen=True, slots=True)
class Submission:
    """An outbox entry: a signed submission and its delivery state."""

    submission_id: str
    run_id: str
    sequence: int
    created_at: datetime
    status: SubmissionStatus
    payload_sha256: str
    attempts: int
    last_attempt_at: datetime | None
    last_error: str | None
    policy_version: str
    jws: str = dataclasses.field(repr=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready view without the signed body, for dashboards and APIs."""
        return {
            "submission_id": self.submission_id,
            "run_id": self.run_id,
            "sequence": self.sequence,
            "created_at": self.created_at.isoformat(),
            "status": self.status.value,
            "payload_sha256": self.payload_sha256,
            "attempts": self.attempts,
            "last_attempt_at": self.last_attempt_at.isoformat() if self.last_attempt_at else None,
            "last_error": self.last_error,
            "policy_version": self.policy_version,
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """The insurer's signed receipt for one submission."""

    submission_id: str
    receipt_id: str
    received_at: datetime
    verified_at: datetime | None
    receipt_jws: str = dataclasses.field(repr=False)


@runtime_checkable
class Store(Protocol):
    """Durable local state: runs, dedup keys, quarantine, the outbox, receipts and the ledger.

    Every method is one transaction. Implementations wrap their driver's errors in
    :class:`gateway.errors.StoreError` and never put record contents in an error message.
    """

    def begin_run(self, run_id: str, sources: Sequence[str] = ()) -> Run: ...

    def finish_run(
        self,
        run_id: str,
        account: Mapping[str, Any],
        *,
        source_summary: Mapping[str, Any] | None = None,
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run | None: ...

    def mark_seen(self, run_id: str, records: Iterable[SeenRecord]) -> list[bool]: ...

    def add_quarantine(self, run_id: str, items: Iterable[QuarantineItem]) -> int: ...

    def list_quarantine(
        self, *, run_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[QuarantineEntry]: ...

    def put_submission(
        self,
        submission_id: str,
        *,
        run_id: str,
        sequence: int,
        jws: str,
        payload_sha256: str,
        policy_version: str,
    ) -> Submission: ...

    def mark_delivered(self, submission_id: str, receipt_jws: str, receipt_id: str) -> Receipt: ...

    def mark_failed(
        self, submission_id: str, error_text: str, *, permanent: bool = False
    ) -> Submission: ...

    def pending_submissions(self, *, limit: int = 1000) -> list[Submission]: ...

    def list_submissions(self, limit: int = 100, offset: int = 0) -> list[Submission]: ...

    def get_submission(self, submission_id: str) -> Submission | None: ...

    def get_receipt(self, submission_id: str) -> Receipt | None: ...

    def append_ledger(
        self,
        *,
        submission_id: str,
        payload_sha256: str,
        policy_version: str,
        receipt_sha256: str,
        receipt_id: str,
        ledger_anchor: tuple[int, str] | None = None,
    ) -> LedgerEntry: ...

    def ledger_entries(self, start: int = 0) -> list[LedgerEntry]: ...

    def ledger_head(self) -> LedgerAnchor | None: ...

    def close(self) -> None: ...


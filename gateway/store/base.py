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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from gateway.ledger import LedgerAnchor, LedgerEntry

if TYPE_CHECKING:
    from gateway.policy.bundle import PolicyBundle


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
class RecordVersion:
    """One attached version of a record (docs/reliability.md).

    ``record_id`` is the gateway's own opaque id; ``keys`` are the business keys that name the
    record (an ERP invoice, a customs declaration); ``content_sha256`` is the hash of the
    record's content as read, so a re-read is recognised and a changed row becomes version + 1.
    ``bucket`` and ``exposure_minor`` are the exposure the version adds to the exporter's book.
    ``aliases`` are the declarations a reconciled invoice was matched with: they tell a later
    sync that those declarations' shipments are already attached. ``hub_buyer`` is the buyer id
    shared across exporters for hub contributions (gateway.hub.common_id), or ``None``.
    """

    record_id: str
    version: int
    content_sha256: str
    keys: tuple[str, ...] = ()
    bucket: dict[str, str] | None = None
    exposure_minor: int | None = None
    aliases: tuple[str, ...] = ()  # keys that name it unless they already name another record
    hub_buyer: str | None = None


class BucketTotal(NamedTuple):
    """The k rule's input for one exposure bucket: how many records of the exporter's book
    (the latest attached version of each) add exposure to ``bucket``, and their sum in integer
    minor units. ``bucket`` is the stored bucket key (``BucketKey.as_dict()``)."""

    bucket: dict[str, str]
    records: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class HubBookEntry:
    """One record of the exposure book as a hub contribution sees it: the latest attached
    version's common buyer id (``None``: none) and its bucket's other dimensions (``"*"``:
    merged or not disclosed by the policy)."""

    record_id: str
    hub_buyer: str | None
    country: str
    currency: str
    maturity_month: str
    exposure_minor: int


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """An ERP invoice still waiting for customs after a reconciled run (docs/reliability.md).

    ``record_json`` is the record as read (local only, like a quarantined row); ``since`` is
    when it first became pending.
    """

    key: str
    source: str
    record_json: str = dataclasses.field(repr=False)
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far a source was read by the last finished run that read it.

    For files, the content hash and the number of rows; for databases, the high-water mark of
    the configured column. ``policy_version`` is the policy the rows were decided under, and
    ``reading_sha256`` a hash of how the source is read (its settings and its mapping).
    """

    source: str
    kind: str
    rows: int
    policy_version: str
    content_sha256: str | None = None
    watermark: str | None = None
    reading_sha256: str | None = None
    run_id: str = ""


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
    next_attempt_at: datetime | None = None

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
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """The insurer's signed receipt for one submission."""

    submission_id: str
    receipt_id: str
    received_at: datetime
    verified_at: datetime | None
    receipt_jws: str = dataclasses.field(repr=False)


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One attached version of a record as the store recorded it (the exposure book's history):
    the run and submission that carried it, when, and the exposure it adds (``None``: none)."""

    record_id: str
    version: int
    run_id: str
    submission_id: str
    recorded_at: datetime
    bucket: dict[str, str] | None
    exposure_minor: int | None


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """The text of one policy version as it was activated (docs/policy-lifecycle.md)."""

    version: str
    name: str
    modules: Mapping[str, str] = dataclasses.field(repr=False)
    added_at: datetime


@dataclass(frozen=True, slots=True)
class PolicyActivation:
    """One activation or rollback: who made which version active, when and why.

    ``exceptions`` are the protected fields the version lets leave in clear, each with the
    written justification the policy carries; ``previous_version`` was active before.
    """

    seq: int
    version: str
    action: str  # "activate" | "rollback"
    actor: str
    at: datetime
    reason: str | None
    exceptions: Mapping[str, str]
    previous_version: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A dashboard user. ``session_epoch`` changes with the password, role or disabled flag,
    which ends every session issued before."""

    username: str
    role: str
    password_hash: str = dataclasses.field(repr=False)
    created_at: datetime
    disabled: bool = False
    session_epoch: int = 0


@runtime_checkable
class Store(Protocol):
    """Durable local state: runs, record versions, quarantine, the outbox, receipts, the ledger.

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
        checkpoints: Sequence[Checkpoint] = (),
        pending: Sequence[PendingRecord] | None = None,
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run | None: ...

    def last_run(self) -> Run | None: ...

    def latest_versions(self, keys: Iterable[str]) -> dict[str, RecordVersion]: ...

    def exposure_book(self) -> list[RecordVersion]: ...

    def exposure_totals(self, overrides: Iterable[RecordVersion] = ()) -> list[BucketTotal]: ...

    def hub_book(self) -> list[HubBookEntry]: ...

    def get_checkpoint(self, source: str) -> Checkpoint | None: ...

    def pending_records(self) -> list[PendingRecord]: ...

    def get_meta(self, name: str) -> str | None: ...

    def set_meta(self, name: str, value: str | None) -> None: ...

    def add_quarantine(self, run_id: str, items: Iterable[QuarantineItem]) -> int: ...

    def list_quarantine(
        self,
        *,
        run_id: str | None = None,
        status: QuarantineStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[QuarantineEntry]: ...

    def get_quarantine(self, entry_id: int) -> QuarantineEntry | None: ...

    def set_quarantine_status(self, entry_ids: Iterable[int], status: QuarantineStatus) -> int: ...

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
    ) -> Submission: ...

    def mark_delivered(self, submission_id: str, receipt_jws: str, receipt_id: str) -> Receipt: ...

    def mark_failed(
        self,
        submission_id: str,
        error_text: str,
        *,
        permanent: bool = False,
        next_attempt_at: datetime | None = None,
    ) -> Submission: ...

    def requeue(self, submission_id: str) -> Submission: ...

    def pending_submissions(
        self, *, limit: int = 1000, due_at: datetime | None = None
    ) -> list[Submission]: ...

    def pending_schedule(
        self, *, limit: int = 1000, due_at: datetime | None = None
    ) -> list[tuple[str, datetime | None]]: ...

    def list_submissions(
        self, limit: int = 100, offset: int = 0, *, status: SubmissionStatus | None = None
    ) -> list[Submission]: ...

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

    def claim_delivery(self, delivery_id: str, *, signed_at: int, forget_before: int) -> bool: ...

    def put_policy_version(self, bundle: PolicyBundle) -> PolicyVersion: ...

    def get_policy_version(self, version: str) -> PolicyVersion | None: ...

    def list_policy_versions(self) -> list[PolicyVersion]: ...

    def record_activation(
        self,
        version: str,
        *,
        action: str,
        actor: str,
        reason: str | None,
        exceptions: Mapping[str, str],
    ) -> PolicyActivation: ...

    def activations(self) -> list[PolicyActivation]: ...

    def active_policy(self) -> PolicyActivation | None: ...

    def add_user(self, username: str, role: str, password_hash: str) -> UserRecord: ...

    def get_user(self, username: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord: ...

    def list_runs(self, limit: int = 20, offset: int = 0) -> list[Run]: ...

    def record_history(self) -> list[RecordChange]: ...

    def submission_counts(self) -> dict[SubmissionStatus, int]: ...

    def quarantine_counts(self) -> dict[QuarantineStatus, int]: ...

    def close(self) -> None: ...

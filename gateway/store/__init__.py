"""The local store: runs, record versions, checkpoints, quarantine, the outbox and receipts.

:class:`Store` is the interface; :class:`SqliteStore` the embedded implementation (one SQLite
file, WAL, ``synchronous=FULL``, mode 0600). This package and ``gateway.adapters`` are the only
places that do IO.
"""

from gateway.store.base import (
    BucketTotal,
    Checkpoint,
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
    Store,
    Submission,
    SubmissionStatus,
    UserRecord,
)
from gateway.store.schema import SCHEMA_VERSION
from gateway.store.sqlite import SqliteStore

__all__ = [
    "SCHEMA_VERSION",
    "BucketTotal",
    "Checkpoint",
    "PendingRecord",
    "PolicyActivation",
    "PolicyVersion",
    "QuarantineEntry",
    "QuarantineItem",
    "QuarantineStatus",
    "Receipt",
    "RecordChange",
    "RecordVersion",
    "Run",
    "SqliteStore",
    "Store",
    "Submission",
    "SubmissionStatus",
    "UserRecord",
]

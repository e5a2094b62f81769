"""Conversions between SQLite rows and the store's records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.errors import StoreError
from gateway.store.base import (
    QuarantineEntry,
    QuarantineStatus,
    Receipt,
    Run,
    Submission,
    SubmissionStatus,
)

SUBMISSION_COLUMNS = (
    "submission_id, run_id, sequence, created_at, status, payload_sha256, attempts, "
    "last_attempt_at, last_error, policy_version, jws, next_attempt_at"
)
RECEIPT_COLUMNS = "submission_id, receipt_id, received_at, verified_at, receipt_jws"
RUN_COLUMNS = "run_id, started_at, finished_at, source_summary, account"
QUARANTINE_COLUMNS = "id, run_id, source, row, field, reason, created_at, status, raw_json"


def to_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC, microsecond precision."""
    if moment.tzinfo is None:
        raise StoreError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    """The inverse of :func:`to_text` (``None`` stays ``None``)."""
    return None if text is None else datetime.fromisoformat(text)


def _required(text: str) -> datetime:
    moment = from_text(text)
    assert moment is not None
    return moment


def to_json(value: Mapping[str, Any], what: str) -> str:
    """Sorted, compact JSON; a value that is not plain JSON is a :class:`StoreError`."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False,
                          ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not plain JSON ({type(exc).__name__})") from exc


def _json_object(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise StoreError("stored JSON is not an object")
    return value


def run(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"],
        started_at=_required(row["started_at"]),
        finished_at=from_text(row["finished_at"]),
        source_summary=_json_object(row["source_summary"]),
        account=_json_object(row["account"]),
    )


def quarantine(row: sqlite3.Row) -> QuarantineEntry:
    raw = _json_object(row["raw_json"])
    assert raw is not None
    return QuarantineEntry(
        id=row["id"],
        run_id=row["run_id"],
        source=row["source"],
        row=row["row"],
        field=row["field"],
        reason=row["reason"],
        created_at=_required(row["created_at"]),
        status=QuarantineStatus(row["status"]),
        raw=raw,
    )


def submission(row: sqlite3.Row) -> Submission:
    return Submission(
        submission_id=row["submission_id"],
        run_id=row["run_id"],
        sequence=row["sequence"],
        created_at=_required(row["created_at"]),
        status=SubmissionStatus(row["status"]),
        payload_sha256=row["payload_sha256"],
        attempts=row["attempts"],
        last_attempt_at=from_text(row["last_attempt_at"]),
        last_error=row["last_error"],
        policy_version=row["policy_version"],
        jws=row["jws"],
        next_attempt_at=from_text(row["next_attempt_at"]),
    )


def receipt(row: sqlite3.Row) -> Receipt:
    return Receipt(
        submission_id=row["submission_id"],
        receipt_id=row["receipt_id"],
        received_at=_required(row["received_at"]),
        verified_at=from_text(row["verified_at"]),
        receipt_jws=row["receipt_jws"],
    )

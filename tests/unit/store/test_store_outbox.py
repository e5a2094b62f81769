"""The outbox and receipts in the SQLite store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.store import SqliteStore, SubmissionStatus

JWS = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJzdWJfMSJ9.c2ln"


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "gateway.db")
    store.begin_run("run_a")
    return store


def _put(store: SqliteStore, sid: str, sequence: int = 0, sha: str = "1" * 64) -> None:
    store.put_submission(
        sid, run_id="run_a", sequence=sequence, jws=JWS, payload_sha256=sha, policy_version="p1"
    )


def test_put_submission_is_durable_and_pending(store: SqliteStore) -> None:
    _put(store, "sub_1")
    reopened = SqliteStore(store.path)
    sub = reopened.get_submission("sub_1")
    assert sub is not None
    assert (sub.status, sub.attempts, sub.jws, sub.policy_version) == (
        SubmissionStatus.PENDING, 0, JWS, "p1"
    )
    assert [s.submission_id for s in reopened.pending_submissions()] == ["sub_1"]


def test_put_same_submission_twice_is_idempotent(store: SqliteStore) -> None:
    _put(store, "sub_1")
    _put(store, "sub_1")
    assert len(store.list_submissions()) == 1


def test_put_same_id_with_other_payload_is_refused(store: SqliteStore) -> None:
    _put(store, "sub_1")
    with pytest.raises(StoreError, match="another payload"):
        _put(store, "sub_1", sha="2" * 64)


def test_submission_needs_a_known_run(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="unknown run"):
        store.put_submission("sub_x", run_id="run_zz", sequence=0, jws=JWS,
                             payload_sha256="1" * 64, policy_version="p1")


def test_sequence_is_unique_within_a_run(store: SqliteStore) -> None:
    _put(store, "sub_1", sequence=0)
    with pytest.raises(StoreError, match="IntegrityError"):
        _put(store, "sub_2", sequence=0)


def test_failure_then_delivery(store: SqliteStore) -> None:
    _put(store, "sub_1")
    failed = store.mark_failed("sub_1", "DeliveryError: HTTP 503")
    assert (failed.status, failed.attempts, failed.last_error) == (
        SubmissionStatus.FAILED, 1, "DeliveryError: HTTP 503"
    )
    assert [s.submission_id for s in store.pending_submissions()] == ["sub_1"]

    receipt = store.mark_delivered("sub_1", "r.e.c", "rcpt_1")
    assert (receipt.receipt_id, receipt.receipt_jws) == ("rcpt_1", "r.e.c")
    assert receipt.verified_at is not None
    sub = store.get_submission("sub_1")
    assert sub is not None
    assert (sub.status, sub.attempts, sub.last_error) == (SubmissionStatus.DELIVERED, 2, None)
    assert store.pending_submissions() == []
    stored = store.get_receipt("sub_1")
    assert stored is not None and stored.receipt_id == "rcpt_1"


def test_mark_delivered_twice_with_same_receipt_is_idempotent(store: SqliteStore) -> None:
    _put(store, "sub_1")
    store.mark_delivered("sub_1", "r.e.c", "rcpt_1")
    again = store.mark_delivered("sub_1", "r.e.c", "rcpt_1")
    assert again.receipt_id == "rcpt_1"
    with pytest.raises(StoreError, match="another receipt"):
        store.mark_delivered("sub_1", "x.y.z", "rcpt_2")
    with pytest.raises(StoreError, match="already delivered"):
        store.mark_failed("sub_1", "late failure")
    sub = store.get_submission("sub_1")
    assert sub is not None and sub.attempts == 1


def test_permanent_failure_is_dead_and_not_retried(store: SqliteStore) -> None:
    _put(store, "sub_1", sequence=0)
    _put(store, "sub_2", sequence=1)
    dead = store.mark_failed("sub_1", "HTTP 422 schema_invalid", permanent=True)
    assert dead.status is SubmissionStatus.DEAD
    assert [s.submission_id for s in store.pending_submissions()] == ["sub_2"]


def test_error_text_is_truncated(store: SqliteStore) -> None:
    _put(store, "sub_1")
    failed = store.mark_failed("sub_1", "x" * 5000)
    assert failed.last_error is not None and len(failed.last_error) == 500


def test_unknown_submission(store: SqliteStore) -> None:
    assert store.get_submission("nope") is None
    assert store.get_receipt("nope") is None
    with pytest.raises(StoreError, match="unknown submission"):
        store.mark_failed("nope", "x")
    with pytest.raises(StoreError, match="unknown submission"):
        store.mark_delivered("nope", "a.b.c", "rcpt_1")


def test_pending_is_oldest_first_and_listing_newest_first(store: SqliteStore) -> None:
    for i in range(3):
        _put(store, f"sub_{i}", sequence=i)
    assert [s.submission_id for s in store.pending_submissions()] == ["sub_0", "sub_1", "sub_2"]
    assert [s.submission_id for s in store.list_submissions(limit=2)] == ["sub_2", "sub_1"]
    assert [s.submission_id for s in store.list_submissions(limit=2, offset=2)] == ["sub_0"]
    assert [s.submission_id for s in store.pending_submissions(limit=1)] == ["sub_0"]


def test_pending_schedule_names_what_pending_submissions_holds_without_the_bodies(
    store: SqliteStore,
) -> None:
    for i in range(5):
        _put(store, f"sub_{i}", sequence=i)
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    later = now + timedelta(seconds=30)
    store.mark_failed("sub_1", "HTTP 503", next_attempt_at=later)
    store.mark_failed("sub_2", "refused", permanent=True)
    store.mark_delivered("sub_3", "a.b.c", "rcpt_3")
    for due_at in (None, now, later):
        full = store.pending_submissions(due_at=due_at)
        schedule = store.pending_schedule(due_at=due_at)
        assert schedule == [(s.submission_id, s.next_attempt_at) for s in full]
    assert store.pending_schedule() == [("sub_0", None), ("sub_1", later), ("sub_4", None)]
    assert store.pending_schedule(due_at=now) == [("sub_0", None), ("sub_4", None)]
    assert store.pending_schedule(limit=1) == [("sub_0", None)]
    with pytest.raises(StoreError):
        store.pending_schedule(limit=0)


def test_summary_and_repr_leave_out_the_signed_body(store: SqliteStore) -> None:
    _put(store, "sub_1")
    sub = store.get_submission("sub_1")
    assert sub is not None
    assert JWS not in repr(sub)
    summary = sub.summary()
    assert JWS not in str(summary)
    assert summary["status"] == "pending" and summary["submission_id"] == "sub_1"


def test_receipt_is_tied_to_its_submission_by_foreign_key(store: SqliteStore) -> None:
    """The schema itself refuses a receipt for a submission that does not exist."""
    from gateway.store._connection import connect

    conn = connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO receipts (submission_id, receipt_jws, receipt_id, received_at) "
                "VALUES ('ghost', 'a.b.c', 'rcpt_9', '2025-01-01T00:00:00+00:00')"
            )
    finally:
        conn.close()

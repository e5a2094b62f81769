"""Record versions, checkpoints, named values, quarantine dedup, retry scheduling and the lock."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.ingest import Quarantined as Bad
from gateway.store import (
    Checkpoint,
    QuarantineStatus,
    RecordVersion,
    SqliteStore,
    SubmissionStatus,
)
from gateway.store.lock import StoreLock

BUCKET = {"buyer": "*", "country": "DE", "currency": "EUR", "maturity_month": "2026-05"}


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "gateway.db")
    s.begin_run("run_a")
    return s


def _put(store: SqliteStore, sid: str, seq: int, *versions: RecordVersion, **kw: object) -> None:
    store.put_submission(
        sid, run_id="run_a", sequence=seq, jws="h.p.s", payload_sha256="0" * 64,
        policy_version="v", records=versions, **kw,  # type: ignore[arg-type]
    )


def test_versions_are_found_by_key_and_the_latest_wins(store: SqliteStore) -> None:
    v1 = RecordVersion("rec_1", 1, "a" * 64, ("invoice\x1ferp\x1fINV-1",), BUCKET, 1000)
    _put(store, "sub_1", 0, v1)
    v2 = RecordVersion("rec_1", 2, "b" * 64, ("invoice\x1ferp\x1fINV-1",), BUCKET, 1500)
    _put(store, "sub_2", 1, v2)
    found = store.latest_versions(["invoice\x1ferp\x1fINV-1", "invoice\x1ferp\x1fINV-9"])
    assert list(found) == ["invoice\x1ferp\x1fINV-1"]
    latest = found["invoice\x1ferp\x1fINV-1"]
    assert (latest.version, latest.content_sha256, latest.exposure_minor) == (2, "b" * 64, 1500)
    assert latest.keys == ("invoice\x1ferp\x1fINV-1",)
    assert [(v.record_id, v.exposure_minor) for v in store.exposure_book()] == [("rec_1", 1500)]


def test_a_version_that_skips_a_number_rolls_back_the_submission(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="does not follow"):
        _put(store, "sub_1", 0, RecordVersion("rec_1", 2, "a" * 64, ("k",)))
    assert store.get_submission("sub_1") is None
    assert store.latest_versions(["k"]) == {}


def test_a_key_cannot_name_two_records(store: SqliteStore) -> None:
    _put(store, "sub_1", 0, RecordVersion("rec_1", 1, "a" * 64, ("k",)))
    with pytest.raises(StoreError, match="already names"):
        _put(store, "sub_2", 1, RecordVersion("rec_2", 1, "a" * 64, ("k",)))
    assert store.get_submission("sub_2") is None


def test_meta_is_committed_with_the_submission_only(store: SqliteStore) -> None:
    with pytest.raises(StoreError):
        _put(store, "sub_1", 0, RecordVersion("rec_1", 5, "a" * 64), meta={"m": "x"})
    assert store.get_meta("m") is None
    _put(store, "sub_1", 0, meta={"m": "x"})
    assert store.get_meta("m") == "x"
    store.set_meta("m", None)
    assert store.get_meta("m") is None


def test_checkpoints_are_written_when_the_run_finishes(store: SqliteStore) -> None:
    cp = Checkpoint("erp", "csv", 12, "v1", content_sha256="c" * 64)
    store.finish_run("run_a", {}, checkpoints=[cp])
    got = store.get_checkpoint("erp")
    assert got is not None and (got.rows, got.content_sha256, got.run_id) == (12, "c" * 64, "run_a")
    store.begin_run("run_b")
    store.finish_run("run_b", {}, checkpoints=[Checkpoint("erp", "sql", 3, "v2", watermark="9")])
    got = store.get_checkpoint("erp")
    assert got is not None and (got.kind, got.watermark, got.content_sha256) == ("sql", "9", None)
    assert store.get_checkpoint("other") is None


def test_the_same_bad_row_is_quarantined_once_while_open(store: SqliteStore) -> None:
    bad = Bad("erp", 4, "amount", "not a number", {"amount": "12x"})
    assert store.add_quarantine("run_a", [bad]) == 1
    assert store.add_quarantine("run_a", [bad, Bad("erp", 9, "amount", "x", {"amount": "1y"})]) == 1
    entries = store.list_quarantine(status=QuarantineStatus.OPEN)
    assert [e.row for e in entries] == [4, 9]
    assert store.set_quarantine_status([entries[0].id], QuarantineStatus.RETRIED) == 1
    assert store.set_quarantine_status([entries[0].id], QuarantineStatus.DISCARDED) == 0
    got = store.get_quarantine(entries[0].id)
    assert got is not None and got.status is QuarantineStatus.RETRIED
    # once resolved, the same bad row read again is a new open entry
    assert store.add_quarantine("run_a", [bad]) == 1


def test_policy_quarantines_without_raw_rows_are_told_apart_by_row(store: SqliteStore) -> None:
    items = [Bad("erp", 1, "<policy>", "r", {}), Bad("erp", 2, "<policy>", "r", {})]
    assert store.add_quarantine("run_a", items) == 2


def test_failed_entries_wait_for_their_next_attempt_and_dead_ones_for_a_person(
    store: SqliteStore,
) -> None:
    _put(store, "sub_1", 0)
    _put(store, "sub_2", 1)
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    store.mark_failed("sub_1", "HTTP 503", next_attempt_at=now + timedelta(seconds=30))
    store.mark_failed("sub_2", "refused", permanent=True)
    assert [s.submission_id for s in store.pending_submissions(due_at=now)] == []
    due = store.pending_submissions(due_at=now + timedelta(seconds=30))
    assert [s.submission_id for s in due] == ["sub_1"]
    dead = store.list_submissions(status=SubmissionStatus.DEAD)
    assert [(s.submission_id, s.attempts, s.last_error) for s in dead] == [("sub_2", 1, "refused")]
    again = store.requeue("sub_2")
    assert (again.status, again.attempts, again.next_attempt_at) == (
        SubmissionStatus.PENDING, 0, None)
    assert {s.submission_id for s in store.pending_submissions(due_at=now)} == {"sub_2"}


_TRY_LOCK = """
import sys
from pathlib import Path
from gateway.errors import StoreError
from gateway.ingest import Quarantined as Bad
from gateway.store.lock import StoreLock
try:
    with StoreLock(Path(sys.argv[1]), "sync"):
        print("acquired")
except StoreError as exc:
    print(exc)
"""


def _try_lock(db: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _TRY_LOCK, str(db)], capture_output=True, text=True, timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_a_second_process_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    with StoreLock(db, "serve"):
        message = _try_lock(db)
    assert "locked by another gateway process" in message
    assert "gateway serve" in message and "'gateway sync'" in message
    assert _try_lock(db) == "acquired"


def test_the_pending_set_is_replaced_when_a_run_finishes_and_keeps_first_seen_times(
    tmp_path: Path,
) -> None:
    from gateway.store import PendingRecord

    store = SqliteStore(tmp_path / "gateway.db")
    store.begin_run("run_1")
    store.finish_run("run_1", {}, pending=[PendingRecord("k1", "erp", "{}"),
                                           PendingRecord("k2", "erp", "{}")])
    first = {p.key: p.since for p in store.pending_records()}
    assert set(first) == {"k1", "k2"} and "{}" not in repr(store.pending_records())
    store.begin_run("run_2")
    store.finish_run("run_2", {}, pending=[PendingRecord("k2", "erp", '{"a":1}'),
                                           PendingRecord("k3", "erp", "{}")])
    second = {p.key: p for p in store.pending_records()}
    assert set(second) == {"k2", "k3"}
    assert second["k2"].since == first["k2"] and second["k2"].record_json == '{"a":1}'
    store.begin_run("run_3")
    store.finish_run("run_3", {})  # a run without reconciliation leaves the set alone
    assert {p.key for p in store.pending_records()} == {"k2", "k3"}

"""The store's read-only views the dashboard uses (``gateway.store._history``), on a real
SQLite store: runs newest first and bounded pages, the record history in recorded order, and
per-status counts with zeros included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.ingest import Quarantined
from gateway.store import (
    QuarantineStatus,
    RecordVersion,
    SqliteStore,
    SubmissionStatus,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "gw.sqlite3", clock=Clock())


def run_id(n: int) -> str:
    return f"run_{n:032x}"


def sub_id(n: int) -> str:
    return f"sub_{n:032x}"


def put(store: SqliteStore, n: int, versions: list[RecordVersion]) -> None:
    store.begin_run(run_id(n))
    store.put_submission(sub_id(n), run_id=run_id(n), sequence=0, jws="x.y.z",
                         payload_sha256=f"{n:064x}", policy_version="a" * 64, records=versions)
    store.finish_run(run_id(n), {})


def bucket(buyer: str) -> dict[str, str]:
    return {"buyer": buyer, "country": "US", "currency": "USD", "maturity_month": "2026-07"}


def test_runs_are_listed_newest_first_in_bounded_pages(store: SqliteStore) -> None:
    for n in range(5):
        store.begin_run(run_id(n))
    assert [r.run_id for r in store.list_runs()] == [run_id(n) for n in (4, 3, 2, 1, 0)]
    assert [r.run_id for r in store.list_runs(limit=2, offset=1)] == [run_id(3), run_id(2)]
    for limit, offset in ((0, 0), (10_001, 0), (5, -1)):
        with pytest.raises(StoreError):
            store.list_runs(limit=limit, offset=offset)


def test_the_record_history_keeps_every_version_in_recorded_order(store: SqliteStore) -> None:
    put(store, 1, [RecordVersion("rec_a", 1, "h1", ("k:a",), bucket("b1"), 500),
                   RecordVersion("rec_b", 1, "h2", ("k:b",), bucket("b2"), 700)])
    put(store, 2, [RecordVersion("rec_a", 2, "h3", ("k:a",), None, None)])
    history = store.record_history()
    assert [(c.record_id, c.version, c.run_id, c.submission_id) for c in history] == [
        ("rec_a", 1, run_id(1), sub_id(1)), ("rec_b", 1, run_id(1), sub_id(1)),
        ("rec_a", 2, run_id(2), sub_id(2)),
    ]
    assert (history[0].bucket, history[0].exposure_minor) == (bucket("b1"), 500)
    assert (history[2].bucket, history[2].exposure_minor) == (None, None)
    assert history[0].recorded_at < history[2].recorded_at
    assert [v.record_id for v in store.exposure_book()] == ["rec_b"]  # the same latest state


def test_counts_per_status_include_zeros(store: SqliteStore) -> None:
    assert store.submission_counts() == dict.fromkeys(SubmissionStatus, 0)
    assert store.quarantine_counts() == dict.fromkeys(QuarantineStatus, 0)
    put(store, 1, [])
    put(store, 2, [])
    store.mark_failed(sub_id(2), "down", permanent=True)
    store.begin_run(run_id(3))
    store.add_quarantine(run_id(3), [Quarantined("erp", r, "amount", "bad", {"a": str(r)})
                                     for r in (1, 2)])
    store.set_quarantine_status([1], QuarantineStatus.DISCARDED)
    assert store.submission_counts() == {SubmissionStatus.PENDING: 1, SubmissionStatus.DEAD: 1,
                                         SubmissionStatus.DELIVERED: 0,
                                         SubmissionStatus.FAILED: 0}
    assert store.quarantine_counts() == {QuarantineStatus.OPEN: 1,
                                         QuarantineStatus.DISCARDED: 1,
                                         QuarantineStatus.RETRIED: 0}

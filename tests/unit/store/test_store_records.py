"""Runs, dedup keys and the quarantine in the SQLite store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.store import QuarantineStatus, SqliteStore, Store


@dataclass(frozen=True)
class Bad:
    """Shaped like ``gateway.ingest.Quarantined``."""

    source: str
    row: int
    field: str
    reason: str
    raw: dict[str, str | None]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "gateway.db", clock=Clock())


def test_sqlite_store_satisfies_the_store_protocol(store: SqliteStore) -> None:
    assert isinstance(store, Store)


def test_run_lifecycle(store: SqliteStore) -> None:
    started = store.begin_run("run_a", ["customs", "erp"])
    assert started.finished_at is None and started.account is None
    finished = store.finish_run("run_a", {"erp": {"read": 3, "attached": 2, "quarantined": 1}})
    assert finished.finished_at is not None and finished.finished_at > finished.started_at
    assert finished.account == {"erp": {"read": 3, "attached": 2, "quarantined": 1}}
    assert finished.source_summary == {"sources": ["customs", "erp"]}
    with pytest.raises(StoreError, match="already finished"):
        store.finish_run("run_a", {})


def test_run_ids_are_unique_and_must_exist(store: SqliteStore) -> None:
    store.begin_run("run_a")
    with pytest.raises(StoreError, match="already exists"):
        store.begin_run("run_a")
    with pytest.raises(StoreError, match="unknown run"):
        store.finish_run("run_b", {})
    assert store.get_run("run_b") is None


def test_account_must_be_plain_json(store: SqliteStore) -> None:
    store.begin_run("run_a")
    with pytest.raises(StoreError, match="not plain JSON"):
        store.finish_run("run_a", {"total": Decimal("1.5")})
    run = store.get_run("run_a")
    assert run is not None and run.finished_at is None


def test_quarantine_round_trip_keeps_raw_row_locally(store: SqliteStore) -> None:
    store.begin_run("run_a")
    store.begin_run("run_b")
    raw = {"buyer": "Hanbit Trading 한빛", "amount": "12,50x", "memo": None}
    added = store.add_quarantine(
        "run_a", [Bad("sales.csv", 7, "amount", "not a decimal number", raw),
                  Bad("sales.csv", 9, "currency", "not an active ISO 4217 code", {"c": "XXX"})]
    )
    store.add_quarantine("run_b", [Bad("other.csv", 1, "buyer.name", "empty", {})])
    assert added == 2
    entries = store.list_quarantine(run_id="run_a")
    assert [(e.source, e.row, e.field, e.reason) for e in entries] == [
        ("sales.csv", 7, "amount", "not a decimal number"),
        ("sales.csv", 9, "currency", "not an active ISO 4217 code"),
    ]
    assert entries[0].raw == raw
    assert entries[0].status is QuarantineStatus.OPEN
    assert len(store.list_quarantine()) == 3
    assert [e.row for e in store.list_quarantine(limit=1, offset=1)] == [9]


def test_quarantine_entry_repr_does_not_show_raw_content(store: SqliteStore) -> None:
    store.begin_run("run_a")
    store.add_quarantine("run_a", [Bad("s.csv", 1, "amount", "bad", {"buyer": "SECRET BUYER"})])
    (entry,) = store.list_quarantine()
    assert "SECRET BUYER" not in repr(entry)


def test_quarantine_batch_is_all_or_nothing(store: SqliteStore) -> None:
    store.begin_run("run_a")
    unserialisable = Bad("s.csv", 2, "x", "bad", {"v": Decimal("1")})  # type: ignore[dict-item]
    with pytest.raises(StoreError):
        store.add_quarantine("run_a", [Bad("s.csv", 1, "x", "bad", {}), unserialisable])
    assert store.list_quarantine() == []


def test_quarantine_needs_a_known_run(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="unknown run"):
        store.add_quarantine("nope", [Bad("s.csv", 1, "x", "bad", {})])


def test_paging_is_bounded(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="page out of range"):
        store.list_quarantine(limit=0)
    with pytest.raises(StoreError, match="page out of range"):
        store.list_submissions(limit=10, offset=-1)

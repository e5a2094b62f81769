"""The disclosure ledger in the SQLite store: appends, idempotency, atomicity, concurrency."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.ledger import GENESIS_HASH, LedgerAnchor, verify_chain
from gateway.store import SCHEMA_VERSION, SqliteStore
from gateway.store.schema import MIGRATIONS

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _append(store: SqliteStore, i: int, anchor: tuple[int, str] | None = None) -> object:
    return store.append_ledger(
        submission_id=f"sub_{i:032x}",
        payload_sha256=f"{i:064x}",
        policy_version="ab" * 32,
        receipt_sha256=f"{i + 500:064x}",
        receipt_id=f"rcpt_{i:032x}",
        ledger_anchor=anchor,
    )


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "gateway.db", clock=lambda: NOW)


def test_append_numbers_links_and_persists_entries(store: SqliteStore) -> None:
    assert store.ledger_head() is None and store.ledger_entries() == []
    first = _append(store, 0)
    second = _append(store, 1, anchor=(0, store.ledger_entries()[0].hash))
    entries = SqliteStore(store.path).ledger_entries()
    assert entries == [first, second]
    assert [e.seq for e in entries] == [0, 1]
    assert entries[0].prev_hash == GENESIS_HASH and entries[1].prev_hash == entries[0].hash
    assert entries[0].recorded_at == "2026-03-01T09:30:15Z"
    assert entries[1].ledger_anchor == LedgerAnchor(0, entries[0].hash)
    assert store.ledger_head() == (1, entries[1].hash)
    assert store.ledger_entries(start=1) == [second]
    assert verify_chain(entries).ok


def test_appending_the_same_disclosure_again_returns_the_stored_entry(store: SqliteStore) -> None:
    first = _append(store, 0)
    assert _append(store, 0) == first
    assert len(store.ledger_entries()) == 1


def test_a_conflicting_append_fails_and_writes_nothing(store: SqliteStore) -> None:
    _append(store, 0)
    head = store.ledger_head()
    with pytest.raises(StoreError, match="differently"):
        store.append_ledger(
            submission_id=f"sub_{0:032x}", payload_sha256="f" * 64, policy_version="ab" * 32,
            receipt_sha256="e" * 64, receipt_id="rcpt_" + "e" * 32,
        )
    assert store.ledger_head() == head and len(store.ledger_entries()) == 1


def test_an_anchor_that_is_not_an_earlier_head_is_refused(store: SqliteStore) -> None:
    _append(store, 0)
    with pytest.raises(StoreError, match="ledger_anchor"):
        _append(store, 1, anchor=(0, "9" * 64))
    with pytest.raises(StoreError, match="ledger_anchor"):
        _append(store, 1, anchor=(1, "9" * 64))
    assert len(store.ledger_entries()) == 1


def test_a_malformed_field_is_refused_without_echoing_it(store: SqliteStore) -> None:
    with pytest.raises(StoreError) as caught:
        store.append_ledger(
            submission_id="sub_" + "1" * 32, payload_sha256="ACME Corp price 1.2M",
            policy_version="ab" * 32, receipt_sha256="e" * 64, receipt_id="rcpt_" + "e" * 32,
        )
    assert "payload_sha256" in str(caught.value) and "ACME" not in str(caught.value)
    assert store.ledger_head() is None


def test_concurrent_appends_from_two_threads_get_consecutive_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    SqliteStore(path)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        store = SqliteStore(path)  # one store object per thread, as two processes would
        try:
            for i in range(offset, offset + 20):
                _append(store, i)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = SqliteStore(path).ledger_entries()
    assert [e.seq for e in entries] == list(range(40))
    assert len({e.submission_id for e in entries}) == 40
    assert verify_chain(entries).ok


def test_a_version_1_store_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    path.touch(mode=0o600)
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO runs (run_id, started_at) VALUES ('run_1', '2026-01-01')")
        conn.execute("PRAGMA user_version = 1")
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION >= 2
    assert store.get_run("run_1") is not None
    _append(store, 0)
    assert store.ledger_head() is not None

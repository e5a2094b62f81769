"""Batched store writes and look-ups, on a real SQLite file.

Version look-ups, attaching versions and quarantining rows take a few statements per chunk of
500 values, not several per record, and still behave exactly as one-by-one statements in order
did: the latest version wins, a key names one record, the first error in order is the one
reported, and identical quarantined rows are stored once. The statement counts come from a
thin proxy around the store's real connections that counts ``execute``/``executemany`` calls
(``sqlite3.Connection`` methods cannot be patched); SQLite does all the work.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import StoreError
from gateway.ingest import Quarantined as Bad
from gateway.store import QuarantineStatus, RecordVersion, SqliteStore
from gateway.store import sqlite as store_module
from gateway.store._connection import connect as real_connect
from gateway.versions import DERIVED_FIELDS, VersionTracker, content_sha256
from tests.support import unit_record

BUCKET = {"buyer": "*", "country": "DE", "currency": "EUR", "maturity_month": "2026-05"}


class _Counting:
    """Counts the statements sent through one connection; everything else is the real one."""

    _conn: sqlite3.Connection
    _calls: list[str]

    def __init__(self, conn: sqlite3.Connection, calls: list[str]) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_calls", calls)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._calls.append(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._calls.append(sql)
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    sent: list[str] = []
    monkeypatch.setattr(store_module, "connect", lambda path: _Counting(real_connect(path), sent))
    yield sent


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "gateway.db")
    s.begin_run("run_a")
    return s


def _put(store: SqliteStore, sid: str, seq: int, versions: list[RecordVersion]) -> None:
    store.put_submission(
        sid, run_id="run_a", sequence=seq, jws="h.p.s", payload_sha256=f"{seq:064x}",
        policy_version="v", records=versions,
    )


def _versions(n: int, version: int = 1) -> list[RecordVersion]:
    return [
        RecordVersion(f"rec_{i:05d}", version, f"{version}" * 64, (f"inv:{i}",), BUCKET,
                      100 + i, aliases=(f"decl:{i}",))
        for i in range(n)
    ]


def test_attaching_and_looking_up_1200_records_takes_a_few_statements(
    store: SqliteStore, calls: list[str]
) -> None:
    _put(store, "sub_1", 0, _versions(1200))
    attach_statements = len(calls)
    calls.clear()
    found = store.latest_versions([f"inv:{i}" for i in range(1200)] + ["inv:unknown"])
    assert attach_statements <= 20
    assert len(calls) <= 8  # three chunks of keys, three chunks of record ids
    assert len(found) == 1200 and "inv:unknown" not in found
    assert found["inv:7"].keys == ("decl:7", "inv:7")
    assert (found["inv:7"].exposure_minor, found["inv:7"].bucket) == (107, BUCKET)


def test_quarantining_1200_rows_takes_a_few_statements(
    store: SqliteStore, calls: list[str]
) -> None:
    rows = [Bad("erp", r, "amount", "not a number", {"amount": f"{r}x"}) for r in range(1200)]
    assert store.add_quarantine("run_a", rows) == 1200
    assert len(calls) <= 10
    assert store.add_quarantine("run_a", rows) == 0  # all still open: none stored again
    assert len(store.list_quarantine(limit=10_000)) == 1200


def test_identical_rows_in_one_call_are_stored_once(store: SqliteStore) -> None:
    bad = Bad("erp", 4, "amount", "not a number", {"amount": "12x"})
    other_source = Bad("customs", 4, "amount", "not a number", {"amount": "12x"})
    assert store.add_quarantine("run_a", [bad, bad, other_source]) == 2
    entries = store.list_quarantine()
    assert [(e.source, e.row) for e in entries] == [("erp", 4), ("customs", 4)]
    ids = [e.id for e in entries]
    assert store.set_quarantine_status([ids[0], ids[0], ids[1]], QuarantineStatus.RETRIED) == 2
    assert store.add_quarantine("run_a", [bad]) == 1  # resolved: a new open entry


def test_versions_of_one_record_in_one_submission_leave_the_last_one_latest(
    store: SqliteStore,
) -> None:
    first = RecordVersion("rec_1", 1, "a" * 64, ("k1",), BUCKET, 100)
    second = RecordVersion("rec_1", 2, "b" * 64, ("k1",), BUCKET, 250)
    _put(store, "sub_1", 0, [first, second, RecordVersion("rec_2", 1, "c" * 64, ("k2",))])
    latest = store.latest_versions(["k1", "k2"])
    assert (latest["k1"].version, latest["k1"].exposure_minor) == (2, 250)
    assert latest["k2"].version == 1
    assert [(t.records, t.total_minor) for t in store.exposure_totals()] == [(1, 250)]
    third = RecordVersion("rec_1", 3, "d" * 64, ("k1",), None, None)  # withdrawn
    _put(store, "sub_2", 1, [third])
    assert store.exposure_totals() == []
    assert store.latest_versions(["k1"])["k1"].version == 3


def test_the_first_error_in_order_is_reported_and_nothing_is_kept(store: SqliteStore) -> None:
    _put(store, "sub_0", 0, [RecordVersion("rec_1", 1, "a" * 64, ("k1",))])
    key_clash = RecordVersion("rec_2", 1, "a" * 64, ("k1",))
    skipped = RecordVersion("rec_3", 2, "a" * 64, ("k3",))
    with pytest.raises(StoreError, match="rec_2: a key already names record rec_1"):
        _put(store, "sub_1", 1, [key_clash, skipped])
    with pytest.raises(StoreError, match="rec_3: version 2 does not follow 0"):
        _put(store, "sub_1", 1, [skipped, key_clash])
    assert store.get_submission("sub_1") is None
    assert store.latest_versions(["k3", "k1"])["k1"].record_id == "rec_1"
    assert "k3" not in store.latest_versions(["k3"])


def test_an_alias_claims_a_key_only_where_it_comes_first(store: SqliteStore) -> None:
    reconciled = RecordVersion("rec_inv", 1, "a" * 64, ("inv:1",), aliases=("decl:1",))
    customs = RecordVersion("rec_decl", 1, "b" * 64, ("decl:1",))
    with pytest.raises(StoreError, match="rec_decl: a key already names record rec_inv"):
        _put(store, "sub_1", 0, [reconciled, customs])
    _put(store, "sub_1", 0, [customs, reconciled])  # the alias is ignored: decl:1 is taken
    found = store.latest_versions(["decl:1", "inv:1"])
    assert (found["decl:1"].record_id, found["inv:1"].record_id) == ("rec_decl", "rec_inv")
    assert found["inv:1"].keys == ("inv:1",)


def test_records_created_by_one_tracker_sort_together_and_differ_between_trackers(
    store: SqliteStore,
) -> None:
    records = [(r, r.policy_input()) for r in (unit_record(i) for i in range(5))]
    ids = []
    for _ in range(2):
        tracker = VersionTracker(store, {"unit.csv": "erp"})
        ids.append([tracker.attach(i, None, None).record_id for i in tracker.identify(records)])
    assert ids[0] == sorted(ids[0]) and len(set(ids[0])) == 5
    assert {i[:-8] for i in ids[0]} != {i[:-8] for i in ids[1]}
    assert not set(ids[0]) & set(ids[1])


def test_content_hashes_are_those_already_stored() -> None:
    """Stores hold hashes computed as below; any change would make every record look edited."""

    def former(policy_input: dict[str, Any]) -> str:
        content = {k: v for k, v in policy_input.items() if k not in DERIVED_FIELDS}
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    inputs = [unit_record(i).policy_input() for i in range(3)]
    inputs[1]["buyer.name"] = "Müller & Søn, 東京"
    inputs[2]["line_items"] = [{"description": "x", "quantity": "2", "unit_price": "1.50"}]
    del inputs[2]["guard.max_days_overdue"]
    for inp in inputs:
        assert content_sha256(inp) == former(inp)
    assert content_sha256(inputs[0]) != content_sha256(inputs[1])

"""Schema 7: each record version keeps its common buyer id, and the hub book reads it back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gateway.store import SCHEMA_VERSION, RecordVersion, SqliteStore, _connection
from gateway.store.base import HubBookEntry
from gateway.store.schema import MIGRATIONS

BUCKET = {"buyer": "p1.psk.x", "country": "DE", "currency": "EUR", "maturity_month": "2026-05"}


def _put(store: SqliteStore, sid: str, seq: int, *versions: RecordVersion) -> None:
    store.put_submission(
        sid, run_id="run_a", sequence=seq, jws="h.p.s", payload_sha256="0" * 64,
        policy_version="v", records=versions,
    )


def test_a_version_6_store_migrates_and_keeps_its_records_without_a_common_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gateway.db"
    with monkeypatch.context() as m:
        m.setattr(_connection, "MIGRATIONS", MIGRATIONS[:6])
        old = SqliteStore(path)
        assert old.schema_version == 6
        old.begin_run("run_a")
        with sqlite3.connect(path) as conn:
            conn.execute(
                "INSERT INTO submissions (submission_id, run_id, sequence, created_at, jws, "
                "payload_sha256, policy_version) VALUES ('sub_1', 'run_a', 0, 't', 'h.p.s', "
                "?, 'v')",
                ("0" * 64,),
            )
            conn.execute(
                "INSERT INTO records (record_id, version, content_sha256, run_id, submission_id, "
                "bucket, exposure_minor, recorded_at) VALUES ('rec_old', 1, ?, 'run_a', "
                "'sub_1', ?, 700, 't')",
                ("a" * 64, json.dumps(BUCKET)),
            )
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION >= 7
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(records)")]
    assert "hub_buyer" in columns
    assert store.hub_book() == [HubBookEntry("rec_old", None, "DE", "EUR", "2026-05", 700)]
    _put(store, "sub_2", 1, RecordVersion("rec_old", 2, "b" * 64, (), BUCKET, 900, (), "ic:A1"))
    assert store.hub_book() == [HubBookEntry("rec_old", "ic:A1", "DE", "EUR", "2026-05", 900)]


def test_the_hub_book_holds_the_latest_version_of_records_that_add_exposure(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    store.begin_run("run_a")
    merged = {**BUCKET, "country": "*"}
    _put(
        store, "sub_1", 0,
        RecordVersion("rec_1", 1, "a" * 64, ("k1",), BUCKET, 100, (), "ic:OLD"),
        RecordVersion("rec_2", 1, "a" * 64, ("k2",), merged, 200, (), "cp:p1.csk-x.y"),
        RecordVersion("rec_3", 1, "a" * 64, ("k3",), BUCKET, 300, (), "ic:GONE"),
    )
    _put(
        store, "sub_2", 1,
        RecordVersion("rec_1", 2, "b" * 64, ("k1",), BUCKET, 150, (), "ic:NEW"),
        RecordVersion("rec_3", 2, "b" * 64, ("k3",), None, None, (), "ic:GONE"),
    )
    assert store.hub_book() == [
        HubBookEntry("rec_1", "ic:NEW", "DE", "EUR", "2026-05", 150),
        HubBookEntry("rec_2", "cp:p1.csk-x.y", "*", "EUR", "2026-05", 200),
    ]
    assert store.latest_versions(["k1"])["k1"].hub_buyer == "ic:NEW"
    assert [v.hub_buyer for v in store.exposure_book()] == ["ic:NEW", "cp:p1.csk-x.y"]

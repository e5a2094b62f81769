"""Schema 8: a version 7 store is migrated in place; every version a later one replaced is
flagged, the book index and the keys-by-record index exist, and the totals over the migrated
book equal those from ``exposure_book()`` (rows written by raw SQL as a version 7 gateway
would have written them, including bucket JSON spelled another way)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gateway.store import SCHEMA_VERSION, RecordVersion, SqliteStore, _connection
from gateway.store.schema import MIGRATIONS

A = {"buyer": "ic:A1", "country": "DE", "currency": "EUR", "maturity_month": "2026-05"}
B = {"buyer": "*", "country": "US", "currency": "USD", "maturity_month": "2026-06"}
CANONICAL = json.dumps(A, sort_keys=True, separators=(",", ":"))
SPACED = json.dumps(dict(reversed(A.items())))  # the same bucket, other key order and spacing

#: (record_id, version, bucket JSON, exposure) as a version 7 store held them
ROWS = [
    ("rec_a", 1, CANONICAL, 100), ("rec_a", 2, json.dumps(B), 200), ("rec_a", 3, None, None),
    ("rec_a", 4, SPACED, 50),  # withdrawn, then attached again
    ("rec_b", 1, SPACED, 30), ("rec_b", 2, CANONICAL, None),  # a bucket, no exposure any more
    ("rec_c", 1, CANONICAL, 20),
]


def _version_7_store(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(_connection, "MIGRATIONS", MIGRATIONS[:7])
        assert SqliteStore(path).schema_version == 7
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO runs (run_id, started_at) VALUES ('run_a', '2026-05-01T09:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO submissions (submission_id, run_id, sequence, created_at, jws, "
            "payload_sha256, policy_version) VALUES ('sub_1', 'run_a', 0, 't', 'h.p.s', ?, 'v')",
            ("0" * 64,),
        )
        conn.executemany(
            "INSERT INTO records (record_id, version, content_sha256, run_id, submission_id, "
            "bucket, exposure_minor, recorded_at) VALUES (?, ?, 'h', 'run_a', 'sub_1', ?, ?, 't')",
            ROWS,
        )
        conn.executemany(
            "INSERT INTO record_keys (key, record_id) VALUES (?, ?)",
            [("inv:a", "rec_a"), ("decl:a", "rec_a"), ("inv:b", "rec_b"), ("inv:c", "rec_c")],
        )


def test_a_version_7_store_is_migrated_with_its_latest_versions_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gateway.db"
    _version_7_store(path, monkeypatch)
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION == 8
    with sqlite3.connect(path) as conn:
        latest = set(conn.execute("SELECT record_id, version FROM records WHERE superseded = 0"))
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert latest == {("rec_a", 4), ("rec_b", 2), ("rec_c", 1)}
    assert {"records_book", "record_keys_by_record"} <= indexes
    by_book: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for v in store.exposure_book():
        if v.bucket is not None and v.exposure_minor is not None:
            tally = by_book.setdefault(tuple(sorted(v.bucket.items())), [0, 0])
            tally[0] += 1
            tally[1] += v.exposure_minor
    totals = store.exposure_totals()
    assert [(tuple(sorted(t.bucket.items())), t.records, t.total_minor) for t in totals] == [
        (k, n, s) for k, (n, s) in sorted(by_book.items())
    ]
    assert [(t.bucket, t.records, t.total_minor) for t in totals] == [(A, 2, 70)]
    assert store.latest_versions(["decl:a"])["decl:a"].keys == ("decl:a", "inv:a")


def test_versions_attached_after_the_migration_keep_the_flags_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gateway.db"
    _version_7_store(path, monkeypatch)
    store = SqliteStore(path)
    store.put_submission(
        "sub_2", run_id="run_a", sequence=1, jws="h.p.s", payload_sha256="1" * 64,
        policy_version="v", records=[RecordVersion("rec_b", 3, "h", ("inv:b",), B, 5),
                                     RecordVersion("rec_c", 2, "h", ("inv:c",), None, None)],
    )
    with sqlite3.connect(path) as conn:
        latest = set(conn.execute("SELECT record_id, version FROM records WHERE superseded = 0"))
    assert latest == {("rec_a", 4), ("rec_b", 3), ("rec_c", 2)}
    assert [(t.bucket, t.records, t.total_minor) for t in store.exposure_totals()] == [
        (B, 1, 5), (A, 1, 50)
    ]

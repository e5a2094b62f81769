"""The SQLite store's file: migrations, pragmas and permissions."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.store import SCHEMA_VERSION, SqliteStore
from gateway.store._connection import connect

TABLES = {
    "runs", "quarantine", "submissions", "receipts", "ledger",
    "records", "record_keys", "checkpoints", "meta", "pending", "webhook_deliveries",
    "policy_versions", "policy_activations", "users",
}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"sqlite_sequence"}


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_fresh_store_is_migrated_to_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION >= 1
    assert _user_version(path) == SCHEMA_VERSION
    assert _tables(path) == TABLES


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    SqliteStore(path).begin_run("run_1", ["erp"])
    reopened = SqliteStore(path)
    assert _user_version(path) == SCHEMA_VERSION
    run = reopened.get_run("run_1")
    assert run is not None and run.source_summary == {"sources": ["erp"]}


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    SqliteStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this gateway understands"):
        SqliteStore(path)


def test_failed_migration_leaves_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that fails half-way is rolled back with its version bump."""
    from gateway.store import _connection

    broken = (("CREATE TABLE half_done (x INTEGER) STRICT", "CREATE TABLE broken (")),
    monkeypatch.setattr(_connection, "MIGRATIONS", broken)
    path = tmp_path / "gateway.db"
    with pytest.raises(StoreError):
        SqliteStore(path)
    assert _user_version(path) == 0
    assert _tables(path) == set()


def test_connections_use_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    SqliteStore(path)
    conn = connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        conn.close()
    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    old = os.umask(0o022)
    try:
        SqliteStore(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wal_and_shm_files_inherit_owner_only_mode(tmp_path: Path) -> None:
    """SQLite creates its side files with the database's mode; they hold the same rows."""
    path = tmp_path / "gateway.db"
    store = SqliteStore(path)
    holder = sqlite3.connect(path)  # keeps the WAL from being checkpointed away
    try:
        holder.execute("SELECT count(*) FROM runs").fetchone()
        store.begin_run("run_1")
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists()
            assert stat.S_IMODE(side.stat().st_mode) == 0o600
    finally:
        holder.close()


def test_store_refuses_a_file_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    SqliteStore(path)
    path.chmod(0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        SqliteStore(path)


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot create store"):
        SqliteStore(tmp_path / "missing-dir" / "gateway.db")

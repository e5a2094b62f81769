"""Opening the SQLite file safely: permissions, pragmas, migrations.

The file holds raw quarantined rows, so it is created with mode 0600 and an existing file that
group or others can read is refused. SQLite creates its ``-wal`` and ``-shm`` files with the
database file's permissions. Every connection runs with ``journal_mode=WAL``,
``synchronous=FULL`` (a committed outbox entry survives power loss), foreign keys on and a busy
timeout, in autocommit mode so that transactions are explicit (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from gateway.errors import StoreError
from gateway.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


def ensure_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 if missing; refuse it if group or others can access it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise StoreError(
                f"store {path} is accessible by group or others (mode {mode:o}); "
                "it holds raw quarantined rows: chmod 600 it"
            ) from None
        return
    except OSError as exc:
        raise StoreError(f"cannot create store {path}: {exc.strerror}") from exc
    os.close(fd)


def connect(path: Path, *, same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection with the store's pragmas applied and checked.
    ``same_thread=False`` lets another thread close it (it is still used by one thread)."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=same_thread)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open store {path}: {type(exc).__name__}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"store {path}: cannot switch to WAL journal mode")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"store {path}: cannot configure connection: {exc}") from exc
    except StoreError:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every statement inside sees the same committed state (WAL readers
    do not block the writer, nor it them)."""
    conn.execute("BEGIN DEFERRED")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    migrations: Sequence[Sequence[str]] | None = None,
    *,
    what: str = "store",
    program: str = "this gateway",
) -> int:
    """Apply missing ``migrations`` (default: the gateway store's; step ``i`` takes the schema
    from ``i`` to ``i + 1``), each in its own transaction; refuse a newer schema."""
    steps = MIGRATIONS if migrations is None else migrations
    latest = len(steps)
    with transaction(conn):
        current = user_version(conn)
        if current > latest:
            raise StoreError(
                f"{what} {path} has schema version {current}, newer than {program} "
                f"understands ({latest}); upgrade the gateway"
            )
    while current < latest:
        with transaction(conn):
            current = user_version(conn)  # another process may have migrated meanwhile
            if current >= latest:
                break
            for statement in steps[current]:
                conn.execute(statement)
            current += 1
            conn.execute(f"PRAGMA user_version = {current:d}")
    return current

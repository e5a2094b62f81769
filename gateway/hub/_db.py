"""Opening the hub's SQLite file: mode 0600, the gateway store's pragmas, the hub's migrations.

Connections come from gateway/store/_connection.py (WAL, ``synchronous=FULL``, foreign keys,
busy timeout, explicit ``BEGIN IMMEDIATE`` transactions); only the schema differs.
"""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

from gateway.errors import StoreError
from gateway.hub._schema import MIGRATIONS
from gateway.store._connection import connect, ensure_private_file
from gateway.store._connection import migrate as _migrate


def open_file(path: Path) -> None:
    """Create ``path`` (0600) if missing; refuse a file group or others can access."""
    if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise StoreError(f"hub store {path} is accessible by group or others: chmod 600 it")
    ensure_private_file(path)


@contextlib.contextmanager
def connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A short-lived connection; ``sqlite3`` errors become :class:`StoreError` (no values)."""
    conn = connect(path)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    except sqlite3.Error as exc:
        raise StoreError(f"hub store {path}: {type(exc).__name__}") from exc
    finally:
        conn.close()


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply the hub's missing migrations, each in its own transaction; refuse a newer schema."""
    return _migrate(conn, path, MIGRATIONS, what="hub store", program="this hub")

"""Reconciliation over a temporary SQLite file, with memory that does not grow with the input.

:class:`ReconcileStaging` takes ERP records, declarations and customs statuses one at a time,
keeps them in a private temporary SQLite file, and yields exactly the outcomes
``gateway.reconcile.reconcile`` returns for the same input, in the same order, each with the
tags its records were added with. Memory per record is a few bytes of arrays (union-find,
link bits, taken flags); everything else streams from the file, whose page cache is bounded
by ``cache_kib``.

The file holds record contents (buyer names, amounts), so it is created with mode 0600 under
an unpredictable name (``O_EXCL | O_NOFOLLOW``), never journaled, and deleted on
:meth:`ReconcileStaging.close`, on leaving a ``with`` block (even by an exception), when
matching fails or stops early, and at the latest when the object is garbage collected. Errors
name the step that failed, never a record's values.

Steps (``staging_plan``): statuses refresh declarations; both sides are copied in canonical
order; records are linked by numbers into groups (``staging_link``); free records are paired;
the rest are ERP-only or customs-only; outcomes are then read back in order (``staging_emit``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from pydantic import ValidationError

from gateway.errors import StoreError
from gateway.ingest.customs_status import DeclarationStatus
from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile.config import ReconcileConfig
from gateway.store.staging_emit import StagedMatch, emit
from gateway.store.staging_plan import plan, refresh_statuses
from gateway.store.staging_rows import (
    CREATE_INPUT,
    INSERT_DECL,
    INSERT_ERP,
    INSERT_STATUS,
    Keys,
    Value,
)

__all__ = ["ReconcileStaging", "StagedMatch"]

_BUFFER: Final = 2000
_ADDING, _MATCHING, _CLOSED = "adding", "matching", "closed"


def _create(directory: Path | None) -> Path:
    folder = Path(directory) if directory is not None else Path(tempfile.gettempdir())
    path = folder / f"reconcile-{secrets.token_hex(16)}.sqlite"
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot create a reconciliation staging file in {folder}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _connect(path: Path, cache_kib: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        mode = conn.execute("PRAGMA journal_mode = OFF").fetchone()[0]
        if str(mode).lower() != "off":
            raise StoreError("reconciliation staging: cannot switch journaling off")
        for pragma in ("synchronous = OFF", f"cache_size = -{cache_kib}", "temp_store = FILE",
                       "locking_mode = EXCLUSIVE"):
            conn.execute(f"PRAGMA {pragma}")
        for sql in CREATE_INPUT:
            conn.execute(sql)
        conn.execute("BEGIN")  # one transaction for the file's whole life: nothing to commit
    except BaseException:
        conn.close()
        raise
    return conn


def _discard(conn: sqlite3.Connection, path: Path) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.close()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class ReconcileStaging:
    """Stage ERP records, declarations and statuses on disk; then :meth:`matches` once."""

    def __init__(self, config: ReconcileConfig, *, directory: Path | None = None,
                 cache_kib: int = 16384) -> None:
        if isinstance(cache_kib, bool) or not isinstance(cache_kib, int) or cache_kib < 64:
            raise StoreError("reconciliation staging: cache_kib must be an integer >= 64")
        self._config = config
        self._path = _create(directory)
        try:
            self._conn = _connect(self._path, cache_kib)
        except (sqlite3.Error, StoreError) as exc:
            self._path.unlink(missing_ok=True)
            raise StoreError(
                f"cannot open a reconciliation staging file ({type(exc).__name__})") from exc
        self._finalizer = weakref.finalize(self, _discard, self._conn, self._path)
        self._keys = Keys()
        self._erp: list[tuple[Value, ...]] = []
        self._decls: list[tuple[Value, ...]] = []
        self._erp_count = self._decl_count = 0
        self._state = _ADDING

    @property
    def path(self) -> Path:
        """The staging file (deleted once closed)."""
        return self._path

    # -- adding -------------------------------------------------------------------------------
    def _check(self, *allowed: str) -> None:
        if self._state not in allowed:
            raise StoreError(f"reconciliation staging: not allowed once {self._state}")

    def _write(self, sql: str, rows: list[tuple[Value, ...]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except UnicodeEncodeError as exc:
            raise StoreError("reconciliation staging: a record has text that is not valid "
                             "Unicode") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"reconciliation staging: cannot write ({type(exc).__name__})"
                             ) from exc
        rows.clear()

    def _flush(self) -> None:
        if self._erp:
            self._write(INSERT_ERP, self._erp)
        if self._decls:
            self._write(INSERT_DECL, self._decls)

    def add_erp(self, record: ExportRecord, tag: int, key: str) -> None:
        """Stage one ERP record; ``key`` is what :meth:`has_erp_key` looks up."""
        self._check(_ADDING)
        self._erp.append(self._keys.erp_row(record, tag, key))
        self._erp_count += 1
        if len(self._erp) >= _BUFFER:
            self._write(INSERT_ERP, self._erp)

    def add_declaration(self, declaration: ExportDeclaration, tag: int) -> None:
        """Stage one declaration (statuses are applied when matching starts)."""
        self._check(_ADDING)
        self._decls.append(self._keys.decl_row(declaration, tag))
        self._decl_count += 1
        if len(self._decls) >= _BUFFER:
            self._write(INSERT_DECL, self._decls)

    def add_statuses(self, statuses: Iterable[DeclarationStatus]) -> None:
        """Stage customs statuses; a later status for the same number wins (as
        ``apply_statuses``), whether added before or after its declaration."""
        self._check(_ADDING)
        rows: list[tuple[Value, ...]] = []
        for status in statuses:
            rows.append((status.declaration_number, status.model_dump_json()))
            if len(rows) >= _BUFFER:
                self._write(INSERT_STATUS, rows)
        self._write(INSERT_STATUS, rows)

    def has_erp_key(self, key: str) -> bool:
        """Whether an ERP record was added with this ``key`` (while adding: an indexed look-up;
        matching reorders the records and drops that index)."""
        self._check(_ADDING)
        try:
            self._flush()
            found = self._conn.execute("SELECT 1 FROM erp_in WHERE key = ? LIMIT 1", (key,))
            return found.fetchone() is not None
        except sqlite3.Error as exc:
            raise StoreError(f"reconciliation staging: cannot look up ({type(exc).__name__})"
                             ) from exc

    @property
    def erp_count(self) -> int:
        """ERP records added."""
        return self._erp_count

    @property
    def declaration_count(self) -> int:
        """Declarations added."""
        return self._decl_count

    # -- matching -----------------------------------------------------------------------------
    def matches(self, *, as_of: date) -> Iterator[StagedMatch]:
        """The outcomes ``reconcile(erp, declarations_with_statuses, config, as_of=as_of)``
        returns, in its order. Callable once; the file is deleted if this fails or stops."""
        self._check(_ADDING)
        self._flush()
        self._state = _MATCHING
        return self._run(as_of)

    def _run(self, as_of: date) -> Iterator[StagedMatch]:
        try:
            refresh_statuses(self._conn, self._keys)
            plan(self._conn, self._config, self._erp_count, self._decl_count)
            yield from emit(self._conn, self._config, as_of, self._keys)
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(f"reconciliation staging failed ({type(exc).__name__})") from exc
        except ValidationError as exc:
            self.close()
            raise StoreError("reconciliation staging: a staged record does not read back"
                             ) from exc
        except BaseException:
            self.close()
            raise

    # -- closing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close and delete the file (idempotent)."""
        self._state = _CLOSED
        self._erp.clear()
        self._decls.clear()
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

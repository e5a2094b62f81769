"""Rows of the reconciliation staging file: what each record becomes, and order-preserving keys.

Every sort column holds a value whose SQLite ``BINARY`` order is the Python order of the
reconciliation key it stands for: text is compared as UTF-8 bytes (the order of code points,
as Python compares ``str``), dates as ISO text, amounts in minor units as zero-padded digits
(amounts are positive; 30 digits hold any valid one). :func:`tuple_key` turns a tuple of strings
into bytes that compare like the tuple.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from gateway.errors import StoreError
from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import decl_sort_key, erp_sort_key
from gateway.reconcile.keys import buyer_key, declaration_key, invoice_key

_DIGITS: Final = 30
_CACHE_MAX: Final = 4096

#: Columns of a staged ERP record, in ``erp_row`` order; ``k0``..``k7`` are the sort key.
SORT_COLUMNS: Final = tuple(f"k{i}" for i in range(8))
ERP_MATCH: Final = ("ref", "dkey", "ikey", "buyer", "currency", "minor", "country", "day", "date")
DECL_MATCH: Final = ("number", "ikey", "buyer", "currency", "minor", "country", "day", "date")
ERP_COLUMNS: Final = ("tag", "key", "body", *SORT_COLUMNS, *ERP_MATCH)
DECL_COLUMNS: Final = ("tag", "body", *SORT_COLUMNS, *DECL_MATCH)

Value = str | int


def padded(minor: int) -> str:
    """An amount in minor units as text that sorts like the integer."""
    if not 0 <= minor < 10**_DIGITS:
        raise StoreError("reconciliation staging: an amount is outside the range it can order")
    return f"{minor:0{_DIGITS}d}"


def _sortable(value: date | str | int) -> Value:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return padded(value)
    return value


def tuple_key(items: Iterable[str]) -> bytes:
    """Bytes that compare (as a BLOB, by ``memcmp``) as the tuple of strings ``items`` does.

    Each string is its UTF-8 form with NUL escaped as ``00 FF``, closed by ``00 01``: a string
    sorts before every longer string it starts, and a shorter tuple before a longer one.
    """
    out = bytearray()
    for item in items:
        out += item.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff")
        out += b"\x00\x01"
    return bytes(out)


class Keys:
    """Match keys of buyer names, with a small bounded cache (names repeat a lot)."""

    def __init__(self) -> None:
        self._buyers: dict[str, str] = {}

    def buyer(self, name: str) -> str:
        key = self._buyers.get(name)
        if key is None:
            if len(self._buyers) >= _CACHE_MAX:
                self._buyers.clear()
            key = self._buyers[name] = buyer_key(name)
        return key

    def erp_row(self, record: ExportRecord, tag: int, key: str) -> tuple[Value, ...]:
        """``ERP_COLUMNS`` of one ERP record."""
        minor = record.amount_minor
        day = record.shipment_date
        return (
            tag, key, record.model_dump_json(),
            *(_sortable(v) for v in erp_sort_key(record, minor)),
            record.source_ref, declaration_key(record.declaration_number),
            invoice_key(record.invoice_number), self.buyer(record.buyer.name), record.currency,
            padded(minor), record.buyer.country, day.toordinal(), day.isoformat(),
        )

    def decl_row(self, decl: ExportDeclaration, tag: int) -> tuple[Value, ...]:
        """``DECL_COLUMNS`` of one declaration."""
        minor = decl.amount_minor
        day = decl.shipment_date
        return (
            tag, decl.model_dump_json(),
            *(_sortable(v) for v in decl_sort_key(decl, minor)),
            decl.declaration_number, invoice_key(decl.invoice_number),
            self.buyer(decl.buyer_name), decl.currency, padded(minor),
            decl.destination_country, day.toordinal(), day.isoformat(),
        )


def _defs(columns: Iterable[str]) -> str:
    typed = {"tag": "INTEGER", "day": "INTEGER"}
    return ", ".join(f"{c} {typed.get(c, 'TEXT')} NOT NULL" for c in columns)


_SORTED = ", ".join(SORT_COLUMNS)
_ERP_KEPT = ", ".join(("tag", "key", "body", *ERP_MATCH))
_DECL_KEPT = ", ".join(("tag", "body", *DECL_MATCH))


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - constants


def _copy(table: str, kept: str) -> str:
    """Copy ``table``_in into ``table`` in canonical order (ties: JSON form, then as added)."""
    return (f"INSERT INTO {table} ({kept}) SELECT {kept} FROM {table}_in "  # noqa: S608 - constants
            f"ORDER BY {_SORTED}, body, rowid")


def _near(table: str) -> str:
    """Flag records sharing buyer key, currency, amount and date with another on their side."""
    return (f"UPDATE {table} SET near = 1 WHERE (buyer, currency, minor, day) IN "  # noqa: S608
            f"(SELECT buyer, currency, minor, day FROM {table} "
            "GROUP BY buyer, currency, minor, day HAVING count(*) > 1)")


#: Tables the records are added to, and the statuses.
CREATE_INPUT: Final = (
    f"CREATE TABLE erp_in ({_defs(ERP_COLUMNS)})",
    "CREATE INDEX erp_in_key ON erp_in (key)",
    f"CREATE TABLE decl_in ({_defs(DECL_COLUMNS)})",
    "CREATE TABLE status_in (seq INTEGER PRIMARY KEY, number TEXT NOT NULL, body TEXT NOT NULL)",
)
INSERT_ERP: Final = _insert("erp_in", ERP_COLUMNS)
INSERT_DECL: Final = _insert("decl_in", DECL_COLUMNS)
INSERT_STATUS: Final = "INSERT INTO status_in (number, body) VALUES (?, ?)"
LATEST_STATUS: Final = (
    "CREATE TABLE latest (number TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID",
    "INSERT INTO latest SELECT number, body FROM status_in "
    "WHERE seq IN (SELECT max(seq) FROM status_in GROUP BY number)",
)
STATUS_CHUNK: Final = (
    "SELECT d.rowid, d.tag, d.body, l.body FROM decl_in AS d JOIN latest AS l "
    "ON l.number = d.number WHERE d.rowid > ? ORDER BY d.rowid LIMIT ?"
)
UPDATE_DECL: Final = (
    f"UPDATE decl_in SET ({', '.join(DECL_COLUMNS)}) = "  # noqa: S608 - constants
    f"({', '.join('?' * len(DECL_COLUMNS))}) WHERE rowid = ?"
)
#: Both sides copied in canonical order: ``pos`` (from 1) is the in-memory index plus one.
ORDER: Final = (
    f"CREATE TABLE erp (pos INTEGER PRIMARY KEY, {_defs(_ERP_KEPT.split(', '))}, "
    "near INTEGER NOT NULL DEFAULT 0)",
    _copy("erp", _ERP_KEPT),
    "DROP TABLE erp_in",
    f"CREATE TABLE decl (pos INTEGER PRIMARY KEY, {_defs(_DECL_KEPT.split(', '))}, "
    "near INTEGER NOT NULL DEFAULT 0)",
    _copy("decl", _DECL_KEPT),
    "DROP TABLE decl_in",
    "CREATE INDEX decl_number ON decl (number)",
    "CREATE INDEX decl_ikey ON decl (ikey)",
    "CREATE INDEX erp_ikey ON erp (ikey)",
    _near("erp"),
    _near("decl"),
)

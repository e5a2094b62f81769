"""The exposure book summed per bucket inside SQLite: the k rule's inputs without the records.

The book is the latest attached version of every record; a version with a bucket and an
exposure adds it, any other version takes the record out. Schema 8 flags every version a later
one replaced (``records.superseded``) and keeps a partial index over the latest versions that
add exposure, so the sums are one ``GROUP BY`` over that index and memory grows with the number
of buckets, never with the number of records.

A sync commits its last chunk of versions after computing the snapshot that travels with it:
those ``overrides`` replace the stored latest versions of the same records. Only their stored
contributions are read (by record id) and subtracted before the new ones are added.

SQLite sums 64-bit integers and stops with "integer overflow" rather than wrap or round; the
sums are then taken again here, row by row as Python integers (still one tally per bucket).
Totals are always integers, never floats (``SUM``, not ``TOTAL``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping

from gateway.errors import StoreError
from gateway.store._batch import chunks, marks
from gateway.store.base import BucketTotal, RecordVersion

_IN_BOOK = "superseded = 0 AND bucket IS NOT NULL AND exposure_minor IS NOT NULL"
_SUMS = (
    "SELECT bucket, COUNT(*), SUM(exposure_minor), MIN(exposure_minor) "  # noqa: S608
    f"FROM records WHERE {_IN_BOOK} GROUP BY bucket"
)
_ROWS = f"SELECT bucket, exposure_minor FROM records WHERE {_IN_BOOK}"  # noqa: S608
#: The stored contributions of some records; ``({marks})`` is appended.
_OF_RECORDS = (
    f"SELECT bucket, exposure_minor FROM records WHERE {_IN_BOOK} AND record_id IN "  # noqa: S608
)

BucketId = tuple[tuple[str, str], ...]
Tallies = dict[BucketId, list[int]]  # bucket -> [records, total_minor]


def exposure_totals(
    conn: sqlite3.Connection, overrides: Iterable[RecordVersion] = ()
) -> list[BucketTotal]:
    """Records and exposure per bucket over the book, with ``overrides`` (versions not yet
    stored; the last one given for a record wins) in place of their records' stored latest
    versions. Sorted by bucket; buckets left without records are omitted. Run it inside one
    read transaction so the sums and the overridden records' rows agree."""
    replacing = {v.record_id: v for v in overrides}
    tallies: Tallies = {}
    for text, records, total in _stored_sums(conn):
        _add(tallies, _stored_bucket(text), records, total)
    for chunk in chunks(sorted(replacing)):
        for text, amount in conn.execute(_OF_RECORDS + f"({marks(chunk)})", chunk):
            _add(tallies, _stored_bucket(text), -1, -amount)
    for v in replacing.values():
        if v.bucket is not None and v.exposure_minor is not None:
            if type(v.exposure_minor) is not int or v.exposure_minor < 0:
                raise StoreError(f"record {v.record_id}: exposure must be an integer >= 0")
            _add(tallies, _bucket_id(v.bucket), 1, v.exposure_minor)
    totals = []
    for key, (records, total) in sorted(tallies.items()):
        if records < 0 or total < 0 or (records == 0 and total != 0):
            raise StoreError("exposure book: overridden records disagree with the stored sums")
        if records:
            totals.append(BucketTotal(dict(key), records, total))
    return totals


def _stored_sums(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """``(bucket JSON, records, total)`` per stored bucket text."""
    try:
        rows = conn.execute(_SUMS).fetchall()
    except sqlite3.OperationalError as exc:
        if "integer overflow" not in str(exc):
            raise
        return _summed_here(conn)
    if any(lowest < 0 for _, _, _, lowest in rows):
        raise StoreError("exposure book: a stored exposure is negative")
    return [(text, records, total) for text, records, total, _ in rows]


def _summed_here(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """The sums of :data:`_SUMS` as Python integers, for totals beyond 64 bits."""
    tallies: dict[str, list[int]] = {}
    for text, amount in conn.execute(_ROWS):
        if amount < 0:
            raise StoreError("exposure book: a stored exposure is negative")
        tally = tallies.setdefault(text, [0, 0])
        tally[0] += 1
        tally[1] += amount
    return [(text, records, total) for text, (records, total) in tallies.items()]


def _add(tallies: Tallies, key: BucketId, records: int, total: int) -> None:
    tally = tallies.setdefault(key, [0, 0])
    tally[0] += records
    tally[1] += total


def _bucket_id(bucket: Mapping[str, str]) -> BucketId:
    return tuple(sorted(bucket.items()))


def _stored_bucket(text: str) -> BucketId:
    """A stored bucket's JSON as a key: texts spelling the same object are the same bucket."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError("exposure book: a stored bucket is not JSON") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise StoreError("exposure book: a stored bucket is not an object of strings")
    return _bucket_id(value)

"""Record versions, business keys, checkpoints and named values, inside the caller's transaction.

A record is named by one or more business keys (``record_keys``); each time its content is
attached, a new row in ``records`` holds the version, the content hash, the submission that
carried it and the exposure it adds. Only the latest version of a record counts in the
exposure book.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence

from gateway.errors import StoreError
from gateway.store._batch import chunks, marks
from gateway.store._rows import from_text, to_json
from gateway.store.base import Checkpoint, HubBookEntry, PendingRecord, RecordVersion

_LATEST = (
    "SELECT r.record_id, r.version, r.content_sha256, r.bucket, r.exposure_minor, r.hub_buyer "
    "FROM records r "
    "WHERE r.version = (SELECT MAX(version) FROM records WHERE record_id = r.record_id)"
)

#: The latest version of the record each key names; ``({marks})`` is appended.
_BY_KEY = (
    "SELECT k.key AS key, r.record_id, r.version, r.content_sha256, r.bucket, r.exposure_minor, "
    "r.hub_buyer FROM record_keys k JOIN records r ON r.record_id = k.record_id "
    "WHERE r.version = (SELECT MAX(m.version) FROM records m WHERE m.record_id = k.record_id) "
    "AND k.key IN "
)


@functools.lru_cache(maxsize=4096)
def _bucket_items(text: str) -> tuple[tuple[str, str], ...]:
    """A stored bucket, parsed once per distinct text (a book has few buckets)."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise StoreError("a stored bucket is not a JSON object")
    return tuple(value.items())


def _version(row: sqlite3.Row, keys: tuple[str, ...] = ()) -> RecordVersion:
    bucket = None if row["bucket"] is None else dict(_bucket_items(row["bucket"]))
    return RecordVersion(
        record_id=row["record_id"],
        version=row["version"],
        content_sha256=row["content_sha256"],
        keys=keys,
        bucket=bucket,
        exposure_minor=row["exposure_minor"],
        hub_buyer=row["hub_buyer"],
    )


def latest_versions(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, RecordVersion]:
    """For each known key, the latest version of the record it names (one query per chunk of
    keys, one more per chunk of the records found, for the keys that name them)."""
    wanted = list(dict.fromkeys(keys))
    rows: dict[str, sqlite3.Row] = {}
    for chunk in chunks(wanted):
        cursor = conn.execute(_BY_KEY + f"({marks(chunk)})", chunk)
        rows.update((row["key"], row) for row in cursor)
    names = _names(conn, {row["record_id"] for row in rows.values()})
    versions: dict[str, RecordVersion] = {}
    found: dict[str, RecordVersion] = {}
    for key in wanted:
        row = rows.get(key)
        if row is not None:
            record_id = row["record_id"]
            if record_id not in versions:
                versions[record_id] = _version(row, names.get(record_id, ()))
            found[key] = versions[record_id]
    return found


def _names(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The business keys naming each record, sorted."""
    names: dict[str, list[str]] = {}
    for chunk in chunks(sorted(record_ids)):
        for record_id, key in conn.execute(
            "SELECT record_id, key FROM record_keys WHERE record_id IN "  # noqa: S608
            f"({marks(chunk)}) ORDER BY record_id, key",
            chunk,
        ):
            names.setdefault(record_id, []).append(key)
    return {record_id: tuple(keys) for record_id, keys in names.items()}


def put_versions(
    conn: sqlite3.Connection,
    versions: Sequence[RecordVersion],
    *,
    run_id: str,
    submission_id: str,
    now: str,
) -> None:
    """Insert attached versions and their keys, in batches; a key already naming another
    record, or a version number that is not the next one, is an error (the caller's
    transaction rolls back). Errors are those a one-by-one insert in order would meet first.
    """
    latest = _max_versions(conn, {v.record_id for v in versions})
    accepted = list(versions)
    refused: StoreError | None = None
    for i, v in enumerate(versions):
        before = latest.get(v.record_id, 0)
        if v.version != before + 1:
            refused = StoreError(
                f"record {v.record_id}: version {v.version} does not follow {before}"
            )
            accepted = accepted[:i]
            break
        latest[v.record_id] = v.version
    conn.executemany(
        "INSERT INTO records (record_id, version, content_sha256, run_id, submission_id, "
        "bucket, exposure_minor, recorded_at, hub_buyer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(v.record_id, v.version, v.content_sha256, run_id, submission_id,
          None if v.bucket is None else to_json(v.bucket, "bucket"), v.exposure_minor, now,
          v.hub_buyer) for v in accepted],
    )
    conn.executemany(  # the version each one follows is no longer the latest
        "UPDATE records SET superseded = 1 WHERE record_id = ? AND version = ?",
        [(v.record_id, v.version - 1) for v in accepted if v.version > 1],
    )
    _claim_keys(conn, accepted)
    if refused is not None:
        raise refused


def _max_versions(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(record_ids)):
        found.update(
            conn.execute(
                "SELECT record_id, MAX(version) FROM records WHERE record_id IN "  # noqa: S608
                f"({marks(chunk)}) GROUP BY record_id",
                chunk,
            ).fetchall()
        )
    return found


def _claim_keys(conn: sqlite3.Connection, versions: Sequence[RecordVersion]) -> None:
    """Name each record by its keys, then its aliases, in order; a key (not an alias) that
    already names another record is an error. ``INSERT OR IGNORE`` never changes a key's
    owner, so the owners after the batch are those each insert met in turn."""
    conn.executemany(
        "INSERT OR IGNORE INTO record_keys (key, record_id) VALUES (?, ?)",
        [(key, v.record_id) for v in versions for key in (*v.keys, *v.aliases)],
    )
    owners: dict[str, str] = {}
    for chunk in chunks(dict.fromkeys(k for v in versions for k in v.keys)):
        owners.update(
            conn.execute(
                "SELECT key, record_id FROM record_keys WHERE key IN "  # noqa: S608
                f"({marks(chunk)})",
                chunk,
            ).fetchall()
        )
    for v in versions:
        for key in v.keys:
            if owners[key] != v.record_id:
                raise StoreError(f"record {v.record_id}: a key already names record {owners[key]}")


def exposure_book(conn: sqlite3.Connection) -> list[RecordVersion]:
    """The latest version of every attached record that adds exposure, by record id."""
    rows = conn.execute(
        _LATEST + " AND r.bucket IS NOT NULL ORDER BY r.record_id"
    ).fetchall()
    return [_version(row) for row in rows]


def hub_book(conn: sqlite3.Connection) -> list[HubBookEntry]:
    """The exposure book (as :func:`exposure_book`) with each record's common buyer id."""
    entries = []
    for v in exposure_book(conn):
        if v.bucket is None or v.exposure_minor is None:
            continue
        entries.append(
            HubBookEntry(
                record_id=v.record_id,
                hub_buyer=v.hub_buyer,
                country=v.bucket.get("country", "*"),
                currency=v.bucket.get("currency", "*"),
                maturity_month=v.bucket.get("maturity_month", "*"),
                exposure_minor=v.exposure_minor,
            )
        )
    return entries


def put_checkpoints(
    conn: sqlite3.Connection, checkpoints: Sequence[Checkpoint], *, run_id: str, now: str
) -> None:
    for cp in checkpoints:
        conn.execute(
            "INSERT INTO checkpoints (source, kind, content_sha256, rows, watermark, "
            "policy_version, reading_sha256, run_id, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, "
            "content_sha256 = excluded.content_sha256, rows = excluded.rows, "
            "watermark = excluded.watermark, policy_version = excluded.policy_version, "
            "reading_sha256 = excluded.reading_sha256, "
            "run_id = excluded.run_id, updated_at = excluded.updated_at",
            (cp.source, cp.kind, cp.content_sha256, cp.rows, cp.watermark, cp.policy_version,
             cp.reading_sha256, run_id, now),
        )


def get_checkpoint(conn: sqlite3.Connection, source: str) -> Checkpoint | None:
    row = conn.execute(
        "SELECT source, kind, content_sha256, rows, watermark, policy_version, reading_sha256, "
        "run_id "
        "FROM checkpoints WHERE source = ?",
        (source,),
    ).fetchone()
    if row is None:
        return None
    return Checkpoint(
        source=row["source"],
        kind=row["kind"],
        rows=row["rows"],
        policy_version=row["policy_version"],
        content_sha256=row["content_sha256"],
        watermark=row["watermark"],
        reading_sha256=row["reading_sha256"],
        run_id=row["run_id"],
    )


def set_meta(conn: sqlite3.Connection, values: Iterable[tuple[str, str | None]]) -> None:
    for name, value in values:
        if value is None:
            conn.execute("DELETE FROM meta WHERE name = ?", (name,))
        else:
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )


def get_meta(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def replace_pending(
    conn: sqlite3.Connection, pending: Sequence[PendingRecord], *, run_id: str, now: str
) -> None:
    """Make ``pending`` the whole pending set; an invoice already pending keeps its ``since``."""
    since = dict(conn.execute("SELECT key, since FROM pending").fetchall())
    conn.execute("DELETE FROM pending")
    conn.executemany(
        "INSERT INTO pending (key, source, record_json, run_id, since) VALUES (?, ?, ?, ?, ?)",
        [(p.key, p.source, p.record_json, run_id, since.get(p.key, now)) for p in pending],
    )


def pending_records(conn: sqlite3.Connection) -> list[PendingRecord]:
    rows = conn.execute(
        "SELECT key, source, record_json, since FROM pending ORDER BY since, key"
    ).fetchall()
    return [PendingRecord(r["key"], r["source"], r["record_json"], from_text(r["since"]))
            for r in rows]

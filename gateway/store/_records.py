"""Record versions, business keys, checkpoints and named values, inside the caller's transaction.

A record is named by one or more business keys (``record_keys``); each time its content is
attached, a new row in ``records`` holds the version, the content hash, the submission that
carried it and the exposure it adds. Only the latest version of a record counts in the
exposure book.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from gateway.errors import StoreError
from gateway.store._rows import from_text, to_json
from gateway.store.base import Checkpoint, HubBookEntry, PendingRecord, RecordVersion

_LATEST = (
    "SELECT r.record_id, r.version, r.content_sha256, r.bucket, r.exposure_minor, r.hub_buyer "
    "FROM records r "
    "WHERE r.version = (SELECT MAX(version) FROM records WHERE record_id = r.record_id)"
)


def _version(row: sqlite3.Row, keys: tuple[str, ...] = ()) -> RecordVersion:
    bucket = None if row["bucket"] is None else json.loads(row["bucket"])
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
    """For each known key, the latest version of the record it names."""
    found: dict[str, RecordVersion] = {}
    for key in dict.fromkeys(keys):
        row = conn.execute(
            "SELECT r.record_id, r.version, r.content_sha256, r.bucket, r.exposure_minor, "
            "r.hub_buyer FROM record_keys k JOIN records r ON r.record_id = k.record_id "
            "WHERE k.key = ? ORDER BY r.version DESC LIMIT 1",
            (key,),
        ).fetchone()
        if row is not None:
            names = conn.execute(
                "SELECT key FROM record_keys WHERE record_id = ? ORDER BY key", (row[0],)
            ).fetchall()
            found[key] = _version(row, tuple(n[0] for n in names))
    return found


def put_versions(
    conn: sqlite3.Connection,
    versions: Sequence[RecordVersion],
    *,
    run_id: str,
    submission_id: str,
    now: str,
) -> None:
    """Insert attached versions and their keys; a key already naming another record, or a
    version number that is not the next one, is an error (the transaction rolls back)."""
    for v in versions:
        latest = conn.execute(
            "SELECT MAX(version) FROM records WHERE record_id = ?", (v.record_id,)
        ).fetchone()[0]
        if v.version != (latest or 0) + 1:
            raise StoreError(
                f"record {v.record_id}: version {v.version} does not follow {latest or 0}"
            )
        conn.execute(
            "INSERT INTO records (record_id, version, content_sha256, run_id, submission_id, "
            "bucket, exposure_minor, recorded_at, hub_buyer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (v.record_id, v.version, v.content_sha256, run_id, submission_id,
             None if v.bucket is None else to_json(v.bucket, "bucket"), v.exposure_minor, now,
             v.hub_buyer),
        )
        for key in v.keys:
            conn.execute(
                "INSERT OR IGNORE INTO record_keys (key, record_id) VALUES (?, ?)",
                (key, v.record_id),
            )
            owner = conn.execute(
                "SELECT record_id FROM record_keys WHERE key = ?", (key,)
            ).fetchone()[0]
            if owner != v.record_id:
                raise StoreError(f"record {v.record_id}: a key already names record {owner}")
        conn.executemany(
            "INSERT OR IGNORE INTO record_keys (key, record_id) VALUES (?, ?)",
            [(alias, v.record_id) for alias in v.aliases],
        )


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

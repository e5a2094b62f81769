"""SQL rows of accepted hub releases: one release per period, its decrypted totals beside it.

Totals are stored as decimal text (SQLite integers stop at 2**63 - 1; a decrypted sum need not).
A period holds at most one release: the same release again is a replay (the original
receipt), any other release for that period, or the same release id with other content, is a
conflict. Called inside :class:`~gateway.examples.insurer_api.state.InsurerState`'s transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from gateway.examples.insurer_api.released import (
    DecryptedRelease,
    ReleasedBucket,
    ReleasedRemainder,
)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS releases (
        period              TEXT PRIMARY KEY,
        release_id          TEXT NOT NULL UNIQUE,
        hub_id              TEXT NOT NULL,
        iat                 INTEGER NOT NULL,
        k                   INTEGER NOT NULL,
        fingerprint         TEXT NOT NULL,
        sha256              TEXT NOT NULL,
        suppressed_buckets  INTEGER NOT NULL,
        received_at         TEXT NOT NULL,
        jws                 TEXT NOT NULL,
        receipt_id          TEXT NOT NULL UNIQUE,
        receipt_jws         TEXT NOT NULL
    ) STRICT""",
    """CREATE TABLE IF NOT EXISTS release_buckets (
        period          TEXT NOT NULL REFERENCES releases (period),
        position        INTEGER NOT NULL,
        buyer           TEXT NOT NULL,
        country         TEXT NOT NULL,
        currency        TEXT NOT NULL,
        maturity_month  TEXT NOT NULL,
        contributors    INTEGER NOT NULL,
        total_minor     TEXT NOT NULL,
        PRIMARY KEY (period, position)
    ) STRICT""",
    """CREATE TABLE IF NOT EXISTS release_remainders (
        period        TEXT NOT NULL REFERENCES releases (period),
        position      INTEGER NOT NULL,
        country       TEXT NOT NULL,
        currency      TEXT NOT NULL,
        contributors  INTEGER NOT NULL,
        buckets       INTEGER NOT NULL,
        total_minor   TEXT NOT NULL,
        PRIMARY KEY (period, position)
    ) STRICT""",
)


class Outcome(StrEnum):
    CREATED = "created"
    REPLAY = "replay"
    CONFLICT = "conflict"


def insert(
    conn: sqlite3.Connection,
    release: DecryptedRelease,
    jws: str,
    make_receipt: Callable[[], tuple[str, str]],
) -> tuple[Outcome, str | None]:
    """Store ``release`` unless its period or id is taken; ``make_receipt`` runs only if new."""
    row = conn.execute(
        "SELECT sha256, receipt_jws FROM releases WHERE period = ? OR release_id = ?",
        (release.period, release.release_id),
    ).fetchall()
    if row:
        same = len(row) == 1 and row[0][0] == release.sha256
        return (Outcome.REPLAY, row[0][1]) if same else (Outcome.CONFLICT, None)
    receipt_id, receipt_jws = make_receipt()
    received_at = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (release.period, release.release_id, release.hub_id, release.iat, release.k,
         release.fingerprint, release.sha256, release.suppressed_buckets, received_at, jws,
         receipt_id, receipt_jws),
    )
    conn.executemany(
        "INSERT INTO release_buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(release.period, i, b.buyer, b.country, b.currency, b.maturity_month, b.contributors,
          str(b.total_minor)) for i, b in enumerate(release.buckets)],
    )
    conn.executemany(
        "INSERT INTO release_remainders VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(release.period, i, r.country, r.currency, r.contributors, r.buckets,
          str(r.total_minor)) for i, r in enumerate(release.remainders)],
    )
    return Outcome.CREATED, receipt_jws


def load(conn: sqlite3.Connection, period: str) -> DecryptedRelease | None:
    """The stored release of ``period``, or ``None``."""
    head = conn.execute(
        "SELECT release_id, hub_id, period, iat, k, fingerprint, sha256, suppressed_buckets "
        "FROM releases WHERE period = ?",
        (period,),
    ).fetchone()
    if head is None:
        return None
    buckets = conn.execute(
        "SELECT buyer, country, currency, maturity_month, contributors, total_minor "
        "FROM release_buckets WHERE period = ? ORDER BY position",
        (period,),
    ).fetchall()
    remainders = conn.execute(
        "SELECT country, currency, contributors, buckets, total_minor "
        "FROM release_remainders WHERE period = ? ORDER BY position",
        (period,),
    ).fetchall()
    release_id, hub_id, period_, iat, k, fingerprint, sha256, suppressed = head
    return DecryptedRelease(
        release_id=release_id, hub_id=hub_id, period=period_, iat=iat, k=k,
        fingerprint=fingerprint, sha256=sha256,
        buckets=tuple(
            ReleasedBucket(buyer, country, currency, month, contributors, int(total))
            for buyer, country, currency, month, contributors, total in buckets
        ),
        remainders=tuple(
            ReleasedRemainder(country, currency, contributors, folded, int(total))
            for country, currency, contributors, folded, total in remainders
        ),
        suppressed_buckets=suppressed,
    )

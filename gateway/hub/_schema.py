"""The hub store's schema as an ordered list of migrations (like gateway/store/schema.py).

``PRAGMA user_version`` counts the migrations applied; each step is a tuple of single statements
run, with the version bump, in one transaction. Steps are append-only.

- ``exporters``: registered exporters and the JWKS their contributions must verify under.
- ``contributions``: one row per accepted contribution (never its ciphertexts): jti, exporter,
  period, SHA-256 of the JWS text, kid, receipt time (unix seconds), bucket count. At most one
  per (exporter, period); jti and SHA-256 are unique, so a replay is refused.
- ``sums``: the running ciphertext sum per (period, bucket) and its contributor count.
- ``members``: which contribution went into which bucket (for the remainders' distinct count).
- ``releases``: the signed release per period; a released period is closed. Triggers refuse
  any contribution or sum change for a closed period, and any change to a stored release other
  than its push status.
"""

from __future__ import annotations

from typing import Final

_BUCKET = "period, buyer, country, currency, maturity_month"

_V1: Final[tuple[str, ...]] = (
    """
    CREATE TABLE exporters (
        exporter_id    TEXT PRIMARY KEY,
        jwks           TEXT NOT NULL,
        registered_at  INTEGER NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE contributions (
        jti          TEXT PRIMARY KEY,
        exporter_id  TEXT NOT NULL REFERENCES exporters (exporter_id),
        period       TEXT NOT NULL,
        sha256       TEXT NOT NULL UNIQUE,
        kid          TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        buckets      INTEGER NOT NULL CHECK (buckets >= 1),
        UNIQUE (exporter_id, period)
    ) STRICT
    """,
    "CREATE INDEX contributions_by_period ON contributions (period)",
    f"""
    CREATE TABLE sums (
        period          TEXT NOT NULL,
        buyer           TEXT NOT NULL,
        country         TEXT NOT NULL,
        currency        TEXT NOT NULL,
        maturity_month  TEXT NOT NULL,
        ciphertext      TEXT NOT NULL,
        contributors    INTEGER NOT NULL CHECK (contributors >= 1),
        PRIMARY KEY ({_BUCKET})
    ) STRICT, WITHOUT ROWID
    """,
    f"""
    CREATE TABLE members (
        period          TEXT NOT NULL,
        buyer           TEXT NOT NULL,
        country         TEXT NOT NULL,
        currency        TEXT NOT NULL,
        maturity_month  TEXT NOT NULL,
        jti             TEXT NOT NULL REFERENCES contributions (jti),
        PRIMARY KEY ({_BUCKET}, jti),
        FOREIGN KEY ({_BUCKET}) REFERENCES sums ({_BUCKET})
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE releases (
        period         TEXT PRIMARY KEY,
        jti            TEXT NOT NULL UNIQUE,
        jws            TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        released_at    INTEGER NOT NULL,
        buckets        INTEGER NOT NULL,
        remainders     INTEGER NOT NULL,
        suppressed     INTEGER NOT NULL,
        contributions  INTEGER NOT NULL,
        push_attempts  INTEGER NOT NULL DEFAULT 0,
        pushed_at      INTEGER,
        push_error     TEXT
    ) STRICT
    """,
    """
    CREATE TRIGGER contributions_closed BEFORE INSERT ON contributions
    WHEN EXISTS (SELECT 1 FROM releases WHERE period = NEW.period)
    BEGIN SELECT RAISE(ABORT, 'period closed'); END
    """,
    """
    CREATE TRIGGER sums_closed_insert BEFORE INSERT ON sums
    WHEN EXISTS (SELECT 1 FROM releases WHERE period = NEW.period)
    BEGIN SELECT RAISE(ABORT, 'period closed'); END
    """,
    """
    CREATE TRIGGER sums_closed_update BEFORE UPDATE ON sums
    WHEN EXISTS (SELECT 1 FROM releases WHERE period = OLD.period)
    BEGIN SELECT RAISE(ABORT, 'period closed'); END
    """,
    """
    CREATE TRIGGER releases_fixed BEFORE UPDATE ON releases
    WHEN NEW.period IS NOT OLD.period OR NEW.jti IS NOT OLD.jti OR NEW.jws IS NOT OLD.jws
        OR NEW.sha256 IS NOT OLD.sha256 OR NEW.released_at IS NOT OLD.released_at
    BEGIN SELECT RAISE(ABORT, 'a release is immutable'); END
    """,
    """
    CREATE TRIGGER releases_kept BEFORE DELETE ON releases
    BEGIN SELECT RAISE(ABORT, 'a release is never deleted'); END
    """,
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1,)
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)

"""The local store's schema as an ordered list of migrations.

``PRAGMA user_version`` holds the number of migrations applied. Each step is a tuple of single
SQL statements (not a script) so that a step, and the version bump after it, run inside one
transaction: a crash mid-migration leaves the previous version intact. Steps are append-only;
never edit a step that has shipped.

Tables are laid out for crash-proof delivery and the disclosure ledger:

- ``runs``: one row per sync, with the source summary and the record account as JSON.
- ``records_seen``: every (source, ref, content hash) ever ingested, for deduplication.
- ``quarantine``: rows that could not be normalised, with the raw row kept locally for retry.
- ``submissions``: the outbox; a row is committed before its JWS is sent.
- ``receipts``: the insurer's signed receipt that closes an outbox entry.
- ``ledger`` (version 2): the disclosure hash chain, one row per disclosure (docs/ledger.md).
- version 3 (docs/reliability.md): ``records`` (every attached version of a record, with the
  submission that carried it and its exposure bucket), ``record_keys`` (the business keys that
  name a record), ``checkpoints`` (per source: file hash, rows, database high-water mark),
  ``meta`` (small named values: the last exposure snapshot, the circuit breaker), the outbox's
  ``next_attempt_at`` and the quarantine's ``raw_sha256``. ``records_seen`` is dropped: it was
  never written by a release.
- ``pending`` (version 4): ERP invoices still waiting for customs, kept as read so a later sync
  reconciles them even when its export no longer lists them.
- ``webhook_deliveries`` (version 5, docs/service-api.md): the delivery ids of signed webhook
  pushes with their signed timestamps, so a replay is refused across restarts; rows whose
  timestamp fell out of the tolerance window are pruned.
- version 7 (docs/hub.md): ``records.hub_buyer``, the buyer id shared across exporters (an
  insurer buyer code or a consortium pseudonym) that hub contributions are bucketed by; NULL
  for versions attached before, or without a common id.
- version 8 (docs/reliability.md): ``records.superseded`` (1 once a later version of the record
  is stored; set for existing rows by the step itself), a partial index over the latest versions
  that add exposure, so the exposure totals per bucket are summed from the index without reading
  every version into memory, and ``record_keys_by_record``, so the keys naming a record are found
  without a scan.
"""

from __future__ import annotations

from typing import Final

_V1: Final[tuple[str, ...]] = (
    """
    CREATE TABLE runs (
        run_id          TEXT PRIMARY KEY,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        source_summary  TEXT,
        account         TEXT
    ) STRICT
    """,
    """
    CREATE TABLE records_seen (
        source          TEXT NOT NULL,
        ref             TEXT NOT NULL,
        content_sha256  TEXT NOT NULL,
        first_run_id    TEXT NOT NULL REFERENCES runs (run_id),
        first_seen_at   TEXT NOT NULL,
        PRIMARY KEY (source, ref, content_sha256)
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE quarantine (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      TEXT NOT NULL REFERENCES runs (run_id),
        source      TEXT NOT NULL,
        row         INTEGER NOT NULL,
        field       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        raw_json    TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'retried', 'discarded'))
    ) STRICT
    """,
    "CREATE INDEX quarantine_by_run ON quarantine (run_id, id)",
    """
    CREATE TABLE submissions (
        submission_id    TEXT PRIMARY KEY,
        run_id           TEXT NOT NULL REFERENCES runs (run_id),
        sequence         INTEGER NOT NULL CHECK (sequence >= 0),
        created_at       TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
        jws              TEXT NOT NULL,
        payload_sha256   TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_attempt_at  TEXT,
        last_error       TEXT,
        policy_version   TEXT NOT NULL,
        UNIQUE (run_id, sequence)
    ) STRICT
    """,
    "CREATE INDEX submissions_by_status ON submissions (status, created_at, sequence)",
    """
    CREATE TABLE receipts (
        submission_id  TEXT PRIMARY KEY REFERENCES submissions (submission_id),
        receipt_jws    TEXT NOT NULL,
        receipt_id     TEXT NOT NULL UNIQUE,
        received_at    TEXT NOT NULL,
        verified_at    TEXT
    ) STRICT
    """,
)

_V2: Final[tuple[str, ...]] = (
    """
    CREATE TABLE ledger (
        seq             INTEGER PRIMARY KEY CHECK (seq >= 0),
        submission_id   TEXT NOT NULL UNIQUE,
        payload_sha256  TEXT NOT NULL,
        policy_version  TEXT NOT NULL,
        recorded_at     TEXT NOT NULL,
        receipt_sha256  TEXT NOT NULL,
        receipt_id      TEXT NOT NULL,
        anchor_seq      INTEGER,
        anchor_hash     TEXT,
        prev_hash       TEXT NOT NULL,
        hash            TEXT NOT NULL,
        CHECK ((anchor_seq IS NULL) = (anchor_hash IS NULL))
    ) STRICT
    """,
)

_V3: Final[tuple[str, ...]] = (
    "DROP TABLE records_seen",
    """
    CREATE TABLE records (
        record_id       TEXT NOT NULL,
        version         INTEGER NOT NULL CHECK (version >= 1),
        content_sha256  TEXT NOT NULL,
        run_id          TEXT NOT NULL REFERENCES runs (run_id),
        submission_id   TEXT NOT NULL REFERENCES submissions (submission_id),
        bucket          TEXT,
        exposure_minor  INTEGER,
        recorded_at     TEXT NOT NULL,
        PRIMARY KEY (record_id, version)
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX records_by_submission ON records (submission_id)",
    """
    CREATE TABLE record_keys (
        key        TEXT PRIMARY KEY,
        record_id  TEXT NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE checkpoints (
        source          TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        content_sha256  TEXT,
        rows            INTEGER NOT NULL CHECK (rows >= 0),
        watermark       TEXT,
        policy_version  TEXT NOT NULL,
        reading_sha256  TEXT,
        run_id          TEXT NOT NULL REFERENCES runs (run_id),
        updated_at      TEXT NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE meta (
        name   TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
    "ALTER TABLE submissions ADD COLUMN next_attempt_at TEXT",
    "ALTER TABLE quarantine ADD COLUMN raw_sha256 TEXT",
    "CREATE INDEX quarantine_open ON quarantine (source, raw_sha256) WHERE status = 'open'",
)

_V4: Final[tuple[str, ...]] = (
    """
    CREATE TABLE pending (
        key          TEXT PRIMARY KEY,
        source       TEXT NOT NULL,
        record_json  TEXT NOT NULL,
        run_id       TEXT NOT NULL REFERENCES runs (run_id),
        since        TEXT NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
)

_V5: Final[tuple[str, ...]] = (
    """
    CREATE TABLE webhook_deliveries (
        delivery_id  TEXT PRIMARY KEY,
        signed_at    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (signed_at)",
)

_V6: Final[tuple[str, ...]] = (
    """
    CREATE TABLE policy_versions (
        version   TEXT PRIMARY KEY CHECK (length(version) = 64),
        name      TEXT NOT NULL,
        modules   TEXT NOT NULL,
        added_at  TEXT NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE policy_activations (
        seq               INTEGER PRIMARY KEY CHECK (seq >= 1),
        version           TEXT NOT NULL REFERENCES policy_versions (version),
        action            TEXT NOT NULL CHECK (action IN ('activate', 'rollback')),
        actor             TEXT NOT NULL,
        at                TEXT NOT NULL,
        reason            TEXT,
        exceptions        TEXT NOT NULL,
        previous_version  TEXT
    ) STRICT
    """,
    """
    CREATE TABLE users (
        username       TEXT PRIMARY KEY,
        role           TEXT NOT NULL,
        password_hash  TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        session_epoch  INTEGER NOT NULL DEFAULT 0 CHECK (session_epoch >= 0)
    ) STRICT, WITHOUT ROWID
    """,
)

_V7: Final[tuple[str, ...]] = ("ALTER TABLE records ADD COLUMN hub_buyer TEXT",)

_V8: Final[tuple[str, ...]] = (
    "ALTER TABLE records ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0 "
    "CHECK (superseded IN (0, 1))",
    """
    UPDATE records SET superseded = 1
    WHERE version < (SELECT MAX(m.version) FROM records m WHERE m.record_id = records.record_id)
    """,
    """
    CREATE INDEX records_book ON records (bucket, exposure_minor, superseded)
    WHERE superseded = 0 AND bucket IS NOT NULL AND exposure_minor IS NOT NULL
    """,
    "CREATE INDEX record_keys_by_record ON record_keys (record_id)",
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
"""Migration steps in order; step ``i`` takes the schema from version ``i`` to ``i + 1``."""

SCHEMA_VERSION: Final[int] = len(MIGRATIONS)
"""The schema version this code writes and understands."""

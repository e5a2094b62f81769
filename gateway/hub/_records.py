"""The hub store's records: plain frozen values read back from SQLite."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from gateway.hub.contribution import BucketKey


@dataclass(frozen=True)
class Exporter:
    """A registered exporter and the JWKS its contributions must verify under."""

    exporter_id: str
    jwks: dict[str, Any]
    registered_at: int


@dataclass(frozen=True)
class AppliedContribution:
    """A contribution the hub accepted (its ciphertexts are in the sums, not kept alone)."""

    jti: str
    exporter_id: str
    period: str
    sha256: str
    kid: str
    received_at: int
    buckets: int


@dataclass(frozen=True)
class StoredSum:
    """A running ciphertext sum (base64url) and its contributor count."""

    period: str
    key: BucketKey
    ciphertext: str = field(repr=False)
    contributors: int


@dataclass(frozen=True)
class StoredRelease:
    """A period's signed release and its push status."""

    period: str
    jti: str
    jws: str = field(repr=False)
    sha256: str
    released_at: int
    buckets: int
    remainders: int
    suppressed: int
    contributions: int
    push_attempts: int
    pushed_at: int | None
    push_error: str | None


@dataclass(frozen=True)
class PeriodSummary:
    """Counts for one period (no bucket key, no ciphertext)."""

    period: str
    contributions: int
    buckets: int
    buckets_at_k: int
    release: StoredRelease | None

    @property
    def status(self) -> str:
        return "open" if self.release is None else "released"


def exporter_from(row: sqlite3.Row) -> Exporter:
    return Exporter(row["exporter_id"], json.loads(row["jwks"]), row["registered_at"])


def sum_from(row: sqlite3.Row) -> StoredSum:
    key = BucketKey(row["buyer"], row["country"], row["currency"], row["maturity_month"])
    return StoredSum(row["period"], key, row["ciphertext"], row["contributors"])


def release_from(row: sqlite3.Row) -> StoredRelease:
    return StoredRelease(
        period=row["period"],
        jti=row["jti"],
        jws=row["jws"],
        sha256=row["sha256"],
        released_at=row["released_at"],
        buckets=row["buckets"],
        remainders=row["remainders"],
        suppressed=row["suppressed"],
        contributions=row["contributions"],
        push_attempts=row["push_attempts"],
        pushed_at=row["pushed_at"],
        push_error=row["push_error"],
    )

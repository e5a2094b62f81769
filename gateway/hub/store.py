"""The hub's durable state: one SQLite file (WAL, ``synchronous=FULL``, mode 0600).

Every method opens a short-lived connection and runs one transaction, so the service and the
CLI can share the file. A contribution is applied in ONE transaction (refusal checks, the
contribution row, every running sum and membership row); a release is built from the sums and
stored in ONE transaction, after which the period is closed (schema triggers refuse any later
change to its sums). The store keeps no contribution's own ciphertexts, only the sums, and no
Paillier private key ever reaches it. Errors name tables and ids, never ciphertexts.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.crypto import PaillierPublicKey, decode_ciphertext
from gateway.errors import ConfigError, GatewayError, StoreError
from gateway.hub import _db
from gateway.hub._apply import apply_contribution
from gateway.hub._records import (
    AppliedContribution,
    Exporter,
    PeriodSummary,
    StoredRelease,
    StoredSum,
    exporter_from,
    release_from,
    sum_from,
)
from gateway.hub.contribution import VerifiedContribution
from gateway.hub.contribution_wire import PERIOD_PATTERN
from gateway.hub.errors import HubConflict, NothingToRelease
from gateway.hub.release import BucketTotal, BuiltRelease, PeriodState
from gateway.sign import build_jwks
from gateway.store._connection import transaction
from gateway.verify.keyset import load_keyset

_EXPORTER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PERIOD = re.compile(PERIOD_PATTERN)
MAX_PUSH_ERROR_CHARS = 200


def check_period(period: str) -> str:
    """``period`` if it is ``YYYY-MM``, else :class:`ConfigError`."""
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ConfigError("period must be YYYY-MM")
    return period


class HubStore:
    """The hub's SQLite store at ``path`` (created 0600, migrated on open)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        _db.open_file(self.path)
        with _db.connection(self.path) as conn:
            self.schema_version = _db.migrate(conn, self.path)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with _db.connection(self.path) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with _db.connection(self.path) as conn, transaction(conn):
            yield conn

    # -- exporters ------------------------------------------------------------------------------

    def register_exporter(
        self, exporter_id: str, jwks: Mapping[str, Any], *, now: int, replace: bool = False
    ) -> Exporter:
        """Register ``exporter_id`` with its public JWKS (Ed25519 keys, ``kid`` = thumbprint).

        A key already registered for another exporter is refused (a key names one exporter);
        re-registering an exporter needs ``replace`` (a key rotation).
        """
        if not isinstance(exporter_id, str) or not _EXPORTER_ID.match(exporter_id):
            raise ConfigError("exporter id must be 1-128 characters of [A-Za-z0-9._:-]")
        try:
            kids = set(load_keyset(jwks))
            document = build_jwks(jwks["keys"])
        except GatewayError as exc:
            raise ConfigError(f"exporter {exporter_id}: JWKS refused ({exc})") from exc
        with self._write() as conn:
            for row in conn.execute("SELECT exporter_id, jwks FROM exporters").fetchall():
                if row["exporter_id"] == exporter_id:
                    if not replace:
                        raise HubConflict(
                            "already_registered", f"exporter {exporter_id} is already registered"
                        )
                    continue
                theirs = {key["kid"] for key in json.loads(row["jwks"])["keys"]}
                if kids & theirs:
                    raise ConfigError(
                        f"exporter {exporter_id}: a key is already registered for another exporter"
                    )
            conn.execute(
                "INSERT INTO exporters (exporter_id, jwks, registered_at) VALUES (?, ?, ?) "
                "ON CONFLICT (exporter_id) DO UPDATE SET jwks = excluded.jwks, "
                "registered_at = excluded.registered_at",
                (exporter_id, json.dumps(document, sort_keys=True), now),
            )
        return Exporter(exporter_id, document, now)

    def exporter(self, exporter_id: str) -> Exporter | None:
        """The registered exporter ``exporter_id``, or ``None``."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM exporters WHERE exporter_id = ?", (exporter_id,)
            ).fetchone()
        return None if row is None else exporter_from(row)

    def exporters(self) -> list[Exporter]:
        """Every registered exporter, by id."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM exporters ORDER BY exporter_id").fetchall()
        return [exporter_from(r) for r in rows]

    # -- contributions ----------------------------------------------------------------------

    def apply(
        self, contribution: VerifiedContribution, paillier: PaillierPublicKey, *, received_at: int
    ) -> AppliedContribution:
        """Apply a verified contribution in one transaction (see :mod:`gateway.hub._apply`)."""
        check_period(contribution.period)
        try:
            with self._write() as conn:
                apply_contribution(conn, contribution, paillier, received_at)
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise HubConflict("replayed", "contribution conflicts with one received") from exc
            raise
        c = contribution
        return AppliedContribution(
            c.jti, c.exporter_id, c.period, c.sha256, c.kid, received_at, len(c.buckets)
        )

    def sums(self, period: str) -> list[StoredSum]:
        """The running sums of ``period``, by bucket key."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM sums WHERE period = ? "
                "ORDER BY buyer, country, currency, maturity_month",
                (check_period(period),),
            ).fetchall()
        return [sum_from(r) for r in rows]

    def period_state(self, period: str, paillier: PaillierPublicKey) -> PeriodState:
        """What a release of ``period`` would be built from."""
        with self._read() as conn:
            return _state(conn, check_period(period), paillier)

    # -- releases -------------------------------------------------------------------------------

    def release(
        self,
        period: str,
        paillier: PaillierPublicKey,
        build: Callable[[PeriodState], BuiltRelease],
        *,
        now: int,
    ) -> StoredRelease:
        """Build (``build``) and store the release of ``period`` in one transaction; the period
        is closed from then on. A second release, or one of an empty period, is refused."""
        check_period(period)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM releases WHERE period = ?", (period,)).fetchone():
                raise HubConflict("already_released", f"period {period} is already released")
            state = _state(conn, period, paillier)
            if not state.contributions:
                raise NothingToRelease(f"period {period} has no contribution")
            built = build(state)
            conn.execute(
                "INSERT INTO releases (period, jti, jws, sha256, released_at, buckets, "
                "remainders, suppressed, contributions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (period, built.jti, built.jws, built.sha256, now, built.buckets,
                 built.remainders, built.suppressed_buckets, built.contributions),
            )
            return _release(conn, period)

    def release_of(self, period: str) -> StoredRelease | None:
        """The stored release of ``period``, or ``None``."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM releases WHERE period = ?", (check_period(period),)
            ).fetchone()
        return None if row is None else release_from(row)

    def record_push(self, period: str, *, now: int, error: str | None) -> StoredRelease:
        """Record one push attempt: ``error`` (a short reason) or success at ``now``."""
        with self._write() as conn:
            conn.execute(
                "UPDATE releases SET push_attempts = push_attempts + 1, "
                "pushed_at = CASE WHEN ? IS NULL THEN ? ELSE pushed_at END, push_error = ? "
                "WHERE period = ?",
                (error, now, None if error is None else error[:MAX_PUSH_ERROR_CHARS],
                 check_period(period)),
            )
            return _release(conn, period)

    # -- status ---------------------------------------------------------------------------------

    def summary(self, period: str, k: int) -> PeriodSummary:
        """Counts for ``period``: contributions, buckets, buckets with >= ``k`` contributors."""
        with self._read() as conn:
            return _summary(conn, check_period(period), k)

    def periods(self, k: int) -> list[PeriodSummary]:
        """Every period with a contribution, newest first."""
        with self._read() as conn:
            names = [r[0] for r in conn.execute(
                "SELECT DISTINCT period FROM contributions ORDER BY period DESC"
            ).fetchall()]
            return [_summary(conn, p, k) for p in names]


def _release(conn: sqlite3.Connection, period: str) -> StoredRelease:
    row = conn.execute("SELECT * FROM releases WHERE period = ?", (period,)).fetchone()
    if row is None:
        raise StoreError(f"period {period} has no release")
    return release_from(row)


def _summary(conn: sqlite3.Connection, period: str, k: int) -> PeriodSummary:
    contributions = conn.execute(
        "SELECT COUNT(*) FROM contributions WHERE period = ?", (period,)
    ).fetchone()[0]
    buckets, at_k = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(contributors >= ?), 0) FROM sums WHERE period = ?",
        (k, period),
    ).fetchone()
    row = conn.execute("SELECT * FROM releases WHERE period = ?", (period,)).fetchone()
    release = None if row is None else release_from(row)
    return PeriodSummary(period, contributions, buckets, at_k, release)


def _state(conn: sqlite3.Connection, period: str, paillier: PaillierPublicKey) -> PeriodState:
    exporters: dict[tuple[str, str, str, str], set[str]] = {}
    for row in conn.execute(
        "SELECT m.buyer, m.country, m.currency, m.maturity_month, c.exporter_id "
        "FROM members m JOIN contributions c ON c.jti = m.jti WHERE m.period = ?",
        (period,),
    ):
        exporters.setdefault(tuple(row)[:4], set()).add(row["exporter_id"])
    buckets = []
    for stored in (sum_from(r) for r in conn.execute(
        "SELECT * FROM sums WHERE period = ? ORDER BY buyer, country, currency, maturity_month",
        (period,),
    )):
        key = stored.key
        members = exporters.get((key.buyer, key.country, key.currency, key.maturity_month), set())
        if len(members) != stored.contributors:
            raise StoreError(f"period {period}: a sum's contributor count disagrees with members")
        value = decode_ciphertext(paillier, stored.ciphertext)
        buckets.append(BucketTotal(key, value, frozenset(members)))
    shas = [r[0] for r in conn.execute(
        "SELECT sha256 FROM contributions WHERE period = ? ORDER BY sha256", (period,)
    )]
    return PeriodState(period, tuple(buckets), tuple(shas))


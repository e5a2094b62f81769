"""Releases (hub → insurer): the k rule, the signed ``ecg.release/1`` JWS, its verification.

Pure: the caller passes the period's state (running ciphertext sums with the exporters behind
each) and gets the signed release; nothing here touches a file, a database or the network.

The k rule (docs/hub.md): a bucket is released alone only when at least ``k`` distinct exporters
contributed to it. Smaller buckets are folded into one remainder per (country, currency) whose
contributors are the DISTINCT exporters across the folded buckets; a remainder that still has
fewer than ``k`` is suppressed (only the number of its buckets is released). Remainder sums are
homomorphic additions of the folded sums: the hub never decrypts anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.canonical import sha256_hex
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.crypto.ciphertext import add_raw_many, encode_ciphertext
from gateway.errors import CryptoError
from gateway.hub._release_verify import (
    VerifiedRelease,
    VerifiedReleaseBucket,
    VerifiedRemainder,
    verify_release,
)
from gateway.hub.contribution import BucketKey
from gateway.hub.release_format import RELEASE_SCHEMA, RELEASE_TYP, ReleasePayload
from gateway.sign.jws import canonical_payload, sign_payload_bytes

__all__ = [
    "RELEASE_SCHEMA",
    "RELEASE_TYP",
    "BucketTotal",
    "BuiltRelease",
    "PeriodState",
    "ReleasePlan",
    "Remainder",
    "VerifiedRelease",
    "VerifiedReleaseBucket",
    "VerifiedRemainder",
    "build_release",
    "plan_release",
    "verify_release",
]


@dataclass(frozen=True)
class BucketTotal:
    """A bucket's running ciphertext sum and the distinct exporters that contributed to it."""

    key: BucketKey
    ciphertext: int
    exporters: frozenset[str]

    @property
    def contributors(self) -> int:
        return len(self.exporters)


@dataclass(frozen=True)
class PeriodState:
    """Everything a release of ``period`` is built from: the sums and the SHA-256 (hex) of
    every contribution they include."""

    period: str
    buckets: tuple[BucketTotal, ...]
    contributions: tuple[str, ...]


@dataclass(frozen=True)
class Remainder:
    """Buckets below k of one (country, currency), folded together."""

    country: str
    currency: str
    folded: tuple[BucketTotal, ...]

    @property
    def exporters(self) -> frozenset[str]:
        return frozenset().union(*(b.exporters for b in self.folded))

    @property
    def contributors(self) -> int:
        return len(self.exporters)


@dataclass(frozen=True)
class ReleasePlan:
    """What the k rule lets out: buckets alone, remainders, and how many buckets stay hidden."""

    buckets: tuple[BucketTotal, ...]
    remainders: tuple[Remainder, ...]
    suppressed_buckets: int


@dataclass(frozen=True)
class BuiltRelease:
    """A signed release and its counts (what the hub stores beside the JWS)."""

    jws: str
    jti: str
    sha256: str
    buckets: int
    remainders: int
    suppressed_buckets: int
    contributions: int


def plan_release(buckets: Iterable[BucketTotal], k: int) -> ReleasePlan:
    """Apply the k rule to ``buckets`` (see the module docstring)."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise CryptoError("k must be an integer of at least 2")
    alone: list[BucketTotal] = []
    small: dict[tuple[str, str], list[BucketTotal]] = {}
    for bucket in sorted(buckets, key=lambda b: b.key):
        if bucket.contributors >= k:
            alone.append(bucket)
        else:
            small.setdefault((bucket.key.country, bucket.key.currency), []).append(bucket)
    remainders: list[Remainder] = []
    suppressed = 0
    for (country, currency), folded in sorted(small.items()):
        remainder = Remainder(country, currency, tuple(folded))
        if remainder.contributors >= k:
            remainders.append(remainder)
        else:
            suppressed += len(folded)
    return ReleasePlan(tuple(alone), tuple(remainders), suppressed)


def _sum(paillier: PaillierPublicKey, values: Iterable[int]) -> int:
    """Homomorphic sum of the folded sums: one GMP product mod n², range- and gcd-checked."""
    it = iter(values)
    return add_raw_many(paillier, next(it), it)


def release_payload(
    state: PeriodState,
    plan: ReleasePlan,
    *,
    hub_id: str,
    insurer_id: str,
    k: int,
    paillier: PaillierPublicKey,
    now: int,
    jti: str,
) -> dict[str, Any]:
    """The ``ecg.release/1`` payload of ``plan`` (validated when it is signed)."""

    def text(value: int) -> str:
        return encode_ciphertext(paillier, value)

    return {
        "schema": RELEASE_SCHEMA,
        "iss": hub_id,
        "aud": insurer_id,
        "iat": now,
        "jti": jti,
        "period": state.period,
        "k": k,
        "paillier": {"fingerprint": paillier.fingerprint},
        "buckets": [
            {
                "buyer": b.key.buyer,
                "country": b.key.country,
                "currency": b.key.currency,
                "maturity_month": b.key.maturity_month,
                "contributors": b.contributors,
                "ciphertext": text(b.ciphertext),
            }
            for b in plan.buckets
        ],
        "remainders": [
            {
                "country": r.country,
                "currency": r.currency,
                "contributors": r.contributors,
                "buckets": len(r.folded),
                "ciphertext": text(_sum(paillier, (b.ciphertext for b in r.folded))),
            }
            for r in plan.remainders
        ],
        "suppressed": {"buckets": plan.suppressed_buckets, "contributors_below_k": True},
        "contributions": sorted(state.contributions),
    }


def build_release(
    state: PeriodState,
    *,
    hub_id: str,
    insurer_id: str,
    k: int,
    paillier: PaillierPublicKey,
    key: SigningKey,
    now: int,
    jti: str | None = None,
) -> BuiltRelease:
    """Apply the k rule to ``state`` and sign the release with the hub's ``key``."""
    if not state.contributions:
        raise CryptoError(f"period {state.period}: no contribution to release")
    plan = plan_release(state.buckets, k)
    release_id = jti if jti is not None else "rel_" + secrets.token_hex(16)
    payload = release_payload(
        state, plan, hub_id=hub_id, insurer_id=insurer_id, k=k, paillier=paillier,
        now=now, jti=release_id,
    )
    body = canonical_payload(payload, ReleasePayload, "release")
    jws = sign_payload_bytes(body, key, RELEASE_TYP)
    return BuiltRelease(
        jws=jws,
        jti=release_id,
        sha256=sha256_hex(jws.encode("ascii")),
        buckets=len(plan.buckets),
        remainders=len(plan.remainders),
        suppressed_buckets=plan.suppressed_buckets,
        contributions=len(state.contributions),
    )

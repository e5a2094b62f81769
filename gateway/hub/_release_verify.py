"""Verification of a hub release (what the insurer runs before decrypting anything).

Like gateway/verify/submission.py: strict compact form, header exactly ``alg``/``kid``/``typ``
(EdDSA only, ``typ`` ``ecg-release+jws``), the key from the hub's static JWKS, the signature,
strict canonical JSON validated against :class:`ReleasePayload` (which carries the k rule), then
the claims (``aud`` exactly the insurer, ``iss`` the hub when given, ``iat`` not in the future),
the Paillier fingerprint, every ciphertext (range, gcd, obfuscated, fixed length), and the k rule
once more, explicitly. Every failure is a :class:`VerificationError` without any value in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.canonical import sha256_hex
from gateway.crypto import PaillierPublicKey, decode_ciphertext
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CiphertextError, VerificationError
from gateway.hub.contribution import BucketKey
from gateway.hub.release_format import RELEASE_TYP, ReleasePayload
from gateway.verify.core import check_claims, parse_payload, verify_signature

DEFAULT_CLOCK_SKEW_S = 300


@dataclass(frozen=True)
class VerifiedReleaseBucket:
    """A released bucket: its key, its distinct contributors (>= k) and its ciphertext sum."""

    key: BucketKey
    contributors: int
    ciphertext: str = field(repr=False)


@dataclass(frozen=True)
class VerifiedRemainder:
    """A remainder: ``buckets`` folded buckets of one (country, currency)."""

    country: str
    currency: str
    contributors: int
    buckets: int
    ciphertext: str = field(repr=False)


@dataclass(frozen=True)
class VerifiedRelease:
    """A release whose signature, header, schema, claims, ciphertexts and k rule check out.

    ``sha256`` is the hex SHA-256 of the JWS text; ``payload_sha256`` that of the signed bytes.
    Ciphertexts are the validated base64url texts the insurer's key custodian decrypts.
    """

    hub_id: str
    insurer_id: str
    jti: str
    period: str
    iat: int
    k: int
    kid: str
    fingerprint: str
    sha256: str
    payload_sha256: str
    buckets: tuple[VerifiedReleaseBucket, ...]
    remainders: tuple[VerifiedRemainder, ...]
    suppressed_buckets: int
    contributions: tuple[str, ...]


def _check_ciphertext(paillier: PaillierPublicKey, where: str, b64: str) -> None:
    try:
        value = decode_ciphertext(paillier, b64)
    except CiphertextError as exc:
        raise VerificationError(f"release {where}.{exc}") from exc
    if encode_ciphertext(paillier, value) != b64:
        raise VerificationError(
            f"release {where}.ciphertext: not {paillier.ciphertext_bytes} bytes "
            "(the wire form is fixed-length, as long as n²)"
        )


def _check_content(payload: ReleasePayload, paillier: PaillierPublicKey) -> None:
    if payload.paillier.fingerprint != paillier.fingerprint:
        raise VerificationError("release paillier.fingerprint does not match the insurer's key")
    for i, bucket in enumerate(payload.buckets):
        if bucket.contributors < payload.k:
            raise VerificationError(f"release buckets[{i}]: fewer than k contributors")
        _check_ciphertext(paillier, f"buckets[{i}]", bucket.ciphertext)
    for i, remainder in enumerate(payload.remainders):
        if remainder.contributors < payload.k:
            raise VerificationError(f"release remainders[{i}]: fewer than k contributors")
        _check_ciphertext(paillier, f"remainders[{i}]", remainder.ciphertext)


def verify_release(
    jws: str,
    *,
    hub_jwks: Mapping[str, Any],
    insurer_id: str,
    paillier: PaillierPublicKey,
    now: int,
    hub_id: str | None = None,
    max_clock_skew_s: int = DEFAULT_CLOCK_SKEW_S,
) -> VerifiedRelease:
    """Verify a release addressed to ``insurer_id`` against the hub's JWKS and the insurer's
    Paillier public key; ``iss`` must equal ``hub_id`` exactly when given."""
    if not isinstance(insurer_id, str) or not insurer_id:
        raise VerificationError("insurer_id must be the insurer's party id")
    if not isinstance(paillier, PaillierPublicKey):
        raise VerificationError("paillier must be a PaillierPublicKey")
    verified = verify_signature(jws, hub_jwks, typ=RELEASE_TYP)
    payload = parse_payload(verified, ReleasePayload, "release")
    check_claims(
        payload.iat,
        (payload.iss, payload.aud),
        issuer=hub_id,
        audience=insurer_id,
        now=now,
        max_clock_skew_s=max_clock_skew_s,
        what="release",
    )
    _check_content(payload, paillier)
    return VerifiedRelease(
        hub_id=payload.iss,
        insurer_id=payload.aud,
        jti=payload.jti,
        period=payload.period,
        iat=payload.iat,
        k=payload.k,
        kid=verified.kid,
        fingerprint=payload.paillier.fingerprint,
        sha256=sha256_hex(jws.encode("ascii")),
        payload_sha256=verified.payload_sha256,
        buckets=tuple(
            VerifiedReleaseBucket(
                BucketKey(b.buyer, b.country, b.currency, b.maturity_month),
                b.contributors,
                b.ciphertext,
            )
            for b in payload.buckets
        ),
        remainders=tuple(
            VerifiedRemainder(r.country, r.currency, r.contributors, r.buckets, r.ciphertext)
            for r in payload.remainders
        ),
        suppressed_buckets=payload.suppressed.buckets,
        contributions=tuple(payload.contributions),
    )

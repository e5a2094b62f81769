"""Contributions (exporter → hub): ``ecg.contribution/1`` as a compact JWS (docs/hub.md).

One exporter's exposure per common bucket for one period, each total Paillier-encrypted under
the insurer's public key, signed with the exporter's own Ed25519 key (header ``typ``
``ecg-contribution+jws``). The payload is RFC 8785 canonical JSON::

    {"schema": "ecg.contribution/1", "iss": <exporter id>, "aud": <hub id>, "iat": <int>,
     "jti": "ctb_<32 hex>", "period": "YYYY-MM", "paillier": {"fingerprint": "sha256:<hex>"},
     "buckets": [{"buyer": "ic:...|cp:...", "country": "DE", "currency": "EUR",
                  "maturity_month": "2026-12", "ciphertext": "<base64url, exactly n² bytes>"}]}

Buckets are sorted by (buyer, country, currency, maturity_month), unique, 1 to 100,000 of them.

Verification follows gateway.verify: strict compact form, header exactly ``alg``/``kid``/``typ``
(EdDSA only, nothing fetched), the key by ``kid`` from the hub's registry, the signature, strict
canonical JSON validated against a strict model, ``aud`` exactly the hub id, ``iat`` neither in
the future (beyond the skew) nor older than ``max_age_s``, ``iss`` the exporter whose key signed,
the insurer's Paillier fingerprint, and every ciphertext (range, gcd, obfuscated, fixed length).
Every failure is a :class:`VerificationError` whose reason never holds a value from the token.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from gateway.canonical import sha256_hex
from gateway.crypto import PaillierPublicKey, SigningKey, decode_ciphertext, encrypt_bucket_totals
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CiphertextError, CryptoError, VerificationError
from gateway.hub.contribution_wire import (
    CONTRIBUTION_SCHEMA,
    MAX_CONTRIBUTION_BUCKETS,
    ContributionPayload,
    check_bucket_key,
)
from gateway.sign.jws import canonical_payload, sign_payload_bytes
from gateway.verify.compact import parse_compact
from gateway.verify.core import check_claims, parse_payload, verify_signature
from gateway.verify.keyset import load_keyset

CONTRIBUTION_TYP: Final = "ecg-contribution+jws"
DEFAULT_MAX_AGE_S: Final = 86_400
MAX_CLOCK_SKEW_S: Final = 300
ANY: Final = "*"


@dataclass(frozen=True, order=True)
class BucketKey:
    """A common bucket: the ordering is the wire's sort order."""

    buyer: str
    country: str
    currency: str
    maturity_month: str


@dataclass(frozen=True)
class VerifiedContribution:
    """A contribution whose signature, header, schema, claims and ciphertexts check out.

    ``sha256`` is the hex SHA-256 of the JWS text as received; ``buckets`` pairs each key with
    its ciphertext as an integer, in wire order.
    """

    exporter_id: str
    jti: str
    period: str
    sha256: str
    kid: str
    buckets: tuple[tuple[BucketKey, int], ...] = field(repr=False)


# -- build -------------------------------------------------------------------------------------


def build_contribution(
    exporter_id: str,
    hub_id: str,
    period: str,
    totals: Mapping[BucketKey, int],
    paillier: PaillierPublicKey,
    key: SigningKey,
    *,
    now: int,
) -> str:
    """Encrypt ``totals`` (integer minor units) under ``paillier`` and sign the contribution."""
    if not isinstance(paillier, PaillierPublicKey):
        raise CryptoError("contribution: paillier must be a PaillierPublicKey")
    if not 1 <= len(totals) <= MAX_CONTRIBUTION_BUCKETS:
        raise CryptoError(f"contribution: 1 to {MAX_CONTRIBUTION_BUCKETS} buckets required")
    if not all(isinstance(k, BucketKey) for k in totals):
        raise CryptoError("contribution: every bucket key must be a BucketKey")
    keys = sorted(totals)
    ciphertexts = encrypt_bucket_totals(paillier, [totals[k] for k in keys])
    return sign_contribution(
        exporter_id, hub_id, period, dict(zip(keys, ciphertexts, strict=True)), paillier, key,
        now=now,
    )


def sign_contribution(
    exporter_id: str,
    hub_id: str,
    period: str,
    ciphertexts: Mapping[BucketKey, str],
    paillier: PaillierPublicKey,
    key: SigningKey,
    *,
    now: int,
) -> str:
    """Sign a contribution whose bucket totals are already encrypted under ``paillier``
    (base64url ciphertexts, as :func:`build_contribution` makes them)."""
    keys = sorted(ciphertexts)
    for i, bucket in enumerate(keys):
        check_bucket_key(i, _key_dict(bucket), CryptoError)
    payload: dict[str, Any] = {
        "schema": CONTRIBUTION_SCHEMA,
        "iss": exporter_id,
        "aud": hub_id,
        "iat": now,
        "jti": "ctb_" + secrets.token_hex(16),
        "period": period,
        "paillier": {"fingerprint": paillier.fingerprint},
        "buckets": [{**_key_dict(k), "ciphertext": ciphertexts[k]} for k in keys],
    }
    body = canonical_payload(payload, ContributionPayload, "contribution")
    return sign_payload_bytes(body, key, CONTRIBUTION_TYP)


def _key_dict(key: BucketKey) -> dict[str, str]:
    return {
        "buyer": key.buyer,
        "country": key.country,
        "currency": key.currency,
        "maturity_month": key.maturity_month,
    }


# -- verify ------------------------------------------------------------------------------------


def verify_contribution(
    jws: str,
    *,
    jwks: Mapping[str, Any],
    hub_id: str,
    paillier: PaillierPublicKey,
    now: int,
    max_age_s: int = DEFAULT_MAX_AGE_S,
    issuer: str | None = None,
) -> VerifiedContribution:
    """Verify a contribution sent to ``hub_id``.

    ``jwks`` is either the hub's registry (exporter id → that exporter's JWKS: the ``kid``
    names the exporter, whose id the payload's ``iss`` must be) or one exporter's JWKS
    (``{"keys": [...]}``); ``issuer``, when given, is the exporter id ``iss`` must equal.
    """
    if not isinstance(paillier, PaillierPublicKey):
        raise VerificationError("paillier must be a PaillierPublicKey")
    if not isinstance(max_age_s, int) or isinstance(max_age_s, bool) or max_age_s < 0:
        raise VerificationError("max_age_s must be a non-negative integer")
    kid = parse_compact(jws, typ=CONTRIBUTION_TYP).header["kid"]
    keyset, owner = _exporter_keyset(jwks, kid)
    verified = verify_signature(jws, keyset, typ=CONTRIBUTION_TYP)
    payload = parse_payload(verified, ContributionPayload, "contribution")
    check_claims(
        payload.iat,
        (payload.iss, payload.aud),
        issuer=issuer,
        audience=hub_id,
        now=now,
        max_clock_skew_s=MAX_CLOCK_SKEW_S,
        what="contribution",
    )
    if now - payload.iat > max_age_s:
        raise VerificationError(f"contribution iat is older than {max_age_s} s (stale)")
    if owner is not None and payload.iss != owner:
        raise VerificationError("contribution iss is not the exporter whose key signed it")
    if payload.paillier.fingerprint != paillier.fingerprint:
        raise VerificationError(
            "contribution paillier.fingerprint does not match the insurer's Paillier key"
        )
    buckets = tuple(
        (
            BucketKey(b.buyer, b.country, b.currency, b.maturity_month),
            _ciphertext(paillier, i, b.ciphertext),
        )
        for i, b in enumerate(payload.buckets)
    )
    return VerifiedContribution(
        exporter_id=payload.iss,
        jti=payload.jti,
        period=payload.period,
        sha256=sha256_hex(jws.encode("ascii")),
        kid=verified.kid,
        buckets=buckets,
    )


def _exporter_keyset(
    jwks: Mapping[str, Any], kid: str
) -> tuple[Mapping[str, Any], str | None]:
    """The key set to verify with, and the exporter it belongs to (registry form only)."""
    if not isinstance(jwks, Mapping):
        raise VerificationError("jwks: expected a JWKS or a registry of exporter JWKS")
    if isinstance(jwks.get("keys"), list):
        return jwks, None
    owners = []
    for exporter_id, keyset in jwks.items():
        try:
            kids = load_keyset(keyset)
        except VerificationError as exc:
            raise VerificationError(f"registry entry {exporter_id!s:.128}: {exc}") from exc
        if kid in kids:
            owners.append(exporter_id)
    if not owners:
        raise VerificationError("JWS kid is not registered for any exporter (unknown signing key)")
    if len(owners) > 1:
        raise VerificationError("JWS kid is registered for more than one exporter")
    return jwks[owners[0]], str(owners[0])


def _ciphertext(paillier: PaillierPublicKey, index: int, b64: str) -> int:
    try:
        value = decode_ciphertext(paillier, b64)
    except CiphertextError as exc:
        raise VerificationError(f"contribution buckets[{index}].{exc}") from exc
    if encode_ciphertext(paillier, value) != b64:
        raise VerificationError(
            f"contribution buckets[{index}].ciphertext: not {paillier.ciphertext_bytes} bytes "
            "(the wire form is fixed-length, as long as n²)"
        )
    return value


# -- the exporter's book, as common buckets ----------------------------------------------------


class BookEntry(Protocol):
    """One record of the exporter's book as the store gives it (``Store.hub_book``)."""

    @property
    def hub_buyer(self) -> str | None: ...
    @property
    def country(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def maturity_month(self) -> str: ...
    @property
    def exposure_minor(self) -> int: ...


@dataclass(frozen=True)
class BookTotals:
    """The book summed per common bucket. ``records`` (per bucket) stays local; only the
    totals are sent. ``uncontributed`` counts records left out, by reason: ``no_common_id``
    (no insurer code and no consortium key) and ``undisclosed_dimension`` (the policy merged
    or withheld the country, currency or maturity month)."""

    totals: dict[BucketKey, int]
    records: dict[BucketKey, int]
    uncontributed: dict[str, int]

    @property
    def contributed_records(self) -> int:
        return sum(self.records.values())


def book_totals(entries: Iterable[BookEntry]) -> BookTotals:
    """Sum the exposure of ``entries`` per common bucket."""
    totals: dict[BucketKey, int] = {}
    records: dict[BucketKey, int] = {}
    left_out = {"no_common_id": 0, "undisclosed_dimension": 0}
    for entry in entries:
        if entry.hub_buyer is None:
            left_out["no_common_id"] += 1
            continue
        dims = (entry.country, entry.currency, entry.maturity_month)
        if ANY in dims:
            left_out["undisclosed_dimension"] += 1
            continue
        key = BucketKey(entry.hub_buyer, *dims)
        totals[key] = totals.get(key, 0) + entry.exposure_minor
        records[key] = records.get(key, 0) + 1
    return BookTotals(dict(sorted(totals.items())), dict(sorted(records.items())), left_out)

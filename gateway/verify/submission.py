"""Verification of signed submissions (exporter → insurer) and receipts (insurer → exporter).

This is what an insurer runs, offline, with only public material: the gateway's JWKS and its own
Paillier public key. Every failure raises :class:`VerificationError` with a reason; nothing in a
reason is key material or record content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.crypto import PaillierPublicKey, decode_ciphertext
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CiphertextError, VerificationError
from gateway.sign.jws import RECEIPT_TYP, SUBMISSION_TYP
from gateway.sign.payload import Exposure, ReceiptPayload, SubmissionPayload
from gateway.verify.core import check_claims, parse_payload, verify_signature

DEFAULT_CLOCK_SKEW_S = 300


@dataclass(frozen=True)
class VerifiedSubmission:
    """A submission whose signature, header, schema, claims and ciphertexts all check out."""

    kid: str
    header: dict[str, str]
    payload: SubmissionPayload
    payload_bytes: bytes
    payload_sha256: str


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose signature, header, schema and claims check out."""

    kid: str
    header: dict[str, str]
    payload: ReceiptPayload
    payload_bytes: bytes
    payload_sha256: str


def _check_exposure(exposure: Exposure | None, key: PaillierPublicKey | None) -> None:
    if exposure is None:
        return
    if key is None:
        raise VerificationError(
            "submission carries encrypted exposures but no Paillier public key was given"
        )
    if not isinstance(key, PaillierPublicKey):
        raise VerificationError("paillier_public_key must be a PaillierPublicKey")
    if exposure.key_fingerprint != key.fingerprint:
        raise VerificationError(
            "exposure.key_fingerprint does not match the given Paillier public key"
        )
    for i, bucket in enumerate(exposure.buckets):
        try:
            value = decode_ciphertext(key, bucket.ciphertext)
        except CiphertextError as exc:
            raise VerificationError(f"exposure.buckets[{i}].{exc}") from exc
        if encode_ciphertext(key, value) != bucket.ciphertext:
            raise VerificationError(
                f"exposure.buckets[{i}].ciphertext: not {key.ciphertext_bytes} bytes "
                "(the wire form is fixed-length, as long as n²)"
            )


def verify_submission(
    jws: str,
    jwks: Mapping[str, Any],
    paillier_public_key: PaillierPublicKey | None,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    now: int | None = None,
    max_clock_skew_s: int = DEFAULT_CLOCK_SKEW_S,
) -> VerifiedSubmission:
    """Verify a compact-JWS submission against a static JWKS and the insurer's Paillier key;
    ``iss`` and ``aud`` must equal ``issuer`` and ``audience`` exactly when given."""
    verified = verify_signature(jws, jwks, typ=SUBMISSION_TYP)
    payload = parse_payload(verified, SubmissionPayload, "submission")
    check_claims(
        payload.iat,
        (payload.iss, payload.aud),
        issuer=issuer,
        audience=audience,
        now=now,
        max_clock_skew_s=max_clock_skew_s,
        what="submission",
    )
    _check_exposure(payload.exposure, paillier_public_key)
    return VerifiedSubmission(
        verified.kid, verified.header, payload, verified.payload_bytes, verified.payload_sha256
    )


def verify_receipt(
    jws: str,
    jwks: Mapping[str, Any],
    *,
    submission_id: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    now: int | None = None,
    max_clock_skew_s: int = DEFAULT_CLOCK_SKEW_S,
) -> VerifiedReceipt:
    """Verify an insurer's receipt; ``submission_id``, ``issuer`` and ``audience`` must match
    exactly when given."""
    verified = verify_signature(jws, jwks, typ=RECEIPT_TYP)
    payload = parse_payload(verified, ReceiptPayload, "receipt")
    check_claims(
        payload.iat,
        (payload.iss, payload.aud),
        issuer=issuer,
        audience=audience,
        now=now,
        max_clock_skew_s=max_clock_skew_s,
        what="receipt",
    )
    if submission_id is not None and payload.submission_id != submission_id:
        raise VerificationError("receipt is for a different submission")
    return VerifiedReceipt(
        verified.kid, verified.header, payload, verified.payload_bytes, verified.payload_sha256
    )


#: The name the project brief uses: ``verify(jws, jwks, paillier_public_key)``.
verify = verify_submission

"""Compact JWS signing (RFC 7515) with EdDSA / Ed25519 (RFC 8037) over canonical JSON.

The signer is a ``jwt.PyJWS`` instance that knows only ``EdDSA``. The protected header is exactly
``{"alg": "EdDSA", "kid": <RFC 7638 thumbprint>, "typ": ...}``; the payload bytes are the RFC 8785
canonical JSON of a payload that has first been validated against the wire schema.
"""

from __future__ import annotations

from typing import Any

import jwt
from pydantic import BaseModel, ValidationError

from gateway.canonical import CanonicalJSONError, canonical_json
from gateway.crypto import SigningKey
from gateway.errors import CryptoError
from gateway.sign.payload import ReceiptPayload, SubmissionPayload, describe_errors

SUBMISSION_TYP = "ecg-submission+jws"
RECEIPT_TYP = "ecg-receipt+jws"
ALGORITHM = "EdDSA"


def _signer() -> jwt.PyJWS:
    return jwt.PyJWS(algorithms=[ALGORITHM])


def canonical_payload(payload: dict[str, Any], model: type[BaseModel], what: str) -> bytes:
    """Validate ``payload`` against ``model`` and return its canonical JSON bytes.

    The bytes must equal the canonical JSON of the validated model, so nothing the schema
    would normalise (or drop) can be signed.
    """
    try:
        validated = model.model_validate(payload)
        body = canonical_json(payload)
        normal = canonical_json(validated.model_dump(mode="json", by_alias=True))
    except ValidationError as exc:
        reason = describe_errors(exc)
        raise CryptoError(f"{what} payload does not match its schema: {reason}") from exc
    except CanonicalJSONError as exc:
        raise CryptoError(f"{what} payload is not canonical JSON material: {exc}") from exc
    if body != normal:
        raise CryptoError(f"{what} payload is not in the schema's normal form")
    return body


def sign_payload_bytes(body: bytes, key: SigningKey, typ: str) -> str:
    """Compact JWS of already-canonical ``body`` with the fixed three-member header."""
    if not isinstance(key, SigningKey):
        raise CryptoError("signing needs a SigningKey")
    headers = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
    try:
        return _signer().encode(body, key.jws_key(), algorithm=ALGORITHM, headers=headers)
    except jwt.PyJWTError as exc:
        raise CryptoError("JWS signing failed") from exc


def sign_submission(payload: dict[str, Any], key: SigningKey) -> str:
    """Sign an ``ecg.submission/1`` payload; returns the compact JWS."""
    return sign_submission_body(payload, key)[0]


def sign_submission_body(payload: dict[str, Any], key: SigningKey) -> tuple[str, bytes]:
    """:func:`sign_submission`, also returning the signed canonical JSON bytes (whose SHA-256
    the outbox keeps), so they need not be serialised twice."""
    body = canonical_payload(payload, SubmissionPayload, "submission")
    return sign_payload_bytes(body, key, SUBMISSION_TYP), body


def sign_receipt(payload: dict[str, Any], key: SigningKey) -> str:
    """Sign an ``ecg.receipt/1`` payload (insurer side); returns the compact JWS."""
    body = canonical_payload(payload, ReceiptPayload, "receipt")
    return sign_payload_bytes(body, key, RECEIPT_TYP)

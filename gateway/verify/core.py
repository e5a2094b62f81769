"""Signature verification shared by submissions and receipts.

Order: strict parse (header rules, no duplicates) → key from the static JWKS → signature through
a ``jwt.PyJWS`` that knows only EdDSA, with an ``Ed25519PublicKey`` object → only then is the
payload parsed (strict JSON), required to be exactly its canonical JSON, and validated against
the wire model, whose own canonical form must again equal the signed bytes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
from pydantic import BaseModel, ValidationError

from gateway.canonical import CanonicalJSONError, canonical_json, sha256_hex
from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError
from gateway.sign.payload import describe_errors
from gateway.verify.compact import ALGORITHM, parse_compact
from gateway.verify.keyset import key_for

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Verified:
    """A signature-checked JWS: signer, header and the payload bytes as signed."""

    kid: str
    header: dict[str, str]
    payload_bytes: bytes
    payload_sha256: str


def verify_signature(jws: str, jwks: Mapping[str, Any], *, typ: str) -> Verified:
    """Check structure, header, key and signature; return the authenticated payload bytes."""
    parsed = parse_compact(jws, typ=typ)
    kid = parsed.header["kid"]
    public_key = key_for(jwks, kid)
    verifier = jwt.PyJWS(algorithms=[ALGORITHM])
    try:
        decoded = verifier.decode_complete(jws, key=public_key, algorithms=[ALGORITHM])
    except jwt.PyJWTError as exc:
        raise VerificationError("JWS signature does not verify under the key named by kid") from exc
    if decoded["payload"] != parsed.payload_bytes or decoded["header"] != parsed.header:
        raise VerificationError("JWS: the library and the strict parser disagree on the content")
    body = parsed.payload_bytes
    return Verified(kid, dict(parsed.header), body, sha256_hex(body))


def parse_payload(verified: Verified, model: type[M], what: str) -> M:
    """Strict-parse the signed bytes, require canonical JSON, validate against ``model``."""
    data = loads_strict(verified.payload_bytes, what=f"{what} payload", error=VerificationError)
    try:
        if canonical_json(data) != verified.payload_bytes:
            raise VerificationError(f"{what} payload is not canonical JSON (RFC 8785)")
        payload = model.model_validate(data)
        normal = canonical_json(payload.model_dump(mode="json", by_alias=True))
    except ValidationError as exc:
        raise VerificationError(
            f"{what} payload does not match its schema: {describe_errors(exc)}"
        ) from exc
    except CanonicalJSONError as exc:
        raise VerificationError(f"{what} payload is not canonical JSON: {exc}") from exc
    if normal != verified.payload_bytes:
        raise VerificationError(f"{what} payload is not in the schema's normal form")
    return payload


def _expect(name: str, value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise VerificationError(f"expected {name} must be a string (one exact party id)")


def check_claims(
    iat: int,
    claims: tuple[str, str],
    *,
    issuer: str | None,
    audience: str | None,
    now: int | None,
    max_clock_skew_s: int,
    what: str,
) -> None:
    """``iat`` not in the future beyond the skew; ``claims`` = ``(iss, aud)``, each exactly the
    expected ``issuer`` / ``audience`` when given (no prefix, case, whitespace or list match)."""
    _expect("issuer", issuer)
    _expect("audience", audience)
    if not isinstance(max_clock_skew_s, int) or max_clock_skew_s < 0:
        raise VerificationError("max_clock_skew_s must not be negative")
    current = int(time.time()) if now is None else now
    if iat > current + max_clock_skew_s:
        raise VerificationError(
            f"{what} iat is {iat - current} s in the future (allowed skew {max_clock_skew_s} s)"
        )
    iss, aud = claims
    if issuer is not None and iss != issuer:
        raise VerificationError(f"{what} iss does not equal the expected issuer")
    if audience is not None and aud != audience:
        raise VerificationError(f"{what} aud does not equal the expected audience")

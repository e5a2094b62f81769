"""Strict parsing of a compact JWS before any signature check (RFC 7515 §7.1).

The compact form is parsed here, not trusted to a library's leniency: exactly three non-empty
segments of canonical unpadded base64url, no whitespace or other characters, a header that is a
JSON object without duplicate keys and with exactly the members ``alg``, ``kid`` and ``typ``.
Header parameters that would make a verifier fetch or trust a key named by the token itself
(``jku``, ``x5u``, ``jwk``, ``x5c``...) or change processing (``crit``, ``b64``) are refused by
name; nothing is ever fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.crypto.b64 import b64url_decode
from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError

#: Upper bound on a compact JWS, in characters (a 100,000-attachment submission fits well).
MAX_JWS_CHARS = 256 * 1024 * 1024
ALGORITHM = "EdDSA"
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_KEY_BEARING = ("jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip", "enc")
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


@dataclass(frozen=True)
class CompactJWS:
    """The decoded parts of a compact JWS (nothing here is authenticated yet)."""

    header: dict[str, str]
    payload_bytes: bytes
    signature: bytes


def _check_header(header: Any, typ: str) -> dict[str, str]:
    if not isinstance(header, dict):
        raise VerificationError("JWS header: not a JSON object")
    for name in _KEY_BEARING:
        if name in header:
            raise VerificationError(
                f"JWS header: parameter {name!r} is not accepted (keys come only from the "
                "verifier's JWKS; nothing named by the token is fetched or trusted)"
            )
    if set(header) != _HEADER_MEMBERS:
        unknown = sorted(set(header) - _HEADER_MEMBERS)
        missing = sorted(_HEADER_MEMBERS - set(header))
        raise VerificationError(
            f"JWS header: must be exactly alg, kid, typ (missing {missing}, unexpected {unknown})"
        )
    alg = header["alg"]
    if not isinstance(alg, str) or alg != ALGORITHM:
        shown = alg if isinstance(alg, str) and len(alg) <= 16 and alg.isprintable() else "?"
        raise VerificationError(f"JWS header: alg {shown!r} is not accepted; only EdDSA")
    if header["typ"] != typ:
        raise VerificationError(f"JWS header: typ must be {typ!r}")
    kid = header["kid"]
    if not isinstance(kid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", kid):
        raise VerificationError("JWS header: kid must be a base64url key thumbprint")
    return header


def parse_compact(jws: str, *, typ: str) -> CompactJWS:
    """Split and decode ``jws``; refuse anything but the strict form described above."""
    if not isinstance(jws, str):
        raise VerificationError("JWS: expected a string")
    if len(jws) > MAX_JWS_CHARS:
        raise VerificationError(f"JWS: longer than {MAX_JWS_CHARS} characters")
    if jws.count(".") != 2:
        raise VerificationError(
            f"JWS: compact serialisation has exactly 3 segments, found {jws.count('.') + 1}"
        )
    if not _COMPACT.fullmatch(jws):
        raise VerificationError(
            "JWS: segments must be non-empty unpadded base64url with nothing around them "
            "(no whitespace, padding or other characters)"
        )
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header_bytes = b64url_decode(header_b64, what="JWS header", error=VerificationError)
    header = loads_strict(header_bytes, what="JWS header", error=VerificationError)
    checked = _check_header(header, typ)
    payload_bytes = b64url_decode(payload_b64, what="JWS payload", error=VerificationError)
    signature = b64url_decode(signature_b64, what="JWS signature", error=VerificationError)
    if len(signature) != 64:
        raise VerificationError("JWS signature: an Ed25519 signature is 64 bytes")
    return CompactJWS(checked, payload_bytes, signature)

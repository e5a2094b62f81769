"""Strict base64url (RFC 4648 §5) without padding, as JOSE uses it (RFC 7515 §2).

Decoding is strict on purpose: no ``=`` padding, no whitespace, only the URL-safe alphabet, and
the text must be the unique encoding of its bytes (non-zero trailing bits are refused), so one
byte string has exactly one accepted text form. Errors name what was being decoded, never the
value.
"""

from __future__ import annotations

import base64
import re

from gateway.errors import CryptoError, GatewayError

_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(
    text: str, *, what: str = "value", error: type[GatewayError] = CryptoError
) -> bytes:
    """Bytes of strict, unpadded base64url ``text``; ``error(what: reason)`` otherwise."""
    if not isinstance(text, str):
        raise error(f"{what}: expected a base64url string")
    if not _ALPHABET.fullmatch(text):
        raise error(f"{what}: not unpadded base64url (characters outside A-Z a-z 0-9 - _)")
    if len(text) % 4 == 1:
        raise error(f"{what}: not valid base64url (impossible length)")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise error(f"{what}: not the canonical base64url encoding (non-zero trailing bits)")
    return data


def int_to_b64url(value: int, length: int | None = None) -> str:
    """Big-endian base64url of a non-negative integer: minimal bytes, or exactly ``length``."""
    if value < 0:
        raise CryptoError("cannot encode a negative integer")
    size = max(1, (value.bit_length() + 7) // 8) if length is None else length
    try:
        return b64url_encode(value.to_bytes(size, "big"))
    except OverflowError as exc:
        raise CryptoError(f"integer does not fit in {size} bytes") from exc


def b64url_to_int(
    text: str,
    *,
    what: str = "value",
    error: type[GatewayError] = CryptoError,
    minimal: bool = True,
) -> int:
    """Integer of big-endian base64url ``text``; with ``minimal``, a leading zero byte is refused
    (one integer, one encoding: fingerprints are taken over this text)."""
    data = b64url_decode(text, what=what, error=error)
    if not data:
        raise error(f"{what}: empty")
    if minimal and len(data) > 1 and data[0] == 0:
        raise error(f"{what}: leading zero byte (not the minimal big-endian encoding)")
    return int.from_bytes(data, "big")

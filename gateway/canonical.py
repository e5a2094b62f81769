"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for everything that is hashed or signed.

Only JSON types go in: strings, integers, booleans, null, lists and objects with string keys.
Floats are refused outright (money is never a float; RFC 8785's number serialisation is only
exact for integers up to 2**53, so larger integers are refused as well and travel as strings).
Strings (and object keys) must be valid Unicode: a lone surrogate, which JSON's ``\\uD800``
escape can produce, has no UTF-8 form and is refused. Every refusal is a
:class:`CanonicalJSONError`, never a bare ``ValueError``. See docs/adr/0002-canonical-json.md.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from gateway.errors import GatewayError

_MAX_SAFE_INT = 2**53 - 1


class CanonicalJSONError(GatewayError):
    """A value cannot be put into canonical JSON."""


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError(f"{path}: a string holds a lone surrogate (not Unicode)") from exc


def _check(value: Any, path: str, depth: int) -> None:
    if depth > 32:
        raise CanonicalJSONError(f"{path}: nested too deeply")
    if isinstance(value, str):
        _check_text(value, path)
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise CanonicalJSONError(f"{path}: integer beyond 2**53; send it as a string")
        return
    if isinstance(value, float):
        raise CanonicalJSONError(f"{path}: floats are not allowed")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: object keys must be strings")
            _check_text(key, path)
            _check(item, f"{path}.{key}", depth + 1)
        return
    raise CanonicalJSONError(f"{path}: {type(value).__name__} is not a JSON type")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    _check(value, "$", 0)
    try:
        return bytes(rfc8785.dumps(value))
    except ValueError as exc:  # defensive: anything _check let through that RFC 8785 cannot say
        raise CanonicalJSONError(f"$: cannot be canonicalised ({type(exc).__name__})") from exc


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()

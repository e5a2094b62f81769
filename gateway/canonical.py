"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for everything that is hashed or signed.

Only JSON types go in: strings, integers, booleans, null, lists and objects with string keys.
Floats are refused outright (money is never a float; RFC 8785's number serialisation is only
exact for integers up to 2**53, so larger integers are refused as well and travel as strings).
Strings (and object keys) must be valid Unicode: a lone surrogate, which JSON's ``\\uD800``
escape can produce, has no UTF-8 form and is refused. Every refusal is a
:class:`CanonicalJSONError`, never a bare ``ValueError``. See docs/adr/0002-canonical-json.md.

Two paths give the same bytes. The reference path is a recursive check followed by the
``rfc8785`` package. The fast path serves values built only from the exact built-in types
``str``, ``int``, ``bool``, ``None``, ``list``, ``tuple`` and ``dict`` (no subclasses): one
iterative scan checks types, integer range, string keys and depth, then the standard library's
C encoder writes the text. Without floats, RFC 8785 and ``json.dumps(ensure_ascii=False,
sort_keys=True, separators=(",", ":"))`` agree byte for byte (same minimal escapes, with
lower-case ``\\u00xx`` for the other control characters; DEL, U+2028 and U+2029 raw) except
for key order: RFC 8785 orders keys by UTF-16 code units, Python by code points, and the two
differ only between a character at or above U+10000 and one in U+E000..U+FFFF. When the text
holds both kinds, the fast path re-orders every object by UTF-16 before encoding. Lone
surrogates pass the encoder but not the final strict UTF-8 encoding. Whatever the fast path does
not accept, or fails on, goes through the reference path, which produces the refusal (with its
``$.key[3]`` path) or the bytes, so refusals and their messages are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

from gateway.errors import GatewayError

_MAX_SAFE_INT = 2**53 - 1
_MAX_DEPTH = 32

_CONTAINERS = frozenset({dict, list, tuple})
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HIGH_BMP = re.compile("[\ue000-\uffff]")
_SORTED_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    allow_nan=False, check_circular=False,
)
_ORDERED_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=False, separators=(",", ":"),
    allow_nan=False, check_circular=False,
)


class CanonicalJSONError(GatewayError):
    """A value cannot be put into canonical JSON."""


# --- reference path: the checks and the rfc8785 package ------------------------------------


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError(f"{path}: a string holds a lone surrogate (not Unicode)") from exc


def _check(value: Any, path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
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


def _reference(value: Any) -> bytes:
    """Canonical bytes by the reference path (the oracle the fast path must equal)."""
    _check(value, "$", 0)
    try:
        return bytes(rfc8785.dumps(value))
    except ValueError as exc:  # defensive: anything _check let through that RFC 8785 cannot say
        raise CanonicalJSONError(f"$: cannot be canonicalised ({type(exc).__name__})") from exc


# --- fast path ------------------------------------------------------------------------------


def _plain(value: Any) -> bool:
    """Whether ``value`` is built only from exact JSON types, within the integer and depth limits.

    One pass with an explicit stack, no paths: ``False`` sends the value to the reference path,
    which finds and names the problem. Strings are not checked here (see ``_fast``).
    """
    todo: list[tuple[Any, int]] = [([value], -1)]
    pop, push = todo.pop, todo.append
    low, high = -_MAX_SAFE_INT, _MAX_SAFE_INT
    while todo:
        node, depth = pop()
        if type(node) is dict:
            for key in node:
                if type(key) is not str:
                    return False
            members = node.values()
        else:
            members = node
        if depth >= _MAX_DEPTH and node:
            return False
        inner = depth + 1
        for item in members:
            kind = type(item)
            if kind is str:
                continue
            if kind is int:
                if low <= item <= high:
                    continue
                return False
            if kind is bool or item is None:
                continue
            if kind in _CONTAINERS:
                push((item, inner))
                continue
            return False
    return True


def _utf16_ordered(value: Any) -> Any:
    """A copy of a plain value whose objects list their members in RFC 8785 (UTF-16) order."""
    kind = type(value)
    if kind is dict:
        return {
            key: _utf16_ordered(value[key])
            for key in sorted(value, key=lambda key: key.encode("utf-16-be"))
        }
    if kind is list or kind is tuple:
        return [_utf16_ordered(item) for item in value]
    return value


def _fast(value: Any) -> bytes | None:
    """Canonical bytes of a plain value, or ``None`` to leave it to the reference path."""
    if not _plain(value):
        return None
    text = _SORTED_ENCODER.encode(value)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, in a key or a value
        return None
    if not text.isascii() and _ASTRAL.search(text) and _HIGH_BMP.search(text):
        data = _ORDERED_ENCODER.encode(_utf16_ordered(value)).encode("utf-8")
    return data


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    data = _fast(value)
    return _reference(value) if data is None else data


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()

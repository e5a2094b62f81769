"""Strict parsing of a pushed body: one meaning per document, bounded in every direction.

On top of :func:`gateway.crypto.strict_json.loads_strict` (no duplicate keys, no floats, no
``NaN``/``Infinity``, no overlong integer literals, UTF-8 without a byte-order mark) a body may
nest at most :data:`MAX_DEPTH` containers deep and hold integers only within +-:data:`MAX_INT`
(the range every JSON parser reads exactly). The size bound is enforced earlier, while the body
is read. Errors name the reason, never the content.
"""

from __future__ import annotations

from typing import Any

from gateway.crypto.strict_json import loads_strict
from gateway.errors import GatewayError

MAX_DEPTH = 8
MAX_INT = 2**53 - 1


class BodyError(GatewayError):
    """A pushed body that is not strict, bounded JSON."""


def _check(value: Any, depth: int) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise BodyError(f"request body: integer beyond +-{MAX_INT} is not allowed")
        return
    if depth >= MAX_DEPTH:
        raise BodyError(f"request body: nested deeper than {MAX_DEPTH} levels")
    children = value.values() if isinstance(value, dict) else value
    for child in children:
        _check(child, depth + 1)


def parse_body(raw: bytes) -> Any:
    """Parse ``raw`` strictly (see the module docstring) or raise :class:`BodyError`."""
    try:
        value = loads_strict(raw, what="request body", error=BodyError)
    except ValueError as exc:  # defensive: a conversion error the strict parser did not wrap
        raise BodyError("request body: not valid JSON") from exc
    _check(value, 0)
    return value

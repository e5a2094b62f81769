"""Strict parsing of a pushed body: one meaning per document, bounded in every direction.

On top of :func:`gateway.crypto.strict_json.loads_strict` (no duplicate keys, no floats, no
``NaN``/``Infinity``, no overlong integer literals, UTF-8 without a byte-order mark) a body may
nest at most :data:`MAX_DEPTH` containers deep and hold integers only within +-:data:`MAX_INT`
(the range every JSON parser reads exactly). The size bound is enforced earlier, while the body
is read. Errors name the reason, never the content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.crypto.strict_json import loads_strict
from gateway.errors import GatewayError

MAX_DEPTH = 8
MAX_INT = 2**53 - 1


class BodyError(GatewayError):
    """A pushed body that is not strict, bounded JSON."""


def _check_int(value: int) -> None:
    if abs(value) > MAX_INT:
        raise BodyError(f"request body: integer beyond +-{MAX_INT} is not allowed")


def _check(container: dict[str, Any] | list[Any], depth: int) -> None:
    """Check ``container`` (at ``depth``) and everything in it, in document order. The parser
    gives exact ``dict``/``list``/``str``/``int``/``bool``/``None`` (floats are refused), so
    leaves are told apart by exact type in one loop: a push holds tens of thousands of them."""
    if depth >= MAX_DEPTH:
        raise BodyError(f"request body: nested deeper than {MAX_DEPTH} levels")
    children: Iterable[Any] = container.values() if type(container) is dict else container
    for child in children:
        kind = type(child)
        if kind is str or child is None or kind is bool:
            continue
        if kind is int:
            _check_int(child)
        elif kind is dict or kind is list:
            _check(child, depth + 1)
        else:  # defensive: nothing else comes out of the strict parser
            raise BodyError("request body: unexpected value")


def parse_body(raw: bytes) -> Any:
    """Parse ``raw`` strictly (see the module docstring) or raise :class:`BodyError`."""
    try:
        value = loads_strict(raw, what="request body", error=BodyError)
    except ValueError as exc:  # defensive: a conversion error the strict parser did not wrap
        raise BodyError("request body: not valid JSON") from exc
    if isinstance(value, dict | list):
        _check(value, 0)
    elif isinstance(value, int) and not isinstance(value, bool):
        _check_int(value)
    return value

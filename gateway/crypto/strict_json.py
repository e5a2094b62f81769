"""Strict JSON parsing for signed and key material: one meaning per document.

Duplicate object keys are refused (different parsers keep different duplicates, which lets one
document say two things), as are floats, ``NaN``/``Infinity``, integers longer than
:data:`MAX_INT_DIGITS` digits, a byte-order mark and invalid UTF-8. Errors name what was parsed
and why, never the content. Nothing but ``error`` escapes, whatever the input.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from gateway.errors import GatewayError

#: Longest integer literal accepted (no field of any document comes near; Python's own
#: int-conversion limit would otherwise surface as a bare ``ValueError``).
MAX_INT_DIGITS = 64


class _Refused(ValueError):
    """Internal: a construct strict JSON does not accept."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused("duplicate object key")
        out[key] = value
    return out


def _no_float(_text: str) -> NoReturn:
    raise _Refused("floating-point number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"integer longer than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(_text: str) -> NoReturn:
    raise _Refused("NaN or Infinity")


def loads_strict(data: bytes, *, what: str, error: type[GatewayError]) -> Any:
    """Parse UTF-8 JSON ``data`` strictly; ``error(f"{what}: reason")`` on any problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise error(f"{what}: starts with a byte-order mark")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what}: not UTF-8") from exc
    try:
        return json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_no_float,
            parse_int=_bounded_int,
            parse_constant=_no_constant,
        )
    except _Refused as exc:
        raise error(f"{what}: {exc} is not allowed") from exc
    except RecursionError as exc:
        raise error(f"{what}: nested too deeply") from exc
    except json.JSONDecodeError as exc:
        # The position is safe to show; the message text is json's fixed wording.
        raise error(f"{what}: not valid JSON ({exc.msg} at offset {exc.pos})") from exc
    except ValueError as exc:  # defensive: any other conversion failure inside the parser
        raise error(f"{what}: not valid JSON") from exc

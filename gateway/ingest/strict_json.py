"""Strict JSON text parsing shared by JSON sources and JSON-in-a-column line items.

Duplicate keys, ``NaN`` and ``Infinity`` are refused (RFC 8259 leaves duplicates undefined and
has no non-finite numbers; two parsers must never read one record differently). Numbers with a
fraction or exponent become :class:`~decimal.Decimal`, never float.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from gateway.ingest.parse import FieldValueError


class DuplicateKeyError(FieldValueError):
    """An object repeats a key; ``key`` is kept so callers can decide whether to show it."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__("duplicate key")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


def _constant(_name: str) -> Any:
    raise FieldValueError("NaN and Infinity are not allowed")


def loads_strict(text: str) -> Any:
    """Parse ``text``; :class:`FieldValueError` (value-free reason) on anything not strict JSON."""
    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=Decimal
        )
    except FieldValueError:
        raise
    except json.JSONDecodeError as exc:
        raise FieldValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except RecursionError as exc:
        raise FieldValueError("not valid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise FieldValueError("not valid JSON: number out of range") from exc


def plain_number(value: int | Decimal) -> str:
    """A JSON number as plain decimal text (``1E+3`` becomes ``1000``), for the text parsers."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldValueError("not a finite number")
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or abs(exponent) > 64 or abs(value.adjusted()) > 40:
            raise FieldValueError("number out of range")
        return format(value, "f")
    return str(value)

"""Invoice lines from an export: a JSON array in one column, or one line spread over columns.

A JSON line item is an object with the keys ``description`` (text), ``quantity`` and
``unit_price`` (JSON numbers, or strings written with ``.`` as the decimal separator). Any other
key is refused rather than dropped, so a misspelt ``unit_prcie`` is reported, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from gateway.ingest.mapping import DecimalFormat
from gateway.ingest.parse import FieldValueError, check_text, parse_decimal
from gateway.ingest.strict_json import loads_strict, plain_number

_PLAIN: Final = DecimalFormat()
_KEYS: Final = frozenset({"description", "quantity", "unit_price"})
_DESCRIPTION_MAX: Final = 1024


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One parsed invoice line (validated again by :class:`gateway.model.LineItem`)."""

    description: str | None
    quantity: Decimal
    unit_price: Decimal

    def as_dict(self) -> dict[str, Any]:
        """Keyword arguments for :class:`gateway.model.LineItem`."""
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
        }


def line_from_text(
    description: str | None, quantity: str, unit_price: str, fmt: DecimalFormat, max_chars: int
) -> ParsedLine:
    """One line from text columns; quantity must be > 0 and the unit price >= 0.

    Errors carry ``part`` (``description``, ``quantity`` or ``unit_price``)."""
    try:
        text = check_text(description, min(max_chars, _DESCRIPTION_MAX)) if description else None
    except FieldValueError as exc:
        raise FieldValueError(exc.reason, part="description") from exc
    qty = _number_part(quantity, fmt, "quantity", allow_zero=False)
    price = _number_part(unit_price, fmt, "unit_price", allow_zero=True)
    return ParsedLine(text or None, qty, price)


def _number_part(text: str, fmt: DecimalFormat, part: str, *, allow_zero: bool) -> Decimal:
    try:
        value = parse_decimal(text, fmt)
    except FieldValueError as exc:
        raise FieldValueError(exc.reason, part=part) from exc
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise FieldValueError(f"must be {bound}", part=part)
    return value


def _number(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:
        raise FieldValueError("missing", part=key)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        try:
            return plain_number(value)
        except FieldValueError as exc:
            raise FieldValueError(exc.reason, part=key) from exc
    raise FieldValueError("not a number", part=key)


def _one(item: Any, max_chars: int) -> ParsedLine:
    if not isinstance(item, dict):
        raise FieldValueError("not a JSON object")
    if not set(item) <= _KEYS:
        raise FieldValueError("unknown key (allowed: description, quantity, unit_price)")
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise FieldValueError("not a string", part="description")
    return line_from_text(
        description, _number(item, "quantity"), _number(item, "unit_price"), _PLAIN, max_chars
    )


def lines_from_json(text: str, *, max_items: int, max_chars: int) -> tuple[ParsedLine, ...]:
    """Parse a JSON array of line items; errors say which item (1-based) and why."""
    data = loads_strict(text)
    if not isinstance(data, list):
        raise FieldValueError("not a JSON array of line items")
    if len(data) > max_items:
        raise FieldValueError(f"more than {max_items} line items")
    lines = []
    for index, item in enumerate(data, 1):
        try:
            lines.append(_one(item, max_chars))
        except FieldValueError as exc:
            where = f"item {index}: {exc.part}" if exc.part else f"item {index}"
            raise FieldValueError(f"{where}: {exc.reason}") from exc
    return tuple(lines)

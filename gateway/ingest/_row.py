"""The row being normalised: mapped value lookup and value-free error reporting."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final, NoReturn

from gateway.errors import RecordError
from gateway.ingest.mapping import ColumnMapping
from gateway.ingest.parse import (
    FieldValueError,
    check_text,
    lossy_reason,
    parse_date,
    parse_decimal,
)
from gateway.limits import Limits
from gateway.model import minor_units, to_minor

_TEXT_MAX: Final = 256
_LONG_TEXT_MAX: Final = 1024
_LONG_TEXT: Final = frozenset({"buyer.address", "description"})


def text_limit(name: str, max_field_chars: int) -> int:
    """The longest text :meth:`RowReader.text` accepts for field ``name``."""
    return min(_LONG_TEXT_MAX if name in _LONG_TEXT else _TEXT_MAX, max_field_chars)


def hide_values(message: str, raw: Mapping[str, str | None]) -> str:
    """``message``, or ``"invalid value"`` if it quotes any (stripped, 2+ character) raw value."""
    values = (v.strip() for v in raw.values() if v is not None)
    return "invalid value" if any(len(v) >= 2 and v in message for v in values) else message


MAX_AMOUNT_DIGITS: Final = 24


def check_amount(amount: Decimal, currency: str, fail: Callable[[str, str], NoReturn]) -> Decimal:
    """The checks every money column gets: positive, bounded, no finer than the currency's
    minor unit. ``fail(field, reason)`` raises; the reason never holds the value."""
    if amount <= 0:
        fail("amount", "must be greater than zero")
    if len(amount.as_tuple().digits) > MAX_AMOUNT_DIGITS:
        fail("amount", f"more than {MAX_AMOUNT_DIGITS} digits")
    try:
        to_minor(amount, currency)
    except ValueError:
        fail("amount", f"more than {minor_units(currency)} decimal places for {currency}")
    return amount


def check_currency(value: str, fail: Callable[[str, str], NoReturn]) -> str:
    """``value`` upper-cased, which must be an active ISO 4217 code (else ``fail``)."""
    code = value.upper()
    try:
        minor_units(code)
    except KeyError:
        fail("currency", "not an active ISO 4217 currency code")
    return code


def refuse_lossy(
    names: Iterable[str],
    constants: Mapping[str, str],
    column_of: Callable[[str], str | None],
    raw: Mapping[str, str | None],
    fail: Callable[[str, str], NoReturn],
) -> None:
    """Fail on the first field (in ``names`` order) whose text, a mapping constant or the raw
    column ``column_of`` names, holds U+FFFD or a lone surrogate: not faithfully decoded."""
    for name in names:
        if name in constants:
            value: str | None = constants[name]
        else:
            column = column_of(name)
            value = None if column is None else raw.get(column)
        reason = None if value is None else lossy_reason(value)
        if reason is not None:
            fail(name, reason)


class RowReader:
    """One raw row being normalised: value lookup and value-free error reporting."""

    def __init__(
        self,
        raw: Mapping[str, str | None],
        mapping: ColumnMapping,
        source: str,
        row: int,
        limits: Limits,
    ) -> None:
        self.raw, self.mapping, self.source, self.row = raw, mapping, source, row
        self.limits = limits

    def label(self, name: str) -> str:
        column = self.mapping.fields.get(name)
        if column is not None:
            return f"{name} (column '{column}')"
        return f"{name} (constant)" if name in self.mapping.constants else name

    def fail(self, name: str, reason: str) -> NoReturn:
        raise RecordError(self.source, self.row, name, f"{self.label(name)}: {reason}")

    def get(self, name: str, *, max_chars: int | None = None) -> str | None:
        """The stripped, value-mapped text of ``name``, or None if absent or blank."""
        if name in self.mapping.constants:
            value: str | None = self.mapping.constants[name]
        else:
            column = self.mapping.fields.get(name)
            value = None if column is None else self.raw.get(column)
        if value is None:
            return None
        value = value.strip()
        if not value or value in self.mapping.null_values:
            return None
        value = self.mapping.value_maps.get(name, {}).get(value, value)
        if max_chars is None:
            max_chars = self.limits.max_field_chars
        try:
            return check_text(value, max_chars)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def need(self, name: str, **kwargs: Any) -> str:
        value = self.get(name, **kwargs)
        if value is None:
            self.fail(name, "missing")
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        max_chars = text_limit(name, self.limits.max_field_chars)
        if required:
            return self.need(name, max_chars=max_chars)
        return self.get(name, max_chars=max_chars)

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.need(name) if required else self.get(name)
        if value is None:
            return None
        try:
            return parse_date(value, self.mapping.date_format)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def decimal(self, name: str) -> Decimal:
        try:
            return parse_decimal(self.need(name), self.mapping.decimal)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def code(
        self, name: str, allowed: frozenset[str], reason: str, *, required: bool = False
    ) -> str | None:
        value = self.need(name) if required else self.get(name)
        if value is None:
            return None
        if value.upper() not in allowed:
            self.fail(name, reason)
        return value.upper()

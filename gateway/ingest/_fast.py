"""Shortcuts for clean rows: the normalisers try them first and take the full path otherwise.

Most rows of a real export are clean: faithfully decoded text free of control characters, ISO
dates, plain numbers. For those, the full path (a lookup and a text check per cell, a parser per
configured format, then pydantic checking again what was already checked) is most of the cost
of a sync. A fast path (``_erp_fast``, ``_customs_fast``) works from a plan compiled once per
mapping: column, value map and length limit per field, one parser per number and date format.
It vouches for a row only when every value passes the checks the full path makes, and then
builds the model from those values without validating them again (:func:`trusted`).

Anything else (a value it cannot parse, a check that fails, a shortcut that does not apply)
raises :class:`Fallback` and the full path runs on the row from scratch: every refusal, and
every reason naming a field, comes from the full path alone. The fast path is a cache, never a
second opinion; ``tests/unit/ingest/test_fast_path_equivalence.py`` checks that both agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final, NamedTuple, TypeVar, cast

from pydantic import BaseModel

from gateway.errors import RecordError
from gateway.ingest.mapping import DecimalFormat
from gateway.ingest.parse import (
    MAX_YEAR,
    MIN_YEAR,
    FieldValueError,
    find_suspect,
    lossy_reason,
    parse_date,
    parse_decimal,
)
from gateway.model import Incoterm, PaymentMethod, to_minor

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E")

#: Canonical codes of the enumerations a row names, for case-insensitive lookup.
PAYMENT_METHODS: Final = {m.value: m for m in PaymentMethod}
INCOTERMS: Final = {m.value: m for m in Incoterm}


def optional_code(table: Mapping[str, E], text: str | None) -> E | None:
    """The member ``text`` names in ``table`` (any case); None for no value, :class:`Fallback`
    for a code the table does not know (the full path then says why)."""
    if text is None:
        return None
    member = table.get(text.upper())
    if member is None:
        raise Fallback
    return member

#: Longest ``source_ref`` the record models take (their ``Text`` bound).
SOURCE_REF_MAX: Final = 256
_PLAIN_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNVOUCHED: Final = ""
_set = object.__setattr__


class Fallback(Exception):
    """The fast path cannot vouch for this row; the full path decides."""


def clean_cells(raw: Mapping[str, str | None]) -> bool:
    """True if no value of ``raw`` holds a character that ``check_text`` or ``lossy_reason``
    refuses (one scan per row; other columns the row may carry only make it stricter)."""
    values = raw.values()
    try:
        joined = "".join(cast("Iterable[str]", values))
    except TypeError:
        try:
            joined = "".join([value for value in values if value is not None])
        except TypeError:
            return False
    return find_suspect(joined) is None


class Cell(NamedTuple):
    """Where one field's text comes from, compiled from a mapping.

    ``column`` is the raw column read (None for a constant or an unmapped field), ``constant``
    the text the full path makes of a constant, ``values`` the value map with each output
    already checked (``""`` marks an output the fast path does not vouch for) and ``limit``
    the longest text the full path accepts for the field.
    """

    name: str
    column: str | None
    constant: str | None
    values: Mapping[str, str] | None
    limit: int


def _vouched(text: str, limit: int) -> str:
    """``check_text(text, limit)`` when it passes and is not blank, else ``_UNVOUCHED``."""
    stripped = text.strip()
    if not stripped or len(stripped) > limit or find_suspect(stripped) is not None:
        return _UNVOUCHED
    return stripped


def make_cells(
    limits: Mapping[str, int],
    columns: Mapping[str, str],
    constants: Mapping[str, str],
    value_maps: Mapping[str, Mapping[str, str]],
    full_get: Callable[[str, int], str | None],
) -> dict[str, Cell] | None:
    """A :class:`Cell` per field of ``limits`` (field → longest text), or None when a constant
    is refused (every row fails, and the full path says why). ``full_get(field, limit)`` is the
    full path's lookup, used once per constant."""
    cells: dict[str, Cell] = {}
    for name, limit in limits.items():
        if name in constants:
            if lossy_reason(constants[name]) is not None:
                return None
            try:
                constant = full_get(name, limit)
            except RecordError:
                return None
            cells[name] = Cell(name, None, constant, None, limit)
            continue
        value_map = value_maps.get(name)
        checked = {k: _vouched(v, limit) for k, v in value_map.items()} if value_map else None
        cells[name] = Cell(name, columns.get(name), None, checked, limit)
    return cells


def read_cells(
    raw: Mapping[str, str | None], cells: Iterable[Cell], nulls: frozenset[str]
) -> dict[str, str | None]:
    """Field → what the full path's ``get`` returns, for each of ``cells``, in a row that
    :func:`clean_cells` passed (so only lengths and value maps are left to check)."""
    texts: dict[str, str | None] = {}
    get = raw.get
    for name, column, constant, values, limit in cells:
        if column is None:
            texts[name] = constant
            continue
        value = get(column)
        if value is not None:
            value = value.strip()
            if not value or value in nulls:
                value = None
            elif values is not None and value in values:
                value = values[value]
                if not value:
                    raise Fallback
            elif len(value) > limit:
                raise Fallback
        texts[name] = value
    return texts


def need(value: str | None) -> str:
    """``value`` of a required field (None: the full path reports it missing)."""
    if value is None:
        raise Fallback
    return value


#: A parsed number, a bound on its digits (both as ``check_amount`` counts them and as
#: pydantic's ``max_digits`` does) and its decimal places.
Number = tuple[Decimal, int, int]


def counted(value: Decimal) -> Number:
    """``value`` with its digit bound and decimal places, from its digits and exponent."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # pragma: no cover - parse_decimal refuses NaN and inf
        raise Fallback
    count = len(digits)
    if exponent >= 0:
        return value, count + exponent, 0
    return value, max(count, -exponent), -exponent


def number_parser(fmt: DecimalFormat) -> Callable[[str], Number]:
    """``parse_decimal(text, fmt)`` with its digit counts, reading plain ``123.45`` directly.

    pydantic counts digits after dropping trailing zeros, ``check_amount`` before: the bound
    here is at least both, so a number within it passes both (one above may still pass them;
    the full path decides)."""
    plain = fmt.decimal_separator == "."

    def parse(text: str) -> Number:
        if plain and _PLAIN_NUMBER.fullmatch(text):
            dot = text.find(".")
            return Decimal(text), len(text), 0 if dot < 0 else len(text) - dot - 1
        try:
            return counted(parse_decimal(text, fmt))
        except FieldValueError:
            raise Fallback from None

    return parse


def date_parser(formats: tuple[str, ...]) -> Callable[[str], date]:
    """``parse_date(text, formats)``, reading ``YYYY-MM-DD`` directly when that is the first
    format (the full path would match it first too)."""
    iso_first = formats[0] == "%Y-%m-%d"

    def parse(text: str) -> date:
        if iso_first and _ISO_DATE.fullmatch(text):
            try:
                parsed = date.fromisoformat(text)
            except ValueError:
                parsed = None
            if parsed is not None and MIN_YEAR <= parsed.year <= MAX_YEAR:
                return parsed
        try:
            return parse_date(text, formats)
        except FieldValueError:
            raise Fallback from None

    return parse


def amount_ok(number: Number, currency: str, minor: int, max_digits: int) -> bool:
    """True if ``check_amount`` passes (positive, at most ``max_digits`` digits, no finer than
    the currency) and so do the models' own amount constraints."""
    amount, digits, decimals = number
    if not amount > 0 or digits > max_digits:
        return False
    if decimals <= minor:
        return True
    try:
        to_minor(amount, currency)
    except ValueError:
        return False
    return True


def hs_digits(text: str) -> str:
    """An HS code without its dots, spaces and dashes: 4 to 12 ASCII digits, else Fallback."""
    digits = text.replace(".", "").replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit() and 4 <= len(digits) <= 12):
        raise Fallback
    return digits


class SourceRefs:
    """``source:row`` texts, for sources whose name the models take as it is."""

    def __init__(self) -> None:
        self._clean: dict[str, bool] = {}

    def ref(self, source: str, row: int) -> str:
        clean = self._clean.get(source)
        if clean is None:
            clean = find_suspect(source) is None and source == source.lstrip()
            if len(self._clean) < 64:
                self._clean[source] = clean
        ref = f"{source}:{row}"
        if not clean or len(ref) > SOURCE_REF_MAX:
            raise Fallback
        return ref


def constructible(cls: type[BaseModel], names: tuple[str, ...]) -> bool:
    """True if :func:`trusted` builds ``cls`` as ``model_validate`` would: its fields are
    ``names`` in that order, and it has no extra fields, private attributes or post-init."""
    return (
        tuple(cls.model_fields) == names
        and cls.model_config.get("extra") == "forbid"
        and not cls.__private_attributes__
        and cls.__pydantic_post_init__ is None
        and not cls.__pydantic_root_model__
    )


def trusted(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """An instance of ``cls`` holding ``values`` (every field, in field order) as they are,
    as ``model_construct`` does without its per-field bookkeeping. Only for values that
    passed every check the model makes; see :func:`constructible`."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model

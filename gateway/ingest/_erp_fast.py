"""The fast path of :func:`gateway.ingest.normalise` (see :mod:`gateway.ingest._fast`).

:class:`ErpPlan` is a :class:`~gateway.ingest.ColumnMapping` compiled once with its limits.
:meth:`ErpPlan.record` reads a row the way the full path does and returns the same
:class:`~gateway.model.ExportRecord`, or raises :class:`~gateway.ingest._fast.Fallback`. A
field the full path reads only in some rows (a line's description, only when the line has a
quantity) is read here under the same condition, so a row never fails here on a value the full
path would not look at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from gateway.ingest._fast import (
    INCOTERMS,
    PAYMENT_METHODS,
    Cell,
    Fallback,
    Number,
    SourceRefs,
    amount_ok,
    clean_cells,
    constructible,
    counted,
    date_parser,
    hs_digits,
    make_cells,
    need,
    number_parser,
    optional_code,
    read_cells,
    trusted,
)
from gateway.ingest._row import MAX_AMOUNT_DIGITS, RowReader, text_limit
from gateway.ingest.line_items import lines_from_json
from gateway.ingest.mapping import CANONICAL_FIELDS, ColumnMapping
from gateway.ingest.parse import FieldValueError
from gateway.limits import Limits
from gateway.model import MINOR_UNITS, Buyer, ExportRecord, LineItem
from gateway.model.country import is_country

_RECORD: Final = (
    "source_ref",
    "invoice_number",
    "invoice_date",
    "shipment_date",
    "declaration_number",
    "buyer",
    "currency",
    "amount",
    "payment_method",
    "due_date",
    "tenor_days",
    "incoterms",
    "hs_code",
    "description",
    "line_items",
    "origin",
)
_BUYER: Final = ("name", "country", "registration_id", "insurer_code", "address")
_LINE: Final = ("description", "quantity", "unit_price")
#: What ``model_validate`` records as set: every field the full path passes (not ``origin``).
_RECORD_SET: Final = frozenset(_RECORD[:-1])
_BUYER_SET: Final = frozenset(_BUYER)
_LINE_SET: Final = frozenset(_LINE)
_ORIGIN: Final = ExportRecord.model_fields["origin"].default
_ENABLED: Final = (
    constructible(ExportRecord, _RECORD)
    and constructible(Buyer, _BUYER)
    and constructible(LineItem, _LINE)
)
_MAX_TENOR: Final = 3650
_MAX_LINES: Final = 1000  # LineItem tuple bound of ExportRecord
_QUANTITY_DIGITS: Final = 20
_PRICE_DIGITS: Final = 24
_LINE_DESCRIPTION_MAX: Final = 1024
#: Read only when a line has a quantity, as the full path does.
_LINE_PARTS: Final = ("line_item.description", "line_item.unit_price")

#: Fields the full path reads with ``RowReader.text`` (bounded by ``text_limit``).
_TEXTS: Final = frozenset(
    {
        "invoice_number",
        "declaration_number",
        "buyer.name",
        "buyer.registration_id",
        "buyer.insurer_code",
        "buyer.address",
        "description",
    }
)

Raw = Mapping[str, str | None]


def _field_limits(limits: Limits) -> dict[str, int]:
    """Field → the longest text the full path accepts for it."""
    most = limits.max_field_chars
    sized = {name: text_limit(name, most) if name in _TEXTS else most for name in CANONICAL_FIELDS}
    sized["line_items"] = limits.max_row_bytes
    return sized


class ErpPlan:
    """One mapping and its limits, compiled for :meth:`record`."""

    def __init__(self, mapping: ColumnMapping, limits: Limits) -> None:
        self.mapping, self.limits = mapping, limits
        reader = RowReader({}, mapping, "", 0, limits)
        cells = None
        if _ENABLED:
            cells = make_cells(
                _field_limits(limits),
                mapping.fields,
                mapping.constants,
                mapping.value_maps,
                lambda name, limit: reader.get(name, max_chars=limit),
            )
        self.json_lines = "line_items" in mapping.fields or "line_items" in mapping.constants
        #: Cells every row reads; the rest are read only when the full path reads them.
        self.cells: tuple[Cell, ...] | None = None
        self.conditional: dict[str, Cell] = {}
        if cells is not None:
            later = _LINE_PARTS if not self.json_lines else ()
            self.cells = tuple(cell for name, cell in cells.items() if name not in later)
            self.conditional = {name: cells[name] for name in later}
        self.nulls = frozenset(mapping.null_values)
        self.number = number_parser(mapping.decimal)
        self.date = date_parser(mapping.date_format)
        self.refs = SourceRefs()
        self.line_description_max = min(limits.max_field_chars, _LINE_DESCRIPTION_MAX)

    def record(self, raw: Raw, source: str, row: int) -> ExportRecord:
        """The record the full path makes of ``raw``, or :class:`Fallback`."""
        if self.cells is None or not clean_cells(raw):
            raise Fallback
        text = read_cells(raw, self.cells, self.nulls)
        read_date = self.date
        shipment_date = read_date(need(text["shipment_date"]))
        currency = need(text["currency"]).upper()
        minor = MINOR_UNITS.get(currency)
        amount = self.number(need(text["amount"]))
        if minor is None or not amount_ok(amount, currency, minor, MAX_AMOUNT_DIGITS):
            raise Fallback
        payment_method = PAYMENT_METHODS.get(need(text["payment_method"]).upper())
        due = text["due_date"]
        due_date = None if due is None else read_date(due)
        tenor_days = _tenor(text["tenor_days"])
        if payment_method is None or (due_date is None and tenor_days is None):
            raise Fallback
        if due_date is not None and due_date < shipment_date:
            raise Fallback
        values = {
            "source_ref": self.refs.ref(source, row),
            "invoice_number": need(text["invoice_number"]),
            "invoice_date": read_date(need(text["invoice_date"])),
            "shipment_date": shipment_date,
            "declaration_number": text["declaration_number"],
            "buyer": _buyer(text),
            "currency": currency,
            "amount": amount[0],
            "payment_method": payment_method,
            "due_date": due_date,
            "tenor_days": tenor_days,
            "incoterms": optional_code(INCOTERMS, text["incoterms"]),
            "hs_code": hs_digits(need(text["hs_code"])),
            "description": text["description"],
            "line_items": self._lines(raw, text),
            "origin": _ORIGIN,
        }
        return trusted(ExportRecord, values, set(_RECORD_SET))

    def _lines(self, raw: Raw, text: dict[str, str | None]) -> tuple[LineItem, ...]:
        if self.json_lines:
            items = text["line_items"]
            return () if items is None else self._json_lines(items)
        quantity = text["line_item.quantity"]
        if quantity is None:
            return ()
        later = read_cells(raw, self.conditional.values(), self.nulls)
        description, price = later["line_item.description"], need(later["line_item.unit_price"])
        if description is not None and len(description) > self.line_description_max:
            raise Fallback
        return (_line(description, self.number(quantity), self.number(price)),)

    def _json_lines(self, text: str) -> tuple[LineItem, ...]:
        limits = self.limits
        try:
            parsed = lines_from_json(
                text, max_items=limits.max_line_items, max_chars=limits.max_field_chars
            )
        except FieldValueError:
            raise Fallback from None
        if len(parsed) > _MAX_LINES:
            raise Fallback
        return tuple(
            _line(p.description, counted(p.quantity), counted(p.unit_price)) for p in parsed
        )


def _buyer(text: dict[str, str | None]) -> Buyer:
    country = need(text["buyer.country"]).upper()
    if not is_country(country):
        raise Fallback
    values = {
        "name": need(text["buyer.name"]),
        "country": country,
        "registration_id": text["buyer.registration_id"],
        "insurer_code": text["buyer.insurer_code"],
        "address": text["buyer.address"],
    }
    return trusted(Buyer, values, set(_BUYER_SET))


def _tenor(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise Fallback
    days = int(text)
    if days > _MAX_TENOR:
        raise Fallback
    return days



def _line(description: str | None, quantity: Number, price: Number) -> LineItem:
    """A line whose description passed the full path's text checks."""
    if not quantity[0] > 0 or price[0] < 0:
        raise Fallback
    if quantity[1] > _QUANTITY_DIGITS or price[1] > _PRICE_DIGITS:
        raise Fallback
    values = {"description": description or None, "quantity": quantity[0], "unit_price": price[0]}
    return trusted(LineItem, values, set(_LINE_SET))

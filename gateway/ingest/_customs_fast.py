"""The fast path of :func:`gateway.ingest.customs.normalise_declaration` (see
:mod:`gateway.ingest._fast`).

:class:`CustomsPlan` is a :class:`~gateway.ingest.customs_mapping.CustomsMapping` compiled once
with the columns one file uses and the limits. :meth:`CustomsPlan.declaration` returns the
:class:`~gateway.model.ExportDeclaration` the full path makes of a row, or raises
:class:`~gateway.ingest._fast.Fallback`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from gateway.ingest._customs_row import DeclarationRow
from gateway.ingest._fast import (
    PAYMENT_METHODS,
    Fallback,
    Number,
    SourceRefs,
    amount_ok,
    clean_cells,
    constructible,
    date_parser,
    hs_digits,
    make_cells,
    need,
    number_parser,
    optional_code,
    read_cells,
    trusted,
)
from gateway.ingest._row import MAX_AMOUNT_DIGITS
from gateway.ingest.customs_mapping import DECLARATION_FIELDS, CustomsMapping
from gateway.limits import Limits
from gateway.model import MINOR_UNITS, ExportDeclaration
from gateway.model.country import is_country
from gateway.model.declaration import normalise_declaration_number

#: The model's fields: where the row came from, then every field a mapping can fill.
_DECLARATION_FIELDS: Final = ("source_ref", *DECLARATION_FIELDS)
_FIELDS_SET: Final = frozenset(_DECLARATION_FIELDS)
_ENABLED: Final = constructible(ExportDeclaration, _DECLARATION_FIELDS)
#: Fields the full path reads with ``DeclarationRow.text`` (at most 256 characters).
_TEXTS: Final = frozenset(
    {"exporter_id", "buyer_name", "buyer_code", "invoice_number", "bl_number"}
)
_TEXT_MAX: Final = 256
_DECLARATION: Final = re.compile(r"[0-9A-Z]{10,20}")
_SHIPPED: Final = {"Y": True, "N": False}
_FOB_DIGITS: Final = 20


def _field_limits(limits: Limits) -> dict[str, int]:
    most = limits.max_field_chars
    short = min(_TEXT_MAX, most)
    return {name: short if name in _TEXTS else most for name in DECLARATION_FIELDS}


class CustomsPlan:
    """One mapping, the columns of one file and the limits, compiled for :meth:`declaration`."""

    def __init__(self, mapping: CustomsMapping, columns: Mapping[str, str], limits: Limits):
        self.mapping, self.columns, self.limits = mapping, dict(columns), limits
        reader = DeclarationRow({}, mapping, self.columns, source="", row=0, limits=limits)
        cells = None
        if _ENABLED:
            cells = make_cells(
                _field_limits(limits),
                self.columns,
                mapping.constants,
                mapping.value_maps,
                lambda name, limit: reader.get(name, max_chars=limit),
            )
        self.cells = None if cells is None else tuple(cells.values())
        self.nulls = frozenset(mapping.null_values)
        self.number = number_parser(mapping.decimal)
        self.date = date_parser(mapping.date_format)
        self.refs = SourceRefs()

    def serves(
        self, mapping: CustomsMapping, columns: Mapping[str, str], limits: Limits
    ) -> bool:
        """True if this plan was compiled for these (same objects, equal columns)."""
        return mapping is self.mapping and limits is self.limits and columns == self.columns

    def declaration(
        self, raw: Mapping[str, str | None], source: str, row: int
    ) -> ExportDeclaration:
        """The declaration the full path makes of ``raw``, or :class:`Fallback`."""
        if self.cells is None or not clean_cells(raw):
            raise Fallback
        text = read_cells(raw, self.cells, self.nulls)
        read_date = self.date
        acceptance_date = read_date(need(text["acceptance_date"]))
        loading = text["loading_date"]
        loading_date = None if loading is None else read_date(loading)
        shipped = _SHIPPED.get(need(text["shipped"]).upper())
        if shipped is None or (loading_date is not None and not shipped):
            raise Fallback
        if loading_date is not None and loading_date < acceptance_date:
            raise Fallback
        currency = need(text["currency"]).upper()
        minor = MINOR_UNITS.get(currency)
        amount = self.number(need(text["amount"]))
        if minor is None or not amount_ok(amount, currency, minor, MAX_AMOUNT_DIGITS):
            raise Fallback
        values = {
            "source_ref": self.refs.ref(source, row),
            "declaration_number": _declaration_number(need(text["declaration_number"])),
            "acceptance_date": acceptance_date,
            "loading_date": loading_date,
            "shipped": shipped,
            "exporter_id": text["exporter_id"],
            "buyer_name": need(text["buyer_name"]),
            "buyer_code": text["buyer_code"],
            "destination_country": _country(need(text["destination_country"])),
            "hs_code": hs_digits(need(text["hs_code"])),
            "payment_method": optional_code(PAYMENT_METHODS, text["payment_method"]),
            "currency": currency,
            "amount": amount[0],
            "fob_krw": self._fob_krw(text["fob_krw"]),
            "invoice_number": text["invoice_number"],
            "bl_number": text["bl_number"],
        }
        return trusted(ExportDeclaration, values, set(_FIELDS_SET))

    def _fob_krw(self, text: str | None) -> int | None:
        if text is None:
            return None
        number: Number = self.number(text)
        value, digits, decimals = number
        if value < 0 or digits > _FOB_DIGITS:
            raise Fallback
        if decimals and value != value.to_integral_value():
            raise Fallback
        return int(value)


def _declaration_number(text: str) -> str:
    value = normalise_declaration_number(text)
    if not _DECLARATION.fullmatch(value):
        raise Fallback
    return value


def _country(text: str) -> str:
    code = text.upper()
    if not is_country(code):
        raise Fallback
    return code


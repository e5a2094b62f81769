"""Column mappings: how one ERP export's columns become canonical record fields.

A :class:`ColumnMapping` is plain data. Adapters load it from a TOML file
(``gateway.adapters.erp.mapping_file``); this module only validates it, so a mistake in a
mapping (an unknown canonical field, a value map for a field that does not exist) is a
:class:`~gateway.errors.ConfigError` at start-up, naming the mapping and the key, and never a
surprise on row 90 000.

Mappable canonical fields are the record fields of :class:`gateway.model.ExportRecord` with
dotted names for the buyer (``buyer.name``, ``buyer.country``...). Line items come either from
one column holding a JSON array (``line_items``) or, for exports with one line per invoice, from
the three single-line fields ``line_item.description``, ``line_item.quantity`` and
``line_item.unit_price``. ``source_ref`` is never mapped: the source sets it to ``file:row``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.errors import ConfigError

#: Canonical fields a mapping can fill, in the order the normaliser checks them.
CANONICAL_FIELDS: Final[tuple[str, ...]] = (
    "invoice_number",
    "invoice_date",
    "shipment_date",
    "declaration_number",
    "buyer.name",
    "buyer.country",
    "buyer.registration_id",
    "buyer.insurer_code",
    "buyer.address",
    "currency",
    "amount",
    "payment_method",
    "due_date",
    "tenor_days",
    "incoterms",
    "hs_code",
    "description",
    "line_items",
    "line_item.description",
    "line_item.quantity",
    "line_item.unit_price",
)

#: Fields every record needs (``due_date`` or ``tenor_days`` is needed as well).
REQUIRED_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "invoice_number",
        "invoice_date",
        "shipment_date",
        "buyer.name",
        "buyer.country",
        "currency",
        "amount",
        "payment_method",
        "hs_code",
    }
)

_NESTED_PREFIXES: Final = ("buyer", "line_item")
_SINGLE_LINE: Final = ("line_item.quantity", "line_item.unit_price")


def _flatten(value: Any) -> Any:
    """Turn TOML's ``buyer.name = ...`` (a nested table) into the dotted key ``buyer.name``."""
    if not isinstance(value, Mapping):
        return value
    flat: dict[Any, Any] = {}
    for key, item in value.items():
        if key in _NESTED_PREFIXES and isinstance(item, Mapping):
            for sub, sub_item in item.items():
                flat[f"{key}.{sub}"] = sub_item
        else:
            flat[key] = item
    return flat


def _flatten_value_maps(value: Any) -> Any:
    """Like :func:`_flatten`, but the leaves are themselves tables (source value → canonical)."""
    if not isinstance(value, Mapping):
        return value
    flat: dict[Any, Any] = {}
    for key, item in value.items():
        nested = isinstance(item, Mapping) and all(isinstance(v, Mapping) for v in item.values())
        if key in _NESTED_PREFIXES and nested and item:
            for sub, sub_item in item.items():
                flat[f"{key}.{sub}"] = sub_item
        else:
            flat[key] = item
    return flat


def _check_canonical(keys: Mapping[str, Any], what: str) -> None:
    for key in keys:
        if key not in CANONICAL_FIELDS:
            raise ValueError(f"{what} key '{key}' is not a canonical field")


class DecimalFormat(BaseModel):
    """How numbers are written in the export: ``1,234.56`` or SAP's ``1.234,56``."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal["", ",", ".", " ", "'", "\u00a0", "\u202f"] = ""
    currency_symbols: tuple[str, ...] = Field(default=(), max_length=32)

    @field_validator("currency_symbols")
    @classmethod
    def _symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in value:
            if not symbol.strip() or any(c.isdigit() or c in ".,+-()" for c in symbol):
                raise ValueError("currency symbols must be non-empty and free of digits and signs")
        return tuple(sorted(value, key=len, reverse=True))

    @model_validator(mode="after")
    def _distinct(self) -> DecimalFormat:
        if self.decimal_separator == self.thousands_separator:
            raise ValueError("decimal_separator and thousands_separator must differ")
        return self


class ColumnMapping(BaseModel):
    """How the columns of one export become canonical fields. See the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=64)
    fields: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    date_format: tuple[str, ...] = Field(default=("%Y-%m-%d",), min_length=1, max_length=16)
    decimal: DecimalFormat = Field(default_factory=DecimalFormat)
    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    required_columns: tuple[str, ...] = ()
    null_values: tuple[str, ...] = Field(default=(), max_length=32)

    @field_validator("fields", mode="before")
    @classmethod
    def _flatten_fields(cls, value: Any) -> Any:
        return _flatten(value)

    @field_validator("constants", mode="before")
    @classmethod
    def _flatten_constants(cls, value: Any) -> Any:
        flat = _flatten(value)
        if isinstance(flat, Mapping):
            return {
                k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in flat.items()
            }
        return flat

    @field_validator("value_maps", mode="before")
    @classmethod
    def _flatten_maps(cls, value: Any) -> Any:
        return _flatten_value_maps(value)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        _check_canonical(value, "fields")
        for key, column in value.items():
            if not column.strip():
                raise ValueError(f"fields key '{key}' names an empty column")
        return value

    @field_validator("constants")
    @classmethod
    def _constants(cls, value: dict[str, str]) -> dict[str, str]:
        _check_canonical(value, "constants")
        return value

    @field_validator("value_maps")
    @classmethod
    def _value_maps(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        _check_canonical(value, "value_maps")
        return value

    @field_validator("date_format")
    @classmethod
    def _date_formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        sample = date(2026, 12, 31)
        for fmt in value:
            has_year = "%Y" in fmt or "%y" in fmt
            if not (has_year and "%m" in fmt and "%d" in fmt):
                raise ValueError(f"date_format '{fmt}' needs a year, a month and a day")
            try:
                parsed = datetime.strptime(sample.strftime(fmt), fmt).date()
            except (ValueError, re.error):
                parsed = None
            if parsed != sample:
                raise ValueError(f"date_format '{fmt}' cannot read back the dates it describes")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> ColumnMapping:
        both = sorted(set(self.fields) & set(self.constants))
        if both:
            raise ValueError(f"'{both[0]}' is both in fields and in constants")
        given = set(self.fields) | set(self.constants)
        missing = sorted(REQUIRED_FIELDS - given)
        if missing:
            raise ValueError(f"required canonical field '{missing[0]}' is not mapped")
        if "due_date" not in given and "tenor_days" not in given:
            raise ValueError("map 'due_date' or 'tenor_days' (one of them is required)")
        single = given & {f for f in CANONICAL_FIELDS if f.startswith("line_item.")}
        if single and "line_items" in given:
            raise ValueError("map either 'line_items' or the 'line_item.*' fields, not both")
        if single and not set(_SINGLE_LINE) <= single:
            raise ValueError("'line_item.quantity' and 'line_item.unit_price' go together")
        return self

    def column(self, canonical: str) -> str | None:
        """The source column mapped to ``canonical``, if any."""
        return self.fields.get(canonical)

    def source_columns(self) -> frozenset[str]:
        """Every source column the mapping reads; all other columns are ignored."""
        return frozenset(self.fields.values())

    def header_columns(self) -> frozenset[str]:
        """Columns a file's header must contain: ``required_columns`` and every column mapped to
        a required canonical field. Other mapped columns may be absent (their values are empty)."""
        needed = {col for field, col in self.fields.items() if field in REQUIRED_FIELDS}
        return frozenset(needed | set(self.required_columns))


def load_mapping(data: Mapping[str, Any], *, origin: str) -> ColumnMapping:
    """Validate mapping ``data`` (parsed TOML); errors name ``origin`` (the file) and the key."""
    try:
        return ColumnMapping.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(part) for part in err["loc"]) or "<mapping>"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"mapping {origin}: {key}: {message}") from exc

"""Column mappings for customs export declaration downloads (수출신고 내역).

A :class:`CustomsMapping` says which column of a broker's or UNI-PASS download holds each
declaration field. A field may name several alternative columns (``loading_date = ["선적일자",
"출항일자"]``): downloads differ in wording, and the first alternative present in a file's header
is used. Like the ERP's :class:`~gateway.ingest.ColumnMapping` it is plain, validated data: a
mistake is a :class:`~gateway.errors.ConfigError` at start-up naming the mapping and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.errors import ConfigError
from gateway.ingest.mapping import DecimalFormat

#: Declaration fields a mapping can fill, in the order the normaliser checks them.
DECLARATION_FIELDS: Final[tuple[str, ...]] = (
    "declaration_number",
    "acceptance_date",
    "loading_date",
    "shipped",
    "exporter_id",
    "buyer_name",
    "buyer_code",
    "destination_country",
    "hs_code",
    "payment_method",
    "currency",
    "amount",
    "fob_krw",
    "invoice_number",
    "bl_number",
)

#: Fields every declaration needs.
DECLARATION_REQUIRED: Final[frozenset[str]] = frozenset(
    {
        "declaration_number",
        "acceptance_date",
        "shipped",
        "buyer_name",
        "destination_country",
        "hs_code",
        "currency",
        "amount",
    }
)

_MAX_ALTERNATIVES: Final = 8


def _check_keys(keys: Iterable[str], what: str) -> None:
    for key in keys:
        if key not in DECLARATION_FIELDS:
            raise ValueError(f"{what} key '{key}' is not a declaration field")


def _check_date_format(fmt: str) -> None:
    if not (("%Y" in fmt or "%y" in fmt) and "%m" in fmt and "%d" in fmt):
        raise ValueError(f"date_format '{fmt}' needs a year, a month and a day")
    sample = date(2026, 12, 31)
    try:
        parsed = datetime.strptime(sample.strftime(fmt), fmt).date()
    except (ValueError, re.error):
        parsed = None
    if parsed != sample:
        raise ValueError(f"date_format '{fmt}' cannot read back the dates it describes")


class CustomsMapping(BaseModel):
    """How the columns of one declaration download become declaration fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=64)
    fields: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    date_format: tuple[str, ...] = Field(default=("%Y-%m-%d",), min_length=1, max_length=16)
    decimal: DecimalFormat = Field(default_factory=DecimalFormat)
    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    null_values: tuple[str, ...] = Field(default=(), max_length=32)

    @field_validator("fields", mode="before")
    @classmethod
    def _alternatives(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        _check_keys(value, "fields")
        for key, columns in value.items():
            if not columns or len(columns) > _MAX_ALTERNATIVES:
                raise ValueError(f"fields key '{key}' needs 1 to {_MAX_ALTERNATIVES} columns")
            if any(not column.strip() for column in columns):
                raise ValueError(f"fields key '{key}' names an empty column")
        return value

    @field_validator("constants", "value_maps")
    @classmethod
    def _known(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_keys(value, "constants or value_maps")
        return value

    @field_validator("date_format")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in value:
            _check_date_format(fmt)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> CustomsMapping:
        both = sorted(set(self.fields) & set(self.constants))
        if both:
            raise ValueError(f"'{both[0]}' is both in fields and in constants")
        missing = sorted(DECLARATION_REQUIRED - set(self.fields) - set(self.constants))
        if missing:
            raise ValueError(f"required declaration field '{missing[0]}' is not mapped")
        return self

    def source_columns(self) -> frozenset[str]:
        """Every column the mapping may read; all other columns are ignored."""
        return frozenset(column for columns in self.fields.values() for column in columns)

    def resolve(self, header: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """Field → the first of its columns present in ``header``, and the required fields
        that have no column there (sorted)."""
        present = set(header)
        found: dict[str, str] = {}
        for field, columns in self.fields.items():
            column = next((c for c in columns if c in present), None)
            if column is not None:
                found[field] = column
        missing = sorted(f for f in DECLARATION_REQUIRED - set(self.constants) if f not in found)
        return found, missing

    def identity(self) -> dict[str, str]:
        """Field → its first column (for sources whose keys are the column names already)."""
        return {field: columns[0] for field, columns in self.fields.items()}


def load_customs_mapping(data: Mapping[str, Any], *, origin: str) -> CustomsMapping:
    """Validate mapping ``data`` (parsed TOML); errors name ``origin`` (the file) and the key."""
    try:
        return CustomsMapping.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(part) for part in err["loc"]) or "<mapping>"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"customs mapping {origin}: {key}: {message}") from exc


@cache
def json_mapping() -> CustomsMapping:
    """The mapping of JSON declarations: keys are the declaration field names, dates are ISO
    dates, numbers use ``.`` as the decimal separator and no grouping."""
    return CustomsMapping(
        name="json",
        fields={field: (field,) for field in DECLARATION_FIELDS},
        date_format=("%Y-%m-%d",),
    )

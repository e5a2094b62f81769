"""Column mappings for an ERP receivables (open items) export.

Like :class:`gateway.ingest.ColumnMapping`, but for :class:`~gateway.guard.Receivable` rows:
``[fields]`` maps the canonical fields below to source columns (``buyer.name`` and ``buyer.code``
may be written as a ``[fields.buyer]`` table). A mistake in the mapping is a
:class:`~gateway.errors.ConfigError` at start-up that names the mapping and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.errors import ConfigError
from gateway.ingest import DecimalFormat

#: Canonical receivable fields a mapping can fill, in the order rows are checked.
RECEIVABLE_FIELDS: Final[tuple[str, ...]] = (
    "invoice_number",
    "buyer.name",
    "buyer.code",
    "currency",
    "outstanding",
    "due_date",
    "paid_on",
)
REQUIRED_RECEIVABLE_FIELDS: Final = frozenset(
    {"invoice_number", "buyer.name", "currency", "outstanding", "due_date"}
)


def _flatten(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    flat: dict[Any, Any] = {}
    for key, item in value.items():
        if key == "buyer" and isinstance(item, Mapping):
            flat.update({f"buyer.{sub}": sub_item for sub, sub_item in item.items()})
        else:
            flat[key] = item
    return flat


class ReceivablesMapping(BaseModel):
    """How the columns of one receivables export become receivable fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="receivables", pattern="^receivables$")
    fields: dict[str, str]
    date_format: tuple[str, ...] = Field(default=("%Y-%m-%d",), min_length=1, max_length=16)
    decimal: DecimalFormat = Field(default_factory=DecimalFormat)
    null_values: tuple[str, ...] = Field(default=(), max_length=32)

    @field_validator("fields", mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        return _flatten(value)

    @field_validator("fields")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        for key, column in value.items():
            if key not in RECEIVABLE_FIELDS:
                raise ValueError(f"fields key '{key}' is not a receivable field")
            if not column.strip():
                raise ValueError(f"fields key '{key}' names an empty column")
        return value

    @field_validator("date_format")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in value:
            if not all(part in fmt for part in ("%Y", "%m", "%d")):
                raise ValueError(f"date_format '{fmt}' needs %Y, %m and %d")
        return value

    @model_validator(mode="after")
    def _required(self) -> ReceivablesMapping:
        missing = sorted(REQUIRED_RECEIVABLE_FIELDS - set(self.fields))
        if missing:
            raise ValueError(f"required receivable field '{missing[0]}' is not mapped")
        return self

    def source_columns(self) -> frozenset[str]:
        """Every column the mapping reads; other columns are ignored."""
        return frozenset(self.fields.values())

    def header_columns(self) -> frozenset[str]:
        """Columns a file's header must contain (those of the required fields)."""
        return frozenset(c for f, c in self.fields.items() if f in REQUIRED_RECEIVABLE_FIELDS)


def load_receivables_mapping(data: Mapping[str, Any], *, origin: str) -> ReceivablesMapping:
    """Validate mapping ``data`` (parsed TOML); errors name ``origin`` and the key."""
    try:
        return ReceivablesMapping.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(part) for part in err["loc"]) or "<mapping>"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"mapping {origin}: {key}: {message}") from exc

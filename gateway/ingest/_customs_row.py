"""One raw declaration row being normalised: value lookup and value-free error reporting.

The customs twin of :class:`gateway.ingest._row.RowReader`, over a :class:`CustomsMapping` whose
fields have already been resolved to the columns a file actually has.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Final, NoReturn

from gateway.errors import RecordError
from gateway.ingest.customs_mapping import CustomsMapping
from gateway.ingest.parse import FieldValueError, check_text, parse_date, parse_decimal
from gateway.limits import Limits

_TEXT_MAX: Final = 256


class DeclarationRow:
    """A raw row (column → text), the mapping, and where the row came from."""

    def __init__(
        self,
        raw: Mapping[str, str | None],
        mapping: CustomsMapping,
        columns: Mapping[str, str],
        *,
        source: str,
        row: int,
        limits: Limits,
    ) -> None:
        self.raw, self.mapping, self.columns = raw, mapping, columns
        self.source, self.row, self.limits = source, row, limits

    def label(self, name: str) -> str:
        """``field (column 'X')``: how a reason names a field, never its value."""
        column = self.columns.get(name)
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
            column = self.columns.get(name)
            value = None if column is None else self.raw.get(column)
        if value is None:
            return None
        value = value.strip()
        if not value or value in self.mapping.null_values:
            return None
        value = self.mapping.value_maps.get(name, {}).get(value, value)
        limit = self.limits.max_field_chars if max_chars is None else max_chars
        try:
            return check_text(value, limit)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def need(self, name: str, *, max_chars: int | None = None) -> str:
        value = self.get(name, max_chars=max_chars)
        if value is None:
            self.fail(name, "missing")
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        limit = min(_TEXT_MAX, self.limits.max_field_chars)
        return self.need(name, max_chars=limit) if required else self.get(name, max_chars=limit)

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.need(name) if required else self.get(name)
        if value is None:
            return None
        try:
            return parse_date(value, self.mapping.date_format)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def decimal(self, name: str, *, required: bool = True) -> Decimal | None:
        value = self.need(name) if required else self.get(name)
        if value is None:
            return None
        try:
            return parse_decimal(value, self.mapping.decimal)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

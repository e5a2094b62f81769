"""Rows from an ERP database through SQLAlchemy 2, streamed with server-side cursors.

Column values become text for the normaliser without ever passing through float where the
driver does not force it: ``Decimal`` and ``int`` are rendered exactly, dates as ISO 8601, a
``datetime`` as its calendar date. **Hazard**: a ``float`` column (``REAL``/``DOUBLE``) has
already lost exactness inside the driver; its value is converted with ``repr`` (the shortest
text that round-trips, so ``0.1`` stays ``0.1``), but money should be stored as ``NUMERIC`` or
integer minor units. Use a mapping with ``.`` as the decimal separator and ``%Y-%m-%d`` among its
date formats (``generic`` or ``canonical``).

The URL's password never appears in a message: every error names the database with
:func:`redact_url`. The source name is ``sql:<name>`` or ``sql:<first 12 hex of the query's
SHA-256>``; row numbers count result rows from 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from gateway.errors import ConfigError, SourceError
from gateway.ingest import ColumnMapping, FieldValueError, Quarantined, SourceItem, to_item
from gateway.ingest.strict_json import plain_number
from gateway.limits import Limits

_DEFAULT_LIMITS: Final = Limits()


def redact_url(url: str) -> str:
    """The database URL with its password masked (``***``); never the URL if it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "<unparsable database URL>"


def sql_text(value: Any) -> str | None:
    """One column value as normaliser text (see the module docstring for the float hazard)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return plain_number(Decimal(repr(value)))
    if isinstance(value, (int, Decimal)):
        return plain_number(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FieldValueError("binary value that is not UTF-8 text") from exc
    return str(value)


class SqlSource:
    """Iterate the result of ``query`` (bound ``params``) as :data:`~gateway.ingest.SourceItem`."""

    def __init__(
        self,
        url: str,
        query: str,
        mapping: ColumnMapping,
        *,
        params: Mapping[str, Any] | None = None,
        batch_size: int = 1000,
        name: str | None = None,
        limits: Limits = _DEFAULT_LIMITS,
        watermark_column: str | None = None,
    ) -> None:
        if mapping.decimal.decimal_separator != "." or "%Y-%m-%d" not in mapping.date_format:
            raise ConfigError(
                f"mapping {mapping.name}: SQL sources need decimal_separator '.' and "
                "'%Y-%m-%d' among the date formats"
            )
        if batch_size < 1:
            raise ConfigError("batch_size must be at least 1")
        self._url = url
        self.database = redact_url(url)
        self.query = query
        self.params = dict(params or {})
        self.mapping = mapping
        self.batch_size = batch_size
        self.limits = limits
        digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]
        self.source = f"sql:{name or digest}"
        self.watermark_column = watermark_column
        self.high_water: str | None = None  # the largest watermark value read, as text
        self._high: Any = None

    def __repr__(self) -> str:
        return f"SqlSource({self.database!r}, source={self.source!r})"

    def _engine(self) -> Engine:
        try:
            return create_engine(self._url, hide_parameters=True)
        except (SQLAlchemyError, ImportError, ValueError, TypeError) as exc:
            raise SourceError(
                f"{self.source}: cannot use database {self.database} ({type(exc).__name__})"
            ) from exc

    def __iter__(self) -> Iterator[SourceItem]:
        engine = self._engine()
        try:
            yield from self._rows(engine)
        except SQLAlchemyError as exc:
            raise SourceError(
                f"{self.source}: query on {self.database} failed ({type(exc).__name__})"
            ) from exc
        finally:
            engine.dispose()

    def _rows(self, engine: Engine) -> Iterator[SourceItem]:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=self.batch_size).execute(
                text(self.query), self.params
            )
            columns = list(result.keys())
            mark = self._watermark_index(columns)
            for number, row in enumerate(result, 1):
                if mark is not None:
                    self._advance(row[mark])
                yield self._item(columns, row, number)

    def _watermark_index(self, columns: list[str]) -> int | None:
        if self.watermark_column is None:
            return None
        if self.watermark_column not in columns:
            raise SourceError(
                f"{self.source}: the query returns no watermark column '{self.watermark_column}'"
            )
        return columns.index(self.watermark_column)

    def _advance(self, value: Any) -> None:
        """Track the high-water mark in the database's own type (so 10 sorts after 9)."""
        if value is None:
            return
        try:
            if self._high is None or value > self._high:
                self._high = value
                self.high_water = sql_text(value)
        except (TypeError, FieldValueError) as exc:
            raise SourceError(
                f"{self.source}: watermark column '{self.watermark_column}' has values that "
                "cannot be ordered"
            ) from exc

    def _item(self, columns: list[str], row: Any, number: int) -> SourceItem:
        raw: dict[str, str | None] = {}
        wanted = self.mapping.source_columns()
        for column, value in zip(columns, row, strict=True):
            if column not in wanted:
                continue
            try:
                raw[column] = sql_text(value)
            except FieldValueError as exc:
                reason = f"column '{column}': {exc.reason}"
                return Quarantined(self.source, number, column, reason, {})
        return to_item(raw, self.mapping, source=self.source, row=number, limits=self.limits)

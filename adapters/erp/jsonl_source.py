"""JSON Lines exports: one JSON object per line, strict UTF-8, streamed.

Parsing is strict (duplicate keys, ``NaN`` and ``Infinity`` are refused; numbers become
:class:`~decimal.Decimal`, never float). A nested ``buyer`` object is flattened to dotted keys
(``buyer.name``); a ``line_items`` array of ``{description, quantity, unit_price}`` objects is
passed to the normaliser as JSON text. Numbers are rendered as plain decimal text with ``.`` as
the separator, so use a mapping whose ``decimal_separator`` is ``.`` (``canonical`` or
``generic``). A bad line is quarantined with its line number (1-based); blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from gateway.adapters.erp._lines import LineReader
from gateway.errors import SourceError
from gateway.ingest import ColumnMapping, FieldValueError, Quarantined, SourceItem, to_item
from gateway.ingest.strict_json import DuplicateKeyError, loads_strict, plain_number
from gateway.limits import Limits

_DEFAULT_LIMITS: Final = Limits()
_NESTED: Final = "buyer"
_LIST: Final = "line_items"


def _scalar(value: Any, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise FieldValueError(f"{key}: true/false is not a valid value")
    if isinstance(value, (int, Decimal)):
        return plain_number(value)
    raise FieldValueError(f"{key}: nested objects and arrays are not allowed here")


def _line_items(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise FieldValueError(f"{_LIST}: not an array")
    items = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise FieldValueError(f"{_LIST}: item {number} is not an object")
        items.append({k: _scalar(v, f"{_LIST} item {number}") for k, v in item.items()})
    return json.dumps(items, ensure_ascii=False)


def flatten_record(obj: Any, known: frozenset[str]) -> dict[str, str | None]:
    """One parsed JSON object as source columns of text. Key names appear in reasons only when
    they are columns of the mapping (``known``): unknown keys may themselves be data."""
    if not isinstance(obj, dict):
        raise FieldValueError("not a JSON object")
    flat: dict[str, str | None] = {}
    for key, value in obj.items():
        shown = key if key in known or key in (_NESTED, _LIST) else "a key"
        if key == _NESTED and isinstance(value, dict):
            for sub, sub_value in value.items():
                dotted = f"{_NESTED}.{sub}"
                shown_sub = dotted if dotted in known else "a buyer key"
                if dotted in flat or dotted in obj:
                    raise FieldValueError(f"{shown_sub}: given twice")
                flat[dotted] = _scalar(sub_value, shown_sub)
        elif key == _LIST:
            flat[key] = _line_items(value)
        else:
            flat[key] = _scalar(value, shown)
    return flat


class JsonLinesSource:
    """Iterate a JSON Lines export as :data:`~gateway.ingest.SourceItem`, streaming."""

    def __init__(
        self, path: Path, mapping: ColumnMapping, *, limits: Limits = _DEFAULT_LIMITS
    ) -> None:
        self.path = Path(path)
        self.mapping = mapping
        self.limits = limits
        self.source = self.path.name

    def __iter__(self) -> Iterator[SourceItem]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be opened ({exc.strerror})") from exc
        with handle:
            lines = LineReader(handle, "utf-8", self.limits.max_row_bytes)
            try:
                lines.skip_bom()
                for text in lines:
                    state = lines.take_row()
                    item = self._item(text, state.start_line, state.decode_error_at, state.overlong)
                    if item is not None:
                        yield item
            except UnicodeError as exc:
                raise SourceError(f"{self.path}: UTF-16 files are not supported") from exc
            except OSError as exc:
                raise SourceError(f"{self.path}: read failed ({exc.strerror})") from exc

    def _bad(self, line: int, reason: str) -> Quarantined:
        return Quarantined(self.source, line, "<line>", reason, {})

    def _item(
        self, text: str, line: int, decode_error_at: int | None, overlong: bool
    ) -> SourceItem | None:
        if overlong:
            return self._bad(line, f"line longer than {self.limits.max_row_bytes} bytes")
        if decode_error_at is not None:
            reason = f"invalid utf-8 byte sequence at byte {decode_error_at} of the line"
            return self._bad(line, reason)
        if not text.strip():
            return None
        known = self.mapping.source_columns()
        try:
            raw = flatten_record(loads_strict(text), known)
        except DuplicateKeyError as exc:
            shown = f"'{exc.key}'" if exc.key in known else "key"
            return self._bad(line, f"duplicate {shown}")
        except FieldValueError as exc:
            return self._bad(line, exc.reason)
        return to_item(raw, self.mapping, source=self.source, row=line, limits=self.limits)

"""Customs declarations as JSON: one top-level array of objects, or JSON Lines (one per line).

The format is detected from the first non-space character (``[`` means an array). Both are UTF-8
(a byte order mark is accepted), streamed, and parsed strictly: duplicate keys, ``NaN`` and
``Infinity`` are refused; numbers become :class:`~decimal.Decimal`, never float. Keys are the
declaration field names (``declaration_number``, ``acceptance_date``, ..., see
:data:`gateway.ingest.customs_mapping.DECLARATION_FIELDS`); an unknown key quarantines the
object, so a misspelt optional field is never silently lost. Dates are ISO (``2026-03-02``),
``shipped`` is ``true``/``false`` (or ``"Y"``/``"N"``), money is a JSON number or a string of
digits with ``.`` as the decimal separator.

``row`` of a quarantined object is the line where it starts (array) or its line (JSON Lines).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from io import BufferedReader
from pathlib import Path
from typing import Any, Final

from gateway.adapters.customs._json_array import JsonArrayReader
from gateway.adapters.erp._lines import UTF8_BOM, LineReader
from gateway.errors import SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationItem, declaration_item
from gateway.ingest.customs_mapping import DECLARATION_FIELDS, json_mapping
from gateway.ingest.parse import FieldValueError
from gateway.ingest.strict_json import DuplicateKeyError, loads_strict, plain_number
from gateway.limits import Limits

_DEFAULT_LIMITS: Final = Limits()
_FIELDS: Final = frozenset(DECLARATION_FIELDS)
_FLAGS: Final = {True: "Y", False: "N"}


def _scalar(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        if key == "shipped":
            return _FLAGS[value]
        raise FieldValueError(f"{key}: true/false is not a valid value")
    if isinstance(value, (int, Decimal)):
        return plain_number(value)
    raise FieldValueError(f"{key}: nested objects and arrays are not allowed here")


def declaration_columns(obj: Any) -> dict[str, str | None]:
    """One parsed JSON object as field → text. Unknown keys are refused by position (a key that
    is not a field name may itself be data, so it is never shown)."""
    if not isinstance(obj, dict):
        raise FieldValueError("not a JSON object")
    raw: dict[str, str | None] = {}
    for position, (key, value) in enumerate(obj.items(), 1):
        if key not in _FIELDS:
            raise FieldValueError(f"key {position} of the object is not a declaration field")
        raw[key] = _scalar(key, value)
    return raw


class CustomsJsonSource:
    """Iterate a JSON array or JSON Lines file of declarations, streaming."""

    def __init__(self, path: Path, *, limits: Limits = _DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        self.source = self.path.name

    def __iter__(self) -> Iterator[DeclarationItem]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be opened ({exc.strerror})") from exc
        with handle:
            try:
                yield from self._items(handle)
            except OSError as exc:
                raise SourceError(f"{self.path}: read failed ({exc.strerror})") from exc

    def _items(self, handle: BufferedReader) -> Iterator[DeclarationItem]:
        head = handle.peek(4096)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise SourceError(f"{self.path}: UTF-16 files are not supported")
        if head.startswith(UTF8_BOM):
            handle.read(len(UTF8_BOM))
            head = head[len(UTF8_BOM) :]
        if head.lstrip(b" \t\r\n").startswith(b"["):
            yield from self._array(handle)
        else:
            yield from self._lines(handle)

    def _array(self, handle: BufferedReader) -> Iterator[DeclarationItem]:
        reader = JsonArrayReader(handle, str(self.path), self.limits.max_row_bytes)
        for line, value, problem in reader:
            if problem is not None:
                yield self._refused(line, problem)
                continue
            yield self._item(line, value)

    def _lines(self, handle: BufferedReader) -> Iterator[DeclarationItem]:
        lines = LineReader(handle, "utf-8", self.limits.max_row_bytes)
        for text in lines:
            state = lines.take_row()
            line = state.start_line
            if state.overlong:
                yield self._bad(line, f"line longer than {self.limits.max_row_bytes} bytes")
            elif state.decode_error_at is not None:
                at = state.decode_error_at
                yield self._bad(line, f"invalid utf-8 byte sequence at byte {at} of the line")
            elif text.strip():
                try:
                    value = loads_strict(text)
                except FieldValueError as exc:
                    yield self._refused(line, exc)
                    continue
                yield self._item(line, value)

    def _bad(self, line: int, reason: str) -> Quarantined:
        return Quarantined(self.source, line, "<object>", reason, {})

    def _refused(self, line: int, problem: FieldValueError) -> Quarantined:
        if isinstance(problem, DuplicateKeyError):
            shown = f"'{problem.key}'" if problem.key in _FIELDS else "key"
            return self._bad(line, f"duplicate {shown}")
        return self._bad(line, problem.reason)

    def _item(self, line: int, value: Any) -> DeclarationItem:
        try:
            raw = declaration_columns(value)
        except FieldValueError as exc:
            return self._bad(line, exc.reason)
        mapping = json_mapping()
        return declaration_item(
            raw,
            mapping,
            source=self.source,
            row=line,
            columns=mapping.identity(),
            limits=self.limits,
        )

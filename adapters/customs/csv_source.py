"""Customs declaration downloads (CSV), streamed row by row into declarations or quarantined rows.

The same reader as the ERP's CSV source (``gateway.adapters.erp.csv_source``): bounded physical
lines decoded strictly (``encoding="auto"`` is UTF-8 with an optional BOM and never guesses;
set ``"cp949"`` or ``"euc-kr"`` for a Korean "ANSI" file), the delimiter sniffed from the header,
and ``row`` = the physical line where a row starts (the header is line 1). Undecodable, over-long
and ragged rows are quarantined with an empty ``raw``; other bad rows keep the mapped columns.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from io import BufferedReader
from pathlib import Path
from typing import Final

from gateway.adapters.erp._lines import CODECS, LineReader, RowBytes
from gateway.adapters.erp.csv_source import sniff_delimiter
from gateway.errors import ConfigError, SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationItem, declaration_item
from gateway.ingest.customs_mapping import CustomsMapping
from gateway.limits import Limits

_DISPLAY: Final = {"auto": "utf-8", "utf-8-sig": "utf-8", "euc-kr": "euc-kr"}
_AUTO_HINT: Final = ' (encoding "auto" reads UTF-8; set encoding "cp949" for a Korean export)'
_DEFAULT_LIMITS: Final = Limits()


def _header(names: Sequence[str], mapping: CustomsMapping, path: Path) -> dict[str, str]:
    """Field → column of this file; a repeated column or a missing required field raises."""
    header = [name.strip() for name in names]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SourceError(f"{path}: header repeats column '{name}'")
        seen.add(name)
    columns, missing = mapping.resolve(seen)
    if missing:
        field = missing[0]
        wanted = " or ".join(f"'{c}'" for c in mapping.fields.get(field, ()))
        raise SourceError(f"{path}: header lacks a column for {field} ({wanted})")
    return columns


class CustomsCsvSource:
    """Iterate a declaration download as :data:`~gateway.ingest.customs.DeclarationItem`."""

    def __init__(
        self,
        path: Path,
        mapping: CustomsMapping,
        *,
        encoding: str = "auto",
        delimiter: str | None = None,
        limits: Limits = _DEFAULT_LIMITS,
    ) -> None:
        if encoding not in CODECS:
            raise ConfigError(f"{path}: unsupported encoding (use one of {', '.join(CODECS)})")
        if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
            raise ConfigError(f"{path}: the delimiter must be one character other than a quote")
        self.path = Path(path)
        self.mapping = mapping
        self.encoding = encoding
        self.delimiter = delimiter
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

    def _display(self) -> str:
        return _DISPLAY.get(self.encoding, self.encoding)

    def _open(self, handle: BufferedReader) -> tuple[LineReader, Iterator[list[str]]]:
        lines = LineReader(handle, self.encoding, self.limits.max_row_bytes)
        try:
            bom = lines.skip_bom()
        except UnicodeError as exc:
            raise SourceError(f"{self.path}: UTF-16 files are not supported") from exc
        if bom and CODECS[self.encoding] != "utf-8":
            raise SourceError(
                f"{self.path}: starts with a UTF-8 byte order mark, not {self.encoding}"
            )
        first = next(lines, None)
        if first is None:
            raise SourceError(f"{self.path}: empty file (a header line is required)")
        delimiter = self.delimiter or sniff_delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        return lines, reader

    def _columns(
        self, lines: LineReader, reader: Iterator[list[str]]
    ) -> tuple[int, dict[str, str], list[str]]:
        try:
            names = next(reader)
        except (csv.Error, StopIteration) as exc:
            raise SourceError(f"{self.path}: the header line is not valid CSV") from exc
        state = lines.take_row()
        if state.decode_error_at is not None:
            raise SourceError(
                f"{self.path}: the header is not valid {self._display()} "
                f"(byte {state.decode_error_at})"
            )
        if state.overlong:
            raise SourceError(f"{self.path}: the header is longer than the row limit")
        return len(names), _header(names, self.mapping, self.path), [n.strip() for n in names]

    def _items(self, handle: BufferedReader) -> Iterator[DeclarationItem]:
        lines, reader = self._open(handle)
        width, columns, header = self._columns(lines, reader)
        wanted = set(columns.values())
        index = {name: i for i, name in enumerate(header) if name in wanted}
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._bad(lines.take_row(), f"malformed CSV: {exc}")
                continue
            state = lines.take_row()
            if values or state.decode_error_at is not None or state.overlong:
                yield self._item(values, state, width, index, columns)

    def _bad(self, state: RowBytes, reason: str) -> Quarantined:
        return Quarantined(self.source, state.start_line, "<row>", reason, {})

    def _item(
        self,
        values: list[str],
        state: RowBytes,
        width: int,
        index: dict[str, int],
        columns: dict[str, str],
    ) -> DeclarationItem:
        if state.overlong:
            return self._bad(state, f"row longer than {self.limits.max_row_bytes} bytes")
        if state.decode_error_at is not None:
            hint = _AUTO_HINT if self.encoding == "auto" else ""
            at = state.decode_error_at
            return self._bad(
                state, f"invalid {self._display()} byte sequence at byte {at} of the row{hint}"
            )
        if len(values) != width:
            return self._bad(state, f"expected {width} columns, found {len(values)}")
        raw = {name: values[i] for name, i in index.items()}
        return declaration_item(
            raw,
            self.mapping,
            source=self.source,
            row=state.start_line,
            columns=columns,
            limits=self.limits,
        )

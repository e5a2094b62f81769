"""CSV exports from an ERP, streamed row by row into records or quarantined rows.

Encodings (``encoding=``):

- ``"auto"`` (default) is UTF-8 with an optional byte order mark. It never guesses anything
  else: a Korean "ANSI" export needs ``encoding="cp949"`` (or ``"euc-kr"``) set explicitly. A row
  that is not valid UTF-8 is quarantined; the reader never switches encodings part-way through.
- ``"utf-8"`` and ``"utf-8-sig"`` both accept and drop a leading byte order mark.
- ``"cp949"`` (Windows Korean, a superset of EUC-KR) and ``"euc-kr"``.

Decoding is strict: a row holding bytes that are invalid in the declared encoding is quarantined
(field ``<row>``, reason ``invalid cp949 byte sequence at byte N of the row``) and the rest of the
file continues. No replacement character (U+FFFD) is ever produced.

Row numbers: ``row`` is the physical line number at which the logical row starts, the header
being line 1, so a user can open the file at that line (a quoted field with embedded newlines
makes one logical row span several lines; the next row's number accounts for them).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from io import BufferedReader
from pathlib import Path
from typing import Final

from gateway.adapters.erp._lines import CODECS, LineReader, RowBytes
from gateway.errors import ConfigError, SourceError
from gateway.ingest import ColumnMapping, Quarantined, SourceItem, to_item
from gateway.limits import Limits

_DELIMITERS: Final = (",", ";", "\t", "|")
_DISPLAY: Final = {"auto": "utf-8", "utf-8-sig": "utf-8", "euc-kr": "euc-kr"}
_AUTO_HINT: Final = ' (encoding "auto" reads UTF-8; set encoding "cp949" for a Korean export)'
_DEFAULT_LIMITS: Final = Limits()


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line (``,`` if none occurs)."""
    counts = [(header_line.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def _check_header(names: Sequence[str], mapping: ColumnMapping, path: Path) -> list[str]:
    header = [name.strip() for name in names]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SourceError(f"{path}: header repeats column '{name}'")
        seen.add(name)
    missing = sorted(mapping.header_columns() - seen)
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise SourceError(f"{path}: header lacks required column(s) {listed}")
    return header


class CsvSource:
    """Iterate a CSV export as :data:`~gateway.ingest.SourceItem` in file order, streaming.

    ``delimiter=None`` detects it from the header line (``,``, ``;``, tab or ``|``). The header
    is required; a repeated column or a missing required column is a :class:`SourceError`
    naming the file and the column. Rows with the wrong number of columns, rows longer than
    ``limits.max_row_bytes`` and undecodable rows are quarantined with an empty ``raw`` (their
    columns cannot be trusted); other bad rows keep their mapped columns in ``raw``.
    """

    def __init__(
        self,
        path: Path,
        mapping: ColumnMapping,
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

    def __iter__(self) -> Iterator[SourceItem]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be opened ({exc.strerror})") from exc
        with handle:
            try:
                yield from self._items(handle)
            except OSError as exc:
                raise SourceError(f"{self.path}: read failed ({exc.strerror})") from exc

    def _open_reader(self, handle: BufferedReader) -> tuple[LineReader, Iterator[list[str]]]:
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

    def _header(self, lines: LineReader, reader: Iterator[list[str]]) -> list[str]:
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
        return _check_header(names, self.mapping, self.path)

    def _items(self, handle: BufferedReader) -> Iterator[SourceItem]:
        lines, reader = self._open_reader(handle)
        header = self._header(lines, reader)
        wanted = self.mapping.source_columns()
        index = {name: i for i, name in enumerate(header) if name in wanted}
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                state = lines.take_row()
                yield self._bad(state, f"malformed CSV: {exc}")
                continue
            state = lines.take_row()
            if values or state.decode_error_at is not None or state.overlong:
                yield self._item(values, state, len(header), index)

    def _display(self) -> str:
        return _DISPLAY.get(self.encoding, self.encoding)

    def _bad(self, state: RowBytes, reason: str) -> Quarantined:
        return Quarantined(self.source, state.start_line, "<row>", reason, {})

    def _item(
        self, values: list[str], state: RowBytes, width: int, index: dict[str, int]
    ) -> SourceItem:
        if state.overlong:
            return self._bad(state, f"row longer than {self.limits.max_row_bytes} bytes")
        if state.decode_error_at is not None:
            hint = _AUTO_HINT if self.encoding == "auto" else ""
            at = state.decode_error_at
            reason = f"invalid {self._display()} byte sequence at byte {at} of the row{hint}"
            return self._bad(state, reason)
        if len(values) != width:
            return self._bad(state, f"expected {width} columns, found {len(values)}")
        raw = {name: values[i] for name, i in index.items()}
        return to_item(
            raw, self.mapping, source=self.source, row=state.start_line, limits=self.limits
        )

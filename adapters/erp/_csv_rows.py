"""The reading loop shared by the CSV sources: header, strict decoding, rows, structural quarantine.

:func:`csv_rows` opens a CSV export, reads its header through a bounded, strictly decoding
:class:`~gateway.adapters.erp._lines.LineReader` (the delimiter sniffed from it unless given) and
yields, per logical row, ``(row, raw)`` (``raw`` holds only the columns the caller selected) or a
:class:`~gateway.ingest.Quarantined` with an empty ``raw`` for a structural problem: bytes not
valid in the encoding, a row longer than ``limits.max_row_bytes``, malformed CSV or the wrong
number of columns. ``row`` is the physical line where a row starts (the header is line 1).
Mapping a raw row to a record is the caller's job.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from io import BufferedReader
from pathlib import Path
from typing import Final, TypeVar

from gateway.adapters.erp._lines import CODECS, LineReader, RowBytes
from gateway.errors import ConfigError, SourceError
from gateway.ingest import Quarantined
from gateway.limits import Limits

T = TypeVar("T")
RawRow = tuple[int, dict[str, str | None]]
#: Given the stripped header names, the columns to keep; raises :class:`SourceError` if unusable.
SelectColumns = Callable[[list[str]], Collection[str]]

_DELIMITERS: Final = (",", ";", "\t", "|")
_DISPLAY: Final = {"auto": "utf-8", "utf-8-sig": "utf-8", "euc-kr": "euc-kr"}
_AUTO_HINT: Final = ' (encoding "auto" reads UTF-8; set encoding "cp949" for a Korean export)'


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line (``,`` if none occurs)."""
    counts = [(header_line.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def check_options(path: Path, encoding: str, delimiter: str | None) -> None:
    """:class:`ConfigError` for an unsupported encoding or an unusable delimiter."""
    if encoding not in CODECS:
        raise ConfigError(f"{path}: unsupported encoding (use one of {', '.join(CODECS)})")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise ConfigError(f"{path}: the delimiter must be one character other than a quote")


def unique_names(names: Sequence[str], path: Path) -> set[str]:
    """The header's names; :class:`SourceError` naming the first one that repeats."""
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise SourceError(f"{path}: header repeats column '{name}'")
        seen.add(name)
    return seen


class _Reader:
    """One open file: its line reader, CSV reader and the settings that word its problems."""

    def __init__(
        self,
        handle: BufferedReader,
        path: Path,
        encoding: str,
        delimiter: str | None,
        limits: Limits,
    ) -> None:
        self.path, self.encoding, self.limits = path, encoding, limits
        self.lines = LineReader(handle, encoding, limits.max_row_bytes)
        try:
            bom = self.lines.skip_bom()
        except UnicodeError as exc:
            raise SourceError(f"{path}: UTF-16 files are not supported") from exc
        if bom and CODECS[encoding] != "utf-8":
            raise SourceError(f"{path}: starts with a UTF-8 byte order mark, not {encoding}")
        first = next(self.lines, None)
        if first is None:
            raise SourceError(f"{path}: empty file (a header line is required)")
        chained = itertools.chain([first], self.lines)
        delimiter = delimiter or sniff_delimiter(first)
        self.reader = csv.reader(chained, delimiter=delimiter, strict=True)

    def display(self) -> str:
        return _DISPLAY.get(self.encoding, self.encoding)

    def header(self, plain_errors: bool) -> list[str]:
        """The stripped header names; :class:`SourceError` if not valid CSV or text."""
        try:
            names = next(self.reader)
        except (csv.Error, StopIteration) as exc:
            raise SourceError(f"{self.path}: the header line is not valid CSV") from exc
        state = self.lines.take_row()
        if plain_errors and (state.decode_error_at is not None or state.overlong):
            raise SourceError(f"{self.path}: the header is not valid {self.display()} text")
        if state.decode_error_at is not None:
            raise SourceError(
                f"{self.path}: the header is not valid {self.display()} "
                f"(byte {state.decode_error_at})"
            )
        if state.overlong:
            raise SourceError(f"{self.path}: the header is longer than the row limit")
        return [name.strip() for name in names]

    def fault(self, values: list[str], state: RowBytes, width: int) -> str | None:
        """Why a row cannot be trusted at all, or None."""
        if state.overlong:
            return f"row longer than {self.limits.max_row_bytes} bytes"
        if state.decode_error_at is not None:
            hint = _AUTO_HINT if self.encoding == "auto" else ""
            at = state.decode_error_at
            return f"invalid {self.display()} byte sequence at byte {at} of the row{hint}"
        if len(values) != width:
            return f"expected {width} columns, found {len(values)}"
        return None


def _rows(
    reader: _Reader, select: SelectColumns, source: str, plain: bool
) -> Iterator[RawRow | Quarantined]:
    header = reader.header(plain)
    wanted = select(header)
    index = {name: i for i, name in enumerate(header) if name in wanted}
    while True:
        try:
            values = next(reader.reader)
        except StopIteration:
            return
        except csv.Error as exc:
            state = reader.lines.take_row()
            yield Quarantined(source, state.start_line, "<row>", f"malformed CSV: {exc}", {})
            continue
        state = reader.lines.take_row()
        if not values and state.decode_error_at is None and not state.overlong:
            continue
        fault = reader.fault(values, state, len(header))
        if fault is not None:
            yield Quarantined(source, state.start_line, "<row>", fault, {})
        else:
            yield state.start_line, {name: values[i] for name, i in index.items()}


def csv_rows(
    path: Path,
    *,
    encoding: str,
    delimiter: str | None,
    limits: Limits,
    source: str,
    select: SelectColumns,
    plain_header_errors: bool = False,
) -> Iterator[RawRow | Quarantined]:
    """Stream ``path``'s rows as ``(row, raw)`` or structural :class:`Quarantined`, in file order.

    ``select`` checks the header and names the columns each ``raw`` keeps. A file that cannot be
    opened or read, an empty file or an unusable header is a :class:`SourceError` naming the file;
    ``plain_header_errors`` words an undecodable or over-long header as "not valid <encoding>
    text" instead of naming the byte or the limit.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot be opened ({exc.strerror})") from exc
    with handle:
        try:
            reader = _Reader(handle, path, encoding, delimiter, limits)
            yield from _rows(reader, select, source, plain_header_errors)
        except OSError as exc:
            raise SourceError(f"{path}: read failed ({exc.strerror})") from exc


def mapped(
    rows: Iterable[RawRow | Quarantined], to_item: Callable[[int, dict[str, str | None]], T]
) -> Iterator[T | Quarantined]:
    """Each ``(row, raw)`` through ``to_item``; quarantined rows pass through unchanged."""
    for item in rows:
        yield item if isinstance(item, Quarantined) else to_item(*item)


class CsvFile:
    """A CSV export's path and reading options, checked up front (the CSV sources' base)."""

    def __init__(self, path: Path, encoding: str, delimiter: str | None, limits: Limits) -> None:
        check_options(path, encoding, delimiter)
        self.path = Path(path)
        self.encoding = encoding
        self.delimiter = delimiter
        self.limits = limits
        self.source = self.path.name

    def raw_rows(
        self, select: SelectColumns, *, plain_header_errors: bool = False
    ) -> Iterator[RawRow | Quarantined]:
        """:func:`csv_rows` of this file."""
        return csv_rows(
            self.path,
            encoding=self.encoding,
            delimiter=self.delimiter,
            limits=self.limits,
            source=self.source,
            select=select,
            plain_header_errors=plain_header_errors,
        )

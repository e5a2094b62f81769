"""ERP receivables (open items) exports: CSV in, :class:`~gateway.guard.Receivable` out, streaming.

The same strictness as :class:`gateway.adapters.erp.CsvSource`: the declared encoding only
(``auto`` is UTF-8 with an optional byte order mark; ``cp949`` / ``euc-kr`` must be set), rows
decoded strictly, a required header, bad rows quarantined with file, row, field and reason (never
the value), and rows numbered by the physical line they start on (the header is line 1).
Mappings are TOML (``adapters/mappings/receivables.toml`` is the shipped one).
"""

from __future__ import annotations

import csv
import itertools
import tomllib
from collections.abc import Iterator
from importlib import resources
from io import BufferedReader
from pathlib import Path
from typing import Final

from gateway.adapters.erp._lines import CODECS, LineReader, RowBytes
from gateway.adapters.erp.csv_source import sniff_delimiter
from gateway.errors import ConfigError, SourceError
from gateway.guard import Receivable, ReceivablesMapping, load_receivables_mapping
from gateway.guard import to_receivable_item as _to_item
from gateway.ingest import Quarantined
from gateway.limits import Limits

ReceivableItem = Receivable | Quarantined

_PACKAGE: Final = "gateway.adapters.mappings"
_MAX_MAPPING_BYTES: Final = 1_048_576
_DEFAULT_LIMITS: Final = Limits()
_DISPLAY: Final = {"auto": "utf-8", "utf-8-sig": "utf-8"}
_AUTO_HINT: Final = ' (encoding "auto" reads UTF-8; set encoding "cp949" for a Korean export)'


def _parse_mapping(data: bytes, origin: str) -> ReceivablesMapping:
    if len(data) > _MAX_MAPPING_BYTES:
        raise ConfigError(f"mapping {origin}: larger than {_MAX_MAPPING_BYTES} bytes")
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"mapping {origin}: not UTF-8 (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"mapping {origin}: not valid TOML: {exc}") from exc
    return load_receivables_mapping(parsed, origin=origin)


def receivables_mapping_from_file(path: Path) -> ReceivablesMapping:
    """Read and validate the receivables mapping at ``path``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"mapping {path}: cannot be read ({reason})") from exc
    return _parse_mapping(data, str(path))


def builtin_receivables_mapping() -> ReceivablesMapping:
    """The shipped receivables mapping (``receivables.toml``)."""
    data = resources.files(_PACKAGE).joinpath("receivables.toml").read_bytes()
    return _parse_mapping(data, "builtin:receivables")


class ReceivablesCsvSource:
    """Iterate a receivables CSV export as receivables or quarantined rows, in file order.

    ``delimiter=None`` detects it from the header (``,``, ``;``, tab or ``|``). A missing file,
    an empty file, an undecodable header, a repeated column or a missing required column is a
    :class:`SourceError` naming the file.
    """

    def __init__(
        self,
        path: Path,
        mapping: ReceivablesMapping,
        encoding: str = "auto",
        *,
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

    def __iter__(self) -> Iterator[ReceivableItem]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be opened ({exc.strerror})") from exc
        with handle:
            try:
                yield from self._items(handle)
            except OSError as exc:
                raise SourceError(f"{self.path}: read failed ({exc.strerror})") from exc

    def _start(self, handle: BufferedReader) -> tuple[LineReader, Iterator[list[str]]]:
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
        return lines, csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)

    def _header(
        self, lines: LineReader, reader: Iterator[list[str]]
    ) -> tuple[dict[str, int], int]:
        """Column positions of the mapped columns, and the header's width."""
        try:
            names = [name.strip() for name in next(reader)]
        except (csv.Error, StopIteration) as exc:
            raise SourceError(f"{self.path}: the header line is not valid CSV") from exc
        state = lines.take_row()
        if state.decode_error_at is not None or state.overlong:
            raise SourceError(f"{self.path}: the header is not valid {self._display()} text")
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise SourceError(f"{self.path}: header repeats column '{repeated[0]}'")
        missing = sorted(self.mapping.header_columns() - set(names))
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            raise SourceError(f"{self.path}: header lacks required column(s) {listed}")
        wanted = self.mapping.source_columns()
        return {name: i for i, name in enumerate(names) if name in wanted}, len(names)

    def _items(self, handle: BufferedReader) -> Iterator[ReceivableItem]:
        lines, reader = self._start(handle)
        index, width = self._header(lines, reader)
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
                yield self._item(values, state, index, width)

    def _display(self) -> str:
        return _DISPLAY.get(self.encoding, self.encoding)

    def _bad(self, state: RowBytes, reason: str) -> Quarantined:
        return Quarantined(self.source, state.start_line, "<row>", reason, {})

    def _item(
        self, values: list[str], state: RowBytes, index: dict[str, int], width: int
    ) -> ReceivableItem:
        if state.overlong:
            return self._bad(state, f"row longer than {self.limits.max_row_bytes} bytes")
        if state.decode_error_at is not None:
            at, hint = state.decode_error_at, _AUTO_HINT if self.encoding == "auto" else ""
            reason = f"invalid {self._display()} byte sequence at byte {at} of the row{hint}"
            return self._bad(state, reason)
        if len(values) != width:
            return self._bad(state, f"expected {width} columns, found {len(values)}")
        raw: dict[str, str | None] = {name: values[i] for name, i in index.items()}
        return _to_item(
            raw, self.mapping, source=self.source, row=state.start_line, limits=self.limits
        )

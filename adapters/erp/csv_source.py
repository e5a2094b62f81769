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

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from gateway.adapters.erp._csv_rows import CsvFile, mapped, sniff_delimiter, unique_names
from gateway.errors import SourceError
from gateway.ingest import ColumnMapping, SourceItem, to_item
from gateway.limits import Limits

__all__ = ["CsvSource", "sniff_delimiter"]

_DEFAULT_LIMITS: Final = Limits()


def _check_header(names: Sequence[str], mapping: ColumnMapping, path: Path) -> frozenset[str]:
    """The columns ``mapping`` reads; a repeated or missing required column raises."""
    seen = unique_names(names, path)
    missing = sorted(mapping.header_columns() - seen)
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise SourceError(f"{path}: header lacks required column(s) {listed}")
    return mapping.source_columns()


class CsvSource(CsvFile):
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
        super().__init__(path, encoding, delimiter, limits)
        self.mapping = mapping

    def __iter__(self) -> Iterator[SourceItem]:
        rows = self.raw_rows(lambda names: _check_header(names, self.mapping, self.path))
        return mapped(rows, self._item)

    def _item(self, row: int, raw: dict[str, str | None]) -> SourceItem:
        return to_item(raw, self.mapping, source=self.source, row=row, limits=self.limits)

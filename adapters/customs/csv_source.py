"""Customs declaration downloads (CSV), streamed row by row into declarations or quarantined rows.

The same reader as the ERP's CSV source (``gateway.adapters.erp._csv_rows``): bounded physical
lines decoded strictly (``encoding="auto"`` is UTF-8 with an optional BOM and never guesses;
set ``"cp949"`` or ``"euc-kr"`` for a Korean "ANSI" file), the delimiter sniffed from the header,
and ``row`` = the physical line where a row starts (the header is line 1). Undecodable, over-long
and ragged rows are quarantined with an empty ``raw``; other bad rows keep the mapped columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from gateway.adapters.erp._csv_rows import CsvFile, mapped, unique_names
from gateway.errors import SourceError
from gateway.ingest.customs import DeclarationItem, declaration_item
from gateway.ingest.customs_mapping import CustomsMapping
from gateway.limits import Limits

_DEFAULT_LIMITS: Final = Limits()


def _header(names: Sequence[str], mapping: CustomsMapping, path: Path) -> dict[str, str]:
    """Field → column of this file; a repeated column or a missing required field raises."""
    columns, missing = mapping.resolve(unique_names(names, path))
    if missing:
        field = missing[0]
        wanted = " or ".join(f"'{c}'" for c in mapping.fields.get(field, ()))
        raise SourceError(f"{path}: header lacks a column for {field} ({wanted})")
    return columns


class CustomsCsvSource(CsvFile):
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
        super().__init__(path, encoding, delimiter, limits)
        self.mapping = mapping

    def __iter__(self) -> Iterator[DeclarationItem]:
        columns: dict[str, str] = {}

        def select(names: list[str]) -> set[str]:
            columns.update(_header(names, self.mapping, self.path))
            return set(columns.values())

        def item(row: int, raw: dict[str, str | None]) -> DeclarationItem:
            return declaration_item(
                raw, self.mapping, source=self.source, row=row, columns=columns, limits=self.limits
            )

        return mapped(self.raw_rows(select), item)

"""ERP receivables (open items) exports: CSV in, :class:`~gateway.guard.Receivable` out, streaming.

The same strictness as :class:`gateway.adapters.erp.CsvSource`: the declared encoding only
(``auto`` is UTF-8 with an optional byte order mark; ``cp949`` / ``euc-kr`` must be set), rows
decoded strictly, a required header, bad rows quarantined with file, row, field and reason (never
the value), and rows numbered by the physical line they start on (the header is line 1).
Mappings are TOML (``adapters/mappings/receivables.toml`` is the shipped one).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Final

from gateway.adapters.erp._csv_rows import CsvFile, mapped
from gateway.errors import ConfigError, SourceError
from gateway.guard import Receivable, ReceivablesMapping, load_receivables_mapping
from gateway.guard import to_receivable_item as _to_item
from gateway.ingest import Quarantined
from gateway.limits import Limits

ReceivableItem = Receivable | Quarantined

_PACKAGE: Final = "gateway.adapters.mappings"
_MAX_MAPPING_BYTES: Final = 1_048_576
_DEFAULT_LIMITS: Final = Limits()


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


class ReceivablesCsvSource(CsvFile):
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
        super().__init__(path, encoding, delimiter, limits)
        self.mapping = mapping

    def __iter__(self) -> Iterator[ReceivableItem]:
        return mapped(self.raw_rows(self._columns, plain_header_errors=True), self._item)

    def _item(self, row: int, raw: dict[str, str | None]) -> ReceivableItem:
        return _to_item(raw, self.mapping, source=self.source, row=row, limits=self.limits)

    def _columns(self, names: list[str]) -> frozenset[str]:
        """The mapped columns; a repeated or missing required column raises."""
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise SourceError(f"{self.path}: header repeats column '{repeated[0]}'")
        missing = sorted(self.mapping.header_columns() - set(names))
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            raise SourceError(f"{self.path}: header lacks required column(s) {listed}")
        return self.mapping.source_columns()

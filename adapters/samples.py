"""Sample exports for policy previews and activation checks.

A sample is an ERP export (``.csv`` or ``.jsonl``) read with a column mapping like any source;
without one, the export shipped with the gateway's examples is used, so a policy can be checked
on a fresh installation. Rows the mapping cannot read are counted, not shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Final

from gateway.adapters.erp import CsvSource, JsonLinesSource
from gateway.errors import ConfigError
from gateway.ingest import ColumnMapping, SourceItem
from gateway.model import ExportRecord

SHIPPED_SAMPLE: Final = ("erp", "sample_export.csv")
MAX_SAMPLE_RECORDS: Final = 10_000


def read_sample(
    path: Path | None,
    mapping: ColumnMapping,
    *,
    limit: int | None = None,
) -> tuple[list[ExportRecord], int]:
    """The sample's records (up to ``limit``, at most :data:`MAX_SAMPLE_RECORDS`) and how many
    rows the mapping quarantined. ``path=None`` reads the shipped sample export."""
    if path is None:
        folder, name = SHIPPED_SAMPLE
        with resources.as_file(resources.files("gateway.examples").joinpath(folder, name)) as p:
            return read_sample(p, mapping, limit=limit)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ConfigError(f"sample {path.name}: expected a .csv or .jsonl file")
    bound = min(limit or MAX_SAMPLE_RECORDS, MAX_SAMPLE_RECORDS)
    records: list[ExportRecord] = []
    rejected = 0
    for item in _open(path, mapping):
        if isinstance(item, ExportRecord):
            records.append(item)
            if len(records) >= bound:
                break
        else:
            rejected += 1
    return records, rejected


def _open(path: Path, mapping: ColumnMapping) -> Iterator[SourceItem]:
    if path.suffix.lower() == ".csv":
        return iter(CsvSource(path, mapping))
    return iter(JsonLinesSource(path, mapping))

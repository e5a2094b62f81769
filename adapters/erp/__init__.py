"""ERP source adapters: CSV, JSON Lines and SQL exports in, canonical records out (streaming).

Each source is an iterable of :data:`gateway.ingest.SourceItem` in input order: a record, or a
:class:`gateway.ingest.Quarantined` row naming the source, row, field and reason.
"""

from gateway.adapters.erp.csv_source import CsvSource
from gateway.adapters.erp.jsonl_source import JsonLinesSource
from gateway.adapters.erp.mapping_file import (
    builtin_mapping,
    builtin_mapping_names,
    from_mapping_file,
)
from gateway.adapters.erp.sql_source import SqlSource, redact_url

__all__ = [
    "CsvSource",
    "JsonLinesSource",
    "SqlSource",
    "builtin_mapping",
    "builtin_mapping_names",
    "from_mapping_file",
    "redact_url",
]

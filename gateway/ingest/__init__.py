"""Ingest stage: raw rows from ERP exports become canonical records, or quarantined rows.

IO-free: adapters (``gateway.adapters.erp``) read files and databases and hand each row here as
a mapping of source column to text.
"""

from gateway.ingest.mapping import (
    CANONICAL_FIELDS,
    REQUIRED_FIELDS,
    ColumnMapping,
    DecimalFormat,
    load_mapping,
)
from gateway.ingest.normalise import Quarantined, SourceItem, mapped_raw, normalise, to_item
from gateway.ingest.parse import FieldValueError, parse_date, parse_decimal

__all__ = [
    "CANONICAL_FIELDS",
    "REQUIRED_FIELDS",
    "ColumnMapping",
    "DecimalFormat",
    "FieldValueError",
    "Quarantined",
    "SourceItem",
    "load_mapping",
    "mapped_raw",
    "normalise",
    "parse_date",
    "parse_decimal",
    "to_item",
]

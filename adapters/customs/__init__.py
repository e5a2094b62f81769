"""Customs declaration sources: broker CSV downloads, JSON and UNI-PASS XML in, streaming.

``CustomsCsvSource`` and ``CustomsJsonSource`` yield :class:`gateway.model.ExportDeclaration`
or :class:`gateway.ingest.Quarantined` in input order; ``UnipassXmlSource`` yields
:class:`gateway.ingest.customs.DeclarationStatus` (or ``Quarantined``), which
:func:`gateway.ingest.customs.apply_statuses` applies to declarations. See
docs/customs-sources.md.
"""

from gateway.adapters.customs.csv_source import CustomsCsvSource
from gateway.adapters.customs.json_source import CustomsJsonSource
from gateway.adapters.customs.mapping_file import (
    builtin_customs_mapping,
    customs_mapping_from_file,
    customs_mapping_names,
)
from gateway.adapters.customs.unipass_xml import UnipassXmlSource

__all__ = [
    "CustomsCsvSource",
    "CustomsJsonSource",
    "UnipassXmlSource",
    "builtin_customs_mapping",
    "customs_mapping_from_file",
    "customs_mapping_names",
]

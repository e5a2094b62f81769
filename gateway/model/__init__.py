"""The canonical record model shared by every stage."""

from gateway.model.currency import MINOR_UNITS, from_minor, minor_units, to_minor
from gateway.model.declaration import ExportDeclaration, normalise_declaration_number
from gateway.model.record import (
    POLICY_FIELDS,
    Buyer,
    ExportRecord,
    Incoterm,
    LineItem,
    PaymentMethod,
    RecordOrigin,
)

__all__ = [
    "MINOR_UNITS",
    "POLICY_FIELDS",
    "Buyer",
    "ExportDeclaration",
    "ExportRecord",
    "Incoterm",
    "LineItem",
    "PaymentMethod",
    "RecordOrigin",
    "from_minor",
    "minor_units",
    "normalise_declaration_number",
    "to_minor",
]

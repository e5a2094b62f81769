"""Continuing-export guard: warn when a shipment goes to a buyer who is overdue (IO-free).

Receivables come from the ERP (``gateway.adapters.erp.receivables``); the warnings stay local,
and the policy decides whether anything about them leaves the gateway.
"""

from gateway.guard.buyer import buyer_key
from gateway.guard.check import MAX_OVERDUE_DAYS, ContinuingExportGuard, continuing_export_warnings
from gateway.guard.mapping import (
    RECEIVABLE_FIELDS,
    REQUIRED_RECEIVABLE_FIELDS,
    ReceivablesMapping,
    load_receivables_mapping,
)
from gateway.guard.model import GuardWarning, Receivable
from gateway.guard.normalise import normalise_receivable, to_receivable_item

__all__ = [
    "MAX_OVERDUE_DAYS",
    "RECEIVABLE_FIELDS",
    "REQUIRED_RECEIVABLE_FIELDS",
    "ContinuingExportGuard",
    "GuardWarning",
    "Receivable",
    "ReceivablesMapping",
    "buyer_key",
    "continuing_export_warnings",
    "load_receivables_mapping",
    "normalise_receivable",
    "to_receivable_item",
]

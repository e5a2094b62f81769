"""reconcile stage: customs export declarations matched with ERP invoices, no IO.

:func:`reconcile` returns one :class:`Match` per group: ``matched``, ``customs_only`` (a cleared
export the ERP feed never notified: :func:`record_from_declaration` turns it into a record to
attach), ``erp_only`` (pending; ``stale`` after the pending window) or ``conflict`` (held for
review, with a stable ``reconcile.conflict.*`` reason). :func:`enrich` gives a matched ERP
record its declaration number. See docs/reconciliation.md.
"""

from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.engine import reconcile
from gateway.reconcile.keys import BUYER_KEY_VERSION, buyer_key, declaration_key, invoice_key
from gateway.reconcile.outcome import (
    CONFLICT_AMOUNT,
    CONFLICT_BUYER,
    CONFLICT_COUNTRY,
    CONFLICT_CURRENCY,
    CONFLICT_DUPLICATE,
    CONFLICT_REASONS,
    CONSOLIDATED,
    DATE_GAP,
    DECLARATION_NOT_FOUND,
    DUPLICATE_DECLARATION,
    DUPLICATE_INVOICE,
    FUZZY,
    FX,
    LATE_DECLARATION,
    NEAR_DUPLICATE,
    NOT_SHIPPED,
    SPLIT,
    STALE,
    Match,
    MatchKind,
    Reconciliation,
)
from gateway.reconcile.records import enrich, record_from_declaration

__all__ = [
    "BUYER_KEY_VERSION",
    "CONFLICT_AMOUNT",
    "CONFLICT_BUYER",
    "CONFLICT_COUNTRY",
    "CONFLICT_CURRENCY",
    "CONFLICT_DUPLICATE",
    "CONFLICT_REASONS",
    "CONSOLIDATED",
    "DATE_GAP",
    "DECLARATION_NOT_FOUND",
    "DUPLICATE_DECLARATION",
    "DUPLICATE_INVOICE",
    "FUZZY",
    "FX",
    "LATE_DECLARATION",
    "NEAR_DUPLICATE",
    "NOT_SHIPPED",
    "SPLIT",
    "STALE",
    "Match",
    "MatchKind",
    "ReconcileConfig",
    "Reconciliation",
    "buyer_key",
    "declaration_key",
    "enrich",
    "invoice_key",
    "reconcile",
    "record_from_declaration",
]

"""ledger stage: the tamper-evident disclosure ledger (docs/ledger.md). Pure: no IO.

Every disclosure becomes an entry in a hash chain; :func:`verify_chain` names the first modified,
deleted, inserted, reordered or (given anchors from insurer receipts) truncated entry, and
:func:`export_bundle` / :func:`verify_bundle` let an auditor check the ledger offline together
with the submissions and receipts it records.
"""

from gateway.ledger.bundle import BUNDLE_FORMAT, entry_from_json, export_bundle, verify_bundle
from gateway.ledger.chain import LedgerVerdict, verify_chain
from gateway.ledger.entry import (
    GENESIS_HASH,
    LEDGER_VERSION,
    LedgerAnchor,
    LedgerEntry,
    entry_hash,
    entry_problem,
    format_recorded_at,
    next_entry,
    receipt_digest,
)

__all__ = [
    "BUNDLE_FORMAT",
    "GENESIS_HASH",
    "LEDGER_VERSION",
    "LedgerAnchor",
    "LedgerEntry",
    "LedgerVerdict",
    "entry_from_json",
    "entry_hash",
    "entry_problem",
    "export_bundle",
    "format_recorded_at",
    "next_entry",
    "receipt_digest",
    "verify_bundle",
    "verify_chain",
]

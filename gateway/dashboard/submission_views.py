"""Read model of one submission's page: each attached record's fields as they left, the
encrypted exposure buckets (named by short fingerprints, never shown), the ledger entry and the
insurer's receipt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gateway.dashboard.ledger_views import decode_receipt, decode_submission
from gateway.ledger import LedgerEntry, receipt_digest
from gateway.model import POLICY_FIELDS
from gateway.sign.payload import SubmissionPayload
from gateway.store import Store, Submission

ROWS_PER_PAGE: Final = 200
_FIELD_ORDER: Final = {name: i for i, name in enumerate(POLICY_FIELDS)}

@dataclass(frozen=True)
class BucketRow:
    """One exposure bucket as sent: its key, how many records, and a short fingerprint of the
    ciphertext (the encrypted total itself is not shown)."""

    buyer: str
    country: str
    currency: str
    maturity_month: str
    records: int
    fingerprint: str


@dataclass(frozen=True)
class ReceiptView:
    receipt_id: str
    insurer: str
    issued_at: datetime
    received_at: datetime
    receipt_sha256: str
    acknowledged_sha256: str
    matches: bool
    anchor_seq: int | None
    anchor_hash: str | None


@dataclass(frozen=True)
class SubmissionDetail:
    submission: Submission
    payload: SubmissionPayload | None
    signed_at: datetime | None
    fields: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    attachments: int
    page: int
    pages: int
    buckets: tuple[BucketRow, ...]
    entry: LedgerEntry | None
    receipt: ReceiptView | None


def fingerprint(ciphertext: str) -> str:
    """A short, stable name for a ciphertext: the first 16 hex digits of its SHA-256."""
    return "sha256:" + hashlib.sha256(ciphertext.encode("ascii")).hexdigest()[:16]


def cell(value: Any) -> str:
    """An attachment value as text: bands as ``lower to upper CUR``, ``null`` as ``(empty)``."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if set(value) == {"currency", "lower", "upper"}:
            upper = "and above" if value["upper"] is None else f"to {value['upper']}"
            return f"{value['lower']} {upper} {value['currency']}"
        return ", ".join(f"{k}: {cell(v)}" for k, v in sorted(value.items()))
    return str(value)


def _fields(payload: SubmissionPayload) -> tuple[str, ...]:
    names = {name for attachment in payload.attachments for name in attachment}
    return tuple(sorted(names, key=lambda n: (_FIELD_ORDER.get(n, len(_FIELD_ORDER)), n)))


def _receipt(store: Store, submission_id: str, payload_sha256: str) -> ReceiptView | None:
    stored = store.get_receipt(submission_id)
    if stored is None:
        return None
    body = decode_receipt(stored.receipt_jws)
    anchor = body.ledger if body is not None else None
    return ReceiptView(
        receipt_id=stored.receipt_id,
        insurer=body.iss if body else "(unreadable)",
        issued_at=datetime.fromtimestamp(body.iat, UTC) if body else stored.received_at,
        received_at=stored.received_at,
        receipt_sha256=receipt_digest(stored.receipt_jws),
        acknowledged_sha256=body.payload_sha256 if body else "",
        matches=body is not None and body.payload_sha256 == payload_sha256,
        anchor_seq=anchor.seq if anchor else None,
        anchor_hash=anchor.hash if anchor else None,
    )


def submission_detail(
    store: Store, submission_id: str, *, page: int = 1
) -> SubmissionDetail | None:
    """What one submission disclosed, page by page; ``None`` for an unknown id."""
    sub = store.get_submission(submission_id)
    if sub is None:
        return None
    payload = decode_submission(sub.jws)
    attachments = payload.attachments if payload else []
    fields = _fields(payload) if payload else ()
    pages = max(1, -(-len(attachments) // ROWS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = attachments[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
    exposure = payload.exposure if payload else None
    buckets = tuple(
        BucketRow(b.key.buyer, b.key.country, b.key.currency, b.key.maturity_month, b.records,
                  fingerprint(b.ciphertext))
        for b in (exposure.buckets if exposure else [])
    )
    entry = next((e for e in store.ledger_entries() if e.submission_id == submission_id), None)
    return SubmissionDetail(
        submission=sub,
        payload=payload,
        signed_at=datetime.fromtimestamp(payload.iat, UTC) if payload else None,
        fields=fields,
        rows=tuple(
            tuple(cell(a[f]) if f in a else "—" for f in fields) for a in shown
        ),
        attachments=len(attachments),
        page=page,
        pages=pages,
        buckets=buckets,
        entry=entry,
        receipt=_receipt(store, submission_id, sub.payload_sha256),
    )

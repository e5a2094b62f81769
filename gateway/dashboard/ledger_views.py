"""Read model of the disclosure ledger: every submission, what it carried, when it was recorded
and under which policy, searchable. One submission's page is read by
:mod:`gateway.dashboard.submission_views`.

Payloads are read from the signed submissions in the outbox. They are decoded with the
verifier's strict parser and validated against the wire model, without checking the signature
again: the gateway signed them itself and the courier checked each receipt when it arrived.

Search by buyer or invoice never uses the typed text beyond computing its keyed pseudonym, with
the same key, canonical form and domain as the transform (:mod:`gateway.transform.pseudonyms`);
the text itself is neither stored nor logged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError
from gateway.ledger import LedgerEntry
from gateway.sign.jws import RECEIPT_TYP, SUBMISSION_TYP
from gateway.sign.payload import ReceiptPayload, SubmissionPayload
from gateway.store import Store, Submission
from gateway.transform.pseudonyms import canonicalise, pseudonym
from gateway.verify.compact import parse_compact

BUYER_FIELD: Final = "buyer.name"
INVOICE_FIELD: Final = "invoice_number"
BUYER_DOMAIN: Final = "buyer"
INVOICE_DOMAIN: Final = "invoice"
MAX_SEARCH_CHARS: Final = 256
SCAN_CHUNK: Final = 500
_CACHE_SIZE: Final = 4096
M = TypeVar("M", bound=BaseModel)


class SearchError(ValueError):
    """A search term the page cannot use; the message names the field, never the value."""


def search_token(key: PseudonymKey, domain: str, text: str) -> str:
    """The pseudonym ``text`` has when it leaves in ``domain`` (``buyer`` or ``invoice``)."""
    if len(text) > MAX_SEARCH_CHARS:
        raise SearchError(f"the {domain} search is longer than {MAX_SEARCH_CHARS} characters")
    if not canonicalise(text):
        raise SearchError(f"the {domain} search is empty")
    return pseudonym(key, domain, text)


@dataclass(frozen=True)
class LedgerFilter:
    """What the ledger is narrowed to; every part is optional."""

    buyer_token: str | None = None
    invoice_token: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    policy_prefix: str | None = None

    @property
    def needs_payload(self) -> bool:
        return self.buyer_token is not None or self.invoice_token is not None


@dataclass(frozen=True)
class LedgerRow:
    """One disclosure. ``recorded_at`` is when it entered the ledger (the insurer's receipt
    arrived); ``None`` while it is still in the outbox. ``day`` is the date searched on."""

    submission_id: str
    run_id: str
    status: str
    signed_at: datetime
    recorded_at: str | None
    day: date
    policy_version: str
    attachments: int | None
    buckets: int | None
    seq: int | None
    receipt_id: str | None


@dataclass(frozen=True)
class LedgerPage:
    rows: tuple[LedgerRow, ...]
    total: int
    page: int
    pages: int
    size: int


@dataclass(frozen=True)
class _Digest:
    attachments: int
    buckets: int | None
    buyer_tokens: frozenset[str]
    invoice_tokens: frozenset[str]


class _Cache:
    """A small thread-safe LRU of decoded payload digests, keyed by (id, payload hash)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[tuple[str, str], _Digest | None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, sub: Submission) -> _Digest | None:
        key = (sub.submission_id, sub.payload_sha256)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        digest = _digest(sub.jws)
        with self._lock:
            self._items[key] = digest
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return digest


_DIGESTS = _Cache(_CACHE_SIZE)


def decode_submission(jws: str) -> SubmissionPayload | None:
    """The payload of a stored submission, or ``None`` if it cannot be read."""
    return _decode(jws, SUBMISSION_TYP, SubmissionPayload)


def decode_receipt(jws: str) -> ReceiptPayload | None:
    """The payload of a stored receipt, or ``None`` if it cannot be read."""
    return _decode(jws, RECEIPT_TYP, ReceiptPayload)


def _decode(jws: str, typ: str, model: type[M]) -> M | None:
    try:
        data = loads_strict(parse_compact(jws, typ=typ).payload_bytes, what="payload",
                            error=VerificationError)
        return model.model_validate(data)
    except (VerificationError, ValidationError):
        return None


def _tokens(payload: SubmissionPayload, field: str) -> frozenset[str]:
    return frozenset(v for a in payload.attachments if isinstance(v := a.get(field), str))


def _digest(jws: str) -> _Digest | None:
    payload = decode_submission(jws)
    if payload is None:
        return None
    return _Digest(
        attachments=len(payload.attachments),
        buckets=None if payload.exposure is None else len(payload.exposure.buckets),
        buyer_tokens=_tokens(payload, BUYER_FIELD),
        invoice_tokens=_tokens(payload, INVOICE_FIELD),
    )


def _all_submissions(store: Store) -> Iterator[Submission]:
    offset = 0
    while True:
        chunk = store.list_submissions(limit=SCAN_CHUNK, offset=offset)
        yield from chunk
        if len(chunk) < SCAN_CHUNK:
            return
        offset += SCAN_CHUNK


def _day(sub: Submission, entry: LedgerEntry | None) -> date:
    if entry is not None:
        return date.fromisoformat(entry.recorded_at[:10])
    return sub.created_at.astimezone(UTC).date()


def _matches(sub: Submission, day: date, flt: LedgerFilter) -> bool:
    if flt.date_from is not None and day < flt.date_from:
        return False
    if flt.date_to is not None and day > flt.date_to:
        return False
    if flt.policy_prefix and not sub.policy_version.startswith(flt.policy_prefix):
        return False
    if not flt.needs_payload:
        return True
    digest = _DIGESTS.get(sub)
    if digest is None:
        return False
    if flt.buyer_token is not None and flt.buyer_token not in digest.buyer_tokens:
        return False
    return flt.invoice_token is None or flt.invoice_token in digest.invoice_tokens


def _row(sub: Submission, entry: LedgerEntry | None, day: date, *, counted: bool) -> LedgerRow:
    digest = _DIGESTS.get(sub) if counted else None
    return LedgerRow(
        submission_id=sub.submission_id,
        run_id=sub.run_id,
        status=sub.status.value,
        signed_at=sub.created_at,
        recorded_at=entry.recorded_at if entry else None,
        day=day,
        policy_version=sub.policy_version,
        attachments=digest.attachments if digest else None,
        buckets=digest.buckets if digest else None,
        seq=entry.seq if entry else None,
        receipt_id=entry.receipt_id if entry else None,
    )


def ledger_page(store: Store, flt: LedgerFilter, *, page: int, size: int) -> LedgerPage:
    """Every submission (newest first) that matches ``flt``, one page of them with counts."""
    entries = {e.submission_id: e for e in store.ledger_entries()}
    matched = []
    for sub in _all_submissions(store):
        entry = entries.get(sub.submission_id)
        day = _day(sub, entry)
        if _matches(sub, day, flt):
            matched.append(_row(sub, entry, day, counted=False))
    pages = max(1, -(-len(matched) // size))
    page = min(max(page, 1), pages)
    rows = []
    for row in matched[(page - 1) * size : page * size]:
        stored = store.get_submission(row.submission_id)
        entry = entries.get(row.submission_id)
        rows.append(row if stored is None else _row(stored, entry, row.day, counted=True))
    return LedgerPage(tuple(rows), len(matched), page, pages, size)

"""Disclosure ledger entries and their hash (docs/ledger.md).

Each entry records one disclosure: which submission, the SHA-256 of its signed payload, the
policy version that decided it, when it was recorded, the SHA-256 of the insurer's receipt and
the ledger head that receipt countersigned. ``hash`` is the SHA-256 of the RFC 8785 canonical
JSON of every other field plus the domain tag ``"v": "ecg.ledger/1"``; ``prev_hash`` links each
entry to the one before (64 zeros for entry 0). Pure: no IO.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from gateway.canonical import canonical_json, sha256_hex

LEDGER_VERSION = "ecg.ledger/1"
GENESIS_HASH = "0" * 64
MAX_ID_CHARS = 128

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_ID = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_ID_CHARS}}}")
_HEX_FIELDS = ("payload_sha256", "policy_version", "receipt_sha256", "prev_hash", "hash")


class LedgerAnchor(NamedTuple):
    """A ledger head ``(seq, hash)``, as countersigned by an insurer receipt."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One link of the disclosure chain."""

    seq: int
    submission_id: str
    payload_sha256: str
    policy_version: str
    recorded_at: str
    receipt_sha256: str
    receipt_id: str
    ledger_anchor: LedgerAnchor | None
    prev_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        """Every field except ``hash``, as plain JSON (the anchor as ``{seq, hash}``)."""
        anchor = self.ledger_anchor
        return {
            "seq": self.seq,
            "submission_id": self.submission_id,
            "payload_sha256": self.payload_sha256,
            "policy_version": self.policy_version,
            "recorded_at": self.recorded_at,
            "receipt_sha256": self.receipt_sha256,
            "receipt_id": self.receipt_id,
            "ledger_anchor": None if anchor is None else {"seq": anchor.seq, "hash": anchor.hash},
            "prev_hash": self.prev_hash,
        }

    def to_json(self) -> dict[str, Any]:
        """The entry as plain JSON, ``hash`` included."""
        return {**self.fields(), "hash": self.hash}

    @property
    def head(self) -> LedgerAnchor:
        """This entry as a ledger head."""
        return LedgerAnchor(self.seq, self.hash)


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``fields`` (minus ``hash``) plus the domain tag."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    body["v"] = LEDGER_VERSION
    return sha256_hex(canonical_json(body))


def receipt_digest(receipt_jws: str) -> str:
    """``receipt_sha256``: SHA-256 hex of the receipt's compact JWS, as ASCII bytes."""
    return sha256_hex(receipt_jws.encode("ascii"))


def format_recorded_at(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    if moment.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_entry(
    head: LedgerAnchor | None,
    *,
    submission_id: str,
    payload_sha256: str,
    policy_version: str,
    recorded_at: str,
    receipt_sha256: str,
    receipt_id: str,
    ledger_anchor: LedgerAnchor | None = None,
) -> LedgerEntry:
    """The entry that follows ``head`` (``None``: the first entry), with its hash computed."""
    seq, prev = (0, GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
    unsealed = LedgerEntry(
        seq, submission_id, payload_sha256, policy_version, recorded_at, receipt_sha256,
        receipt_id, ledger_anchor, prev, "",
    )
    return dataclasses.replace(unsealed, hash=entry_hash(unsealed.fields()))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def entry_problem(entry: LedgerEntry) -> str | None:
    """Why ``entry`` is malformed (naming the field, never its value), or ``None``."""
    if not _is_count(entry.seq):
        return "seq is not a non-negative integer"
    for name in ("submission_id", "receipt_id"):
        value = getattr(entry, name)
        if not isinstance(value, str) or not _ID.fullmatch(value):
            return f"{name} is not an identifier"
    for name in _HEX_FIELDS:
        value = getattr(entry, name)
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            return f"{name} is not 64 lower-case hex digits"
    if not isinstance(entry.recorded_at, str) or not _TIME.fullmatch(entry.recorded_at):
        return "recorded_at is not YYYY-MM-DDTHH:MM:SSZ"
    anchor = entry.ledger_anchor
    if anchor is not None and not (
        isinstance(anchor, LedgerAnchor)
        and _is_count(anchor.seq)
        and isinstance(anchor.hash, str)
        and _HEX64.fullmatch(anchor.hash)
    ):
        return "ledger_anchor is not {seq, hash}"
    return None

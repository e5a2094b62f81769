"""Verifying the disclosure chain: modified, deleted, inserted, reordered or truncated entries.

The chain alone proves that no entry was changed, removed, added or moved *inside* it; it cannot
prove that entries were not cut off the end, because a shorter chain is still a valid chain. That
is what anchors are for: ledger heads ``(seq, hash)`` known from outside, from the insurer's
signed receipts, which countersign the head when each submission is accepted. An anchor beyond
the last entry, or whose hash differs from the entry at its ``seq``, means the ledger was
truncated or rewritten. Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.canonical import CanonicalJSONError
from gateway.errors import VerificationError
from gateway.ledger.entry import GENESIS_HASH, LedgerEntry, entry_hash, entry_problem

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class LedgerVerdict:
    """``ok``, or the first bad entry's ``seq`` and what is wrong with it."""

    ok: bool
    first_bad_seq: int | None
    problem: str

    @staticmethod
    def good(count: int) -> LedgerVerdict:
        return LedgerVerdict(True, None, f"{count} entries verified")

    @staticmethod
    def bad(seq: int, problem: str) -> LedgerVerdict:
        return LedgerVerdict(False, seq, f"entry {seq}: {problem}")


def first_of(*verdicts: LedgerVerdict | None) -> LedgerVerdict | None:
    """The failing verdict with the smallest ``first_bad_seq`` (the first one given on a tie)."""
    failing = [v for v in verdicts if v is not None and not v.ok]
    return min(failing, key=lambda v: v.first_bad_seq or 0) if failing else None


def _link_problem(position: int, entry: LedgerEntry, prev_hash: str) -> str | None:
    if entry.seq != position:
        return (
            "its seq is not its position: an entry was deleted, inserted or moved"
        )
    problem = entry_problem(entry)
    if problem is not None:
        return f"malformed: {problem}"
    try:
        recomputed = entry_hash(entry.fields())
    except CanonicalJSONError:
        return "malformed: not canonical JSON material"
    if recomputed != entry.hash:
        return "hash does not match the entry's content: the entry was modified or renumbered"
    if entry.prev_hash != prev_hash:
        return (
            "prev_hash does not match the previous entry's hash: an entry before it was "
            "deleted, inserted or moved"
        )
    return None


def _chain(entries: Sequence[LedgerEntry]) -> LedgerVerdict | None:
    prev_hash = GENESIS_HASH
    for position, entry in enumerate(entries):
        problem = _link_problem(position, entry, prev_hash)
        if problem is not None:
            return LedgerVerdict.bad(position, problem)
        prev_hash = entry.hash
    return None


def _anchor(entries: Sequence[LedgerEntry], seq: int, digest: str, source: str) -> str | None:
    if seq >= len(entries):
        return (
            f"missing, but {source} countersigned the ledger up to entry {seq}: "
            "the ledger was truncated"
        )
    if entries[seq].hash != digest:
        return f"hash differs from the one {source} countersigned: the ledger was rewritten"
    return None


def _anchors(
    entries: Sequence[LedgerEntry], anchors: Iterable[tuple[int, str]]
) -> LedgerVerdict | None:
    found: list[LedgerVerdict] = []
    for seq, digest in anchors:
        problem = _anchor(entries, seq, digest, "an insurer receipt")
        if problem is not None:
            found.append(LedgerVerdict.bad(min(seq, len(entries)), problem))
    for entry in entries:  # each entry's own anchor must point back into the chain
        anchor = entry.ledger_anchor
        if anchor is None:
            continue
        if anchor.seq >= entry.seq:
            found.append(LedgerVerdict.bad(entry.seq, "ledger_anchor is not an earlier entry"))
        elif entries[anchor.seq].hash != anchor.hash:
            found.append(LedgerVerdict.bad(
                anchor.seq, f"hash differs from the head entry {entry.seq}'s receipt countersigned"
            ))
    return first_of(*found)


def _checked(anchors: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    checked = []
    for seq, digest in anchors:
        if not (isinstance(seq, int) and 0 <= seq < 2**53 and isinstance(digest, str)
                and _HEX64.fullmatch(digest)):
            raise VerificationError("a ledger anchor must be (seq >= 0, 64 lower-case hex)")
        checked.append((seq, digest))
    return checked


def verify_chain(
    entries: Sequence[LedgerEntry], *, anchors: Iterable[tuple[int, str]] = ()
) -> LedgerVerdict:
    """Check every link, then every anchor; the verdict names the first bad entry.

    A malformed anchor (not a non-negative ``seq`` and 64 hex digits) is a
    :class:`gateway.errors.VerificationError`: it is the caller's input, not the ledger's.
    """
    entries = list(entries)
    anchors = _checked(anchors)
    chain = _chain(entries)
    if chain is not None:
        # Anchors are only compared with a well-formed prefix of the chain.
        prefix = entries[: chain.first_bad_seq]
        outside = _anchors(prefix, [a for a in anchors if a[0] < len(prefix)])
        return first_of(outside, chain) or chain
    return first_of(_anchors(entries, anchors)) or LedgerVerdict.good(len(entries))

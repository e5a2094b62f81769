"""Ledger entries, their hash and verify_chain's verdict on every kind of tampering."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from gateway.errors import VerificationError
from gateway.ledger import (
    GENESIS_HASH,
    LedgerAnchor,
    LedgerEntry,
    entry_hash,
    entry_problem,
    next_entry,
    verify_chain,
)


def _chain(count: int, *, anchored: bool = False) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    head: LedgerAnchor | None = None
    for i in range(count):
        entry = next_entry(
            head,
            submission_id=f"sub_{i:032x}",
            payload_sha256=f"{i:064x}",
            policy_version="ab" * 32,
            recorded_at=f"2026-01-01T00:00:{i:02d}Z",
            receipt_sha256=f"{i + 1000:064x}",
            receipt_id=f"rcpt_{i:032x}",
            ledger_anchor=head if anchored else None,
        )
        entries.append(entry)
        head = entry.head
    return entries


def _rehash(entry: LedgerEntry, **changes: object) -> LedgerEntry:
    changed = dataclasses.replace(entry, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(changed, hash=entry_hash(changed.fields()))


def _relink(entries: list[LedgerEntry], start: int) -> list[LedgerEntry]:
    """What an attacker with write access does: recompute every link from ``start`` on."""
    out = entries[:start]
    for entry in entries[start:]:
        prev = out[-1].hash if out else GENESIS_HASH
        out.append(_rehash(entry, seq=len(out), prev_hash=prev))
    return out


def test_hash_is_sha256_of_canonical_json_with_the_domain_tag() -> None:
    entry = _chain(1)[0]
    body = {**entry.fields(), "v": "ecg.ledger/1"}
    # Plain ASCII content: sorted compact JSON is exactly its RFC 8785 form.
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert entry.hash == expected
    assert entry_hash(entry.to_json()) == expected  # ``hash`` itself is never hashed
    assert entry_hash({**entry.fields(), "v": "other/1"}) == expected  # the tag is fixed


def test_entries_link_from_genesis_with_consecutive_numbers() -> None:
    entries = _chain(4)
    assert [e.seq for e in entries] == [0, 1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert len({e.hash for e in entries}) == 4
    assert verify_chain(entries) == verify_chain(entries, anchors=[(3, entries[3].hash)])
    assert verify_chain(entries).ok and verify_chain(entries).first_bad_seq is None


def test_empty_ledger_is_intact_but_not_if_a_receipt_anchored_it() -> None:
    assert verify_chain([]).ok
    verdict = verify_chain([], anchors=[(0, "1" * 64)])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 0)


@pytest.mark.parametrize("field", ["payload_sha256", "receipt_sha256", "policy_version"])
def test_a_modified_field_is_found_at_its_entry(field: str) -> None:
    entries = _chain(5)
    entries[2] = dataclasses.replace(entries[2], **{field: "e" * 64})
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)
    assert "modified" in verdict.problem


def test_a_modified_and_rehashed_entry_breaks_the_next_link() -> None:
    entries = _chain(5)
    entries[2] = _rehash(entries[2], payload_sha256="e" * 64)
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)
    assert "prev_hash" in verdict.problem


def test_a_deleted_entry_is_found_where_it_was() -> None:
    entries = _chain(5)
    del entries[1]
    assert verify_chain(entries).first_bad_seq == 1


def test_a_deleted_entry_with_the_rest_relinked_is_caught_by_an_anchor() -> None:
    original = _chain(5)
    forged = _relink(original[:1] + original[2:], 1)
    assert verify_chain(forged).ok  # a full rewrite is a valid chain...
    verdict = verify_chain(forged, anchors=[(3, original[3].hash)])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)  # ...but not the one countersigned


def test_an_inserted_entry_is_found() -> None:
    entries = _chain(4)
    naive = dataclasses.replace(entries[2], submission_id="sub_" + "f" * 32)  # stale hash
    assert verify_chain([*entries[:2], naive, *entries[2:]]).first_bad_seq == 2
    # A well-forged entry (right seq, prev_hash and hash) is only out of place where the
    # original it displaced no longer fits: at the next position...
    forged = _rehash(entries[2], submission_id="sub_" + "f" * 32)
    inserted = [*entries[:2], forged, *entries[2:]]
    verdict = verify_chain(inserted)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)
    # ...unless a receipt countersigned the original entry 2.
    assert verify_chain(inserted, anchors=[(2, entries[2].hash)]).first_bad_seq == 2


def test_reordered_entries_are_found_at_the_first_moved_one() -> None:
    entries = _chain(5)
    entries[1], entries[3] = entries[3], entries[1]
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)
    assert "moved" in verdict.problem


def test_tail_truncation_is_invisible_without_an_anchor_by_design() -> None:
    entries = _chain(6)
    assert verify_chain(entries[:4]).ok


def test_tail_truncation_is_found_with_an_anchor_from_a_receipt() -> None:
    entries = _chain(6)
    verdict = verify_chain(entries[:4], anchors=[(5, entries[5].hash), (1, entries[1].hash)])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 4)
    assert "truncated" in verdict.problem and "5" in verdict.problem


def test_an_anchor_with_another_hash_names_its_entry() -> None:
    entries = _chain(4)
    verdict = verify_chain(entries, anchors=[(2, "0" * 63 + "1")])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)
    assert "rewritten" in verdict.problem


def test_entry_anchors_must_point_back_to_the_chain() -> None:
    entries = _chain(4, anchored=True)
    assert verify_chain(entries).ok
    changed = _rehash(entries[1], receipt_id="rcpt_" + "e" * 32)
    rewritten = _relink([entries[0], changed, *entries[2:]], 1)
    verdict = verify_chain(rewritten)  # entries 2 and 3 still name the old heads
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)
    future = _rehash(entries[1], ledger_anchor=LedgerAnchor(3, entries[3].hash))
    assert verify_chain(_relink([entries[0], future, *entries[2:]], 1)).first_bad_seq == 1


def test_an_earlier_anchor_mismatch_wins_over_a_later_chain_break() -> None:
    entries = _chain(5)
    entries[3] = dataclasses.replace(entries[3], recorded_at="2026-01-02T00:00:00Z")
    verdict = verify_chain(entries, anchors=[(1, "9" * 64)])
    assert verdict.first_bad_seq == 1


def test_a_malformed_entry_is_named_without_its_value() -> None:
    entries = _chain(3)
    entries[1] = _rehash(entries[1], payload_sha256="SECRET-not-hex")
    assert entry_problem(entries[1]) == "payload_sha256 is not 64 lower-case hex digits"
    verdict = verify_chain(entries)
    assert verdict.first_bad_seq == 1 and "SECRET" not in verdict.problem


@pytest.mark.parametrize("anchor", [(-1, "a" * 64), (0, "A" * 64), (0, "a" * 63)])
def test_a_malformed_anchor_is_the_callers_error(anchor: tuple[int, str]) -> None:
    with pytest.raises(VerificationError):
        verify_chain(_chain(2), anchors=[anchor])

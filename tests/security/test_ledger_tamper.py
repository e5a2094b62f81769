"""Tampering with the disclosure ledger in the SQLite file itself, as someone with file access.

Each test edits a real store file with ``sqlite3`` and checks that verification names the first
bad entry. Cutting off the tail leaves a valid shorter chain: it is found only with an anchor,
a head countersigned by an insurer receipt (docs/ledger.md).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.ledger import LedgerVerdict, verify_chain
from gateway.store import SqliteStore

COUNT = 6


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "gateway.db")
    for i in range(COUNT):
        head = store.ledger_head()
        store.append_ledger(
            submission_id=f"sub_{i:032x}",
            payload_sha256=f"{i:064x}",
            policy_version="ab" * 32,
            receipt_sha256=f"{i + 500:064x}",
            receipt_id=f"rcpt_{i:032x}",
            ledger_anchor=head,
        )
    assert verify_chain(store.ledger_entries()).ok
    return store


def _tamper(store: SqliteStore, *statements: str) -> LedgerVerdict:
    with sqlite3.connect(store.path) as conn:
        for statement in statements:
            conn.execute(statement)
    return verify_chain(SqliteStore(store.path).ledger_entries())


def test_modified_entry_is_detected(store: SqliteStore) -> None:
    verdict = _tamper(store, f"UPDATE ledger SET payload_sha256 = '{'f' * 64}' WHERE seq = 3")
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)


def test_deleted_entry_is_detected(store: SqliteStore) -> None:
    verdict = _tamper(store, "DELETE FROM ledger WHERE seq = 2")
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)


def test_deleted_entry_with_renumbering_is_detected(store: SqliteStore) -> None:
    verdict = _tamper(
        store, "DELETE FROM ledger WHERE seq = 2",
        *(f"UPDATE ledger SET seq = {s - 1} WHERE seq = {s}" for s in range(3, COUNT)),
    )
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)


def test_inserted_entry_is_detected(store: SqliteStore) -> None:
    """A forged row at the end whose hash the forger could not make fit."""
    row = store.ledger_entries()[-1]
    verdict = _tamper(
        store,
        "INSERT INTO ledger (seq, submission_id, payload_sha256, policy_version, recorded_at, "
        "receipt_sha256, receipt_id, prev_hash, hash) VALUES "
        f"({COUNT}, 'sub_{'f' * 32}', '{'1' * 64}', '{'ab' * 32}', '2026-01-01T00:00:00Z', "
        f"'{'2' * 64}', 'rcpt_{'f' * 32}', '{row.hash}', '{'3' * 64}')",
    )
    assert (verdict.ok, verdict.first_bad_seq) == (False, COUNT)


def test_inserted_entry_in_the_middle_is_detected(store: SqliteStore) -> None:
    """Shift the later rows up one and copy entry 1 into the gap, hash and all."""
    shift = [f"UPDATE ledger SET seq = {s + 1} WHERE seq = {s}" for s in range(COUNT - 1, 1, -1)]
    copy = (
        "INSERT INTO ledger SELECT 2, 'sub_' || hex(randomblob(16)), payload_sha256, "
        "policy_version, recorded_at, receipt_sha256, receipt_id, anchor_seq, anchor_hash, "
        "prev_hash, hash FROM ledger WHERE seq = 1"
    )
    verdict = _tamper(store, *shift, copy)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)


def test_reordered_entries_are_detected(store: SqliteStore) -> None:
    verdict = _tamper(
        store,
        "UPDATE ledger SET seq = 100 WHERE seq = 1",
        "UPDATE ledger SET seq = 1 WHERE seq = 4",
        "UPDATE ledger SET seq = 4 WHERE seq = 100",
    )
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)


def test_truncated_tail_is_undetectable_without_an_anchor_by_design(store: SqliteStore) -> None:
    verdict = _tamper(store, "DELETE FROM ledger WHERE seq >= 4")
    assert verdict.ok  # a shorter chain is a valid chain: this is why receipts carry the head


def test_truncated_tail_is_detected_with_an_insurer_anchor(store: SqliteStore) -> None:
    anchor = store.ledger_head()
    assert anchor is not None
    _tamper(store, "DELETE FROM ledger WHERE seq >= 4")
    verdict = verify_chain(store.ledger_entries(), anchors=[anchor])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 4)
    assert "truncated" in verdict.problem


def test_truncated_and_regrown_tail_is_detected_with_an_insurer_anchor(
    store: SqliteStore,
) -> None:
    """Cut entries 4 and 5, then append a new entry 4: a valid chain, but not the signed one."""
    old = store.ledger_entries()
    _tamper(store, "DELETE FROM ledger WHERE seq >= 4")
    store.append_ledger(
        submission_id="sub_" + "e" * 32, payload_sha256="e" * 64, policy_version="ab" * 32,
        receipt_sha256="d" * 64, receipt_id="rcpt_" + "e" * 32, ledger_anchor=store.ledger_head(),
    )
    entries = store.ledger_entries()
    assert verify_chain(entries).ok
    assert verify_chain(entries, anchors=[old[4].head]).first_bad_seq == 4
    assert verify_chain(entries, anchors=[old[5].head]).first_bad_seq == 5

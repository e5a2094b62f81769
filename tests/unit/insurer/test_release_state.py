"""Accepted hub releases in the insurer's SQLite state: once per period, durable, exact."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from gateway.examples.insurer_api.release_rows import Outcome
from gateway.examples.insurer_api.state import InsurerState
from tests.unit.insurer.release_kit import BUYER_A, decrypted

_counter = itertools.count()


def _receipt() -> tuple[str, str]:
    n = next(_counter)
    return f"rcpt_{n:032x}", f"receipt-{n}"


def test_a_release_is_stored_once_per_period_and_survives_reopening(tmp_path: Path) -> None:
    huge = 2**70 + 3  # beyond SQLite's 64-bit integers
    release = decrypted("2026-05", [(BUYER_A, "DE", "EUR", huge)], [("FR", "EUR", 2, -5)])
    state = InsurerState(tmp_path / "s.db")
    created, receipt = state.accept_release(release, "jws-text", _receipt)
    replay, again = state.accept_release(release, "jws-text", _receipt)
    assert (created, replay) == (Outcome.CREATED, Outcome.REPLAY) and again == receipt
    assert InsurerState(tmp_path / "s.db").release("2026-05") == release


def test_another_release_for_a_released_period_or_id_is_a_conflict(tmp_path: Path) -> None:
    state = InsurerState(tmp_path / "s.db")
    first = decrypted("2026-05", [(BUYER_A, "DE", "EUR", 1)])
    state.accept_release(first, "a", _receipt)
    other = dataclasses.replace(first, release_id="rel_" + "1" * 32, sha256="1" * 64)
    assert state.accept_release(other, "b", _receipt) == (Outcome.CONFLICT, None)
    same_id = dataclasses.replace(first, period="2026-06", sha256="2" * 64)
    assert state.accept_release(same_id, "c", _receipt) == (Outcome.CONFLICT, None)
    assert state.released_periods() == ["2026-05"]
    assert state.release("2026-05") == first


def test_previous_release_is_the_latest_earlier_period(tmp_path: Path) -> None:
    state = InsurerState(tmp_path / "s.db")
    for period in ("2026-01", "2026-03", "2026-06"):
        state.accept_release(decrypted(period, [(BUYER_A, "DE", "EUR", 1)]), period, _receipt)
    previous = state.previous_release("2026-06")
    assert previous is not None and previous.period == "2026-03"
    assert state.previous_release("2026-01") is None
    assert state.released_periods() == ["2026-06", "2026-03", "2026-01"]
    assert state.release("2026-02") is None

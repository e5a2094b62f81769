"""Forged and unsigned receipts: the gateway never takes them for the insurer's word.

An attacker on the path (or a broken insurer) answers a delivered submission with a receipt whose
signature is stripped, whose header says ``alg: none``, or that is signed by another key under the
insurer's ``kid`` or its own. Delivery keeps no receipt and writes no ledger entry; the entry is
retried, and the insurer's replay of its genuine receipt closes it, or it is dead-lettered.

Real parts: the reference insurer on loopback HTTP behind a fault-injecting proxy that is itself
a real HTTP server (tests/integration/faults.py), the gateway's SQLite store and pipeline.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.crypto import generate_signing_key
from gateway.store import SubmissionStatus
from tests.integration.delivery_harness import SETTINGS, Harness
from tests.integration.faults import Receipt, alg_none, resign, strip_signature

_ATTACKER = generate_signing_key()


@pytest.mark.parametrize(
    "change",
    [strip_signature, alg_none, resign(_ATTACKER), resign(_ATTACKER, own_kid=True)],
    ids=["signature-stripped", "alg-none", "forged-under-insurer-kid", "unknown-kid"],
)
def test_a_receipt_that_fails_verification_leaves_no_receipt_and_no_ledger_entry(
    h: Harness, change: Any
) -> None:
    (sid,) = h.process()
    h.proxy.script(Receipt(change))
    report = h.deliver()
    assert report.delivered == 0 and set(report.failed) == {sid}
    h.assert_failed(sid, "VerificationError", status=SubmissionStatus.FAILED)
    assert h.store.ledger_entries() == []
    assert h.retry().delivered == 1  # the insurer replays its original, genuine receipt
    h.assert_delivered_once([sid])


def test_a_receipt_that_never_verifies_is_dead_after_max_attempts(h: Harness) -> None:
    (sid,) = h.process()
    settings = SETTINGS.model_copy(update={"max_attempts": 3})
    h.proxy.script(*[Receipt(alg_none)] * 3)
    for _ in range(3):
        h.retry(settings)
    h.assert_failed(sid, "gave up after 3 attempts", status=SubmissionStatus.DEAD)
    h.assert_failed(sid, "VerificationError", status=SubmissionStatus.DEAD)
    assert h.retry(settings).delivered == 0  # dead: not sent again
    assert h.proxy.received == 3 and h.store.ledger_entries() == []

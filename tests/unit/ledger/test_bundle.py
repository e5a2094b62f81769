"""The auditor's bundle: export, JSON round trip, offline verification and tampered evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.crypto import SigningKey, generate_signing_key
from gateway.crypto.b64 import b64url_decode
from gateway.ledger import BUNDLE_FORMAT, export_bundle, next_entry, receipt_digest, verify_bundle
from gateway.sign import build_jwks, sign_receipt

Build = Callable[[int], Any]  # the ``build_ledger`` fixture (conftest.py) returning Evidence


def _bundle(evidence: Any) -> dict[str, Any]:
    bundle = export_bundle(evidence.entries, evidence.submissions, evidence.receipts)
    loaded: dict[str, Any] = json.loads(json.dumps(bundle))  # what an auditor receives
    return loaded


def _jwks(signing_key: SigningKey, insurer_key: SigningKey) -> dict[str, Any]:
    return {
        "gateway_jwks": build_jwks([signing_key]),
        "receipt_jwks": build_jwks([insurer_key]),
    }


def test_a_bundle_round_trips_and_verifies_with_signatures(
    build_ledger: Build, signing_key: SigningKey, insurer_key: SigningKey
) -> None:
    evidence = build_ledger(4)
    bundle = _bundle(evidence)
    assert bundle["format"] == BUNDLE_FORMAT
    assert [e["seq"] for e in bundle["entries"]] == [0, 1, 2, 3]
    assert set(bundle["submissions"]) == {e.submission_id for e in evidence.entries}
    verdict = verify_bundle(bundle, **_jwks(signing_key, insurer_key))
    assert verdict.ok, verdict.problem
    assert verify_bundle(bundle).ok  # hashes and claims alone, without keys


def test_changed_receipt_bytes_are_found_at_their_entry(
    build_ledger: Build, insurer_key: SigningKey
) -> None:
    evidence = build_ledger(4)
    bundle = _bundle(evidence)
    rid = evidence.entries[2].receipt_id
    head, body, signature = bundle["receipts"][rid].split(".")
    flipped = "Q" if signature[-1] == "A" else "A"  # always a different last character
    bundle["receipts"][rid] = f"{head}.{body}.{signature[:-1]}{flipped}"
    verdict = verify_bundle(bundle)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)
    assert "receipt_sha256" in verdict.problem


def test_a_receipt_forged_and_rehashed_into_the_ledger_fails_its_signature(
    build_ledger: Build, signing_key: SigningKey, insurer_key: SigningKey
) -> None:
    """The exporter rewrites entry 3's receipt, re-signed with a key that is not the insurer's."""
    evidence = build_ledger(4)
    last = evidence.entries[3]
    claims = json.loads(b64url_decode(evidence.receipts[last.receipt_id].split(".")[1]))
    forged = sign_receipt(claims, generate_signing_key())
    evidence.entries[3] = next_entry(
        evidence.entries[2].head, submission_id=last.submission_id,
        payload_sha256=last.payload_sha256, policy_version=last.policy_version,
        recorded_at=last.recorded_at, receipt_sha256=receipt_digest(forged),
        receipt_id=last.receipt_id, ledger_anchor=last.ledger_anchor,
    )
    evidence.receipts[last.receipt_id] = forged
    bundle = _bundle(evidence)
    assert verify_bundle(bundle).ok  # without the insurer's key this cannot be told apart
    verdict = verify_bundle(bundle, **_jwks(signing_key, insurer_key))
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)
    assert "does not verify" in verdict.problem


def test_a_swapped_submission_breaks_its_payload_hash(build_ledger: Build) -> None:
    evidence = build_ledger(3)
    bundle = _bundle(evidence)
    first, second = (e.submission_id for e in evidence.entries[:2])
    subs = bundle["submissions"]
    subs[first], subs[second] = subs[second], subs[first]
    verdict = verify_bundle(bundle)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 0)
    assert "payload_sha256" in verdict.problem


def test_submissions_under_another_gateway_key_do_not_verify(
    build_ledger: Build, insurer_key: SigningKey
) -> None:
    bundle = _bundle(build_ledger(2))
    verdict = verify_bundle(bundle, gateway_jwks=build_jwks([generate_signing_key()]))
    assert (verdict.ok, verdict.first_bad_seq) == (False, 0)


def test_missing_evidence_is_named(build_ledger: Build) -> None:
    evidence = build_ledger(3)
    del evidence.receipts[evidence.entries[1].receipt_id]
    verdict = verify_bundle(_bundle(evidence))
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)
    assert "missing" in verdict.problem


def test_a_truncated_bundle_is_found_with_the_insurers_anchor(build_ledger: Build) -> None:
    evidence = build_ledger(4)
    head = evidence.entries[3].head
    short = export_bundle(evidence.entries[:2], evidence.submissions, evidence.receipts)
    assert verify_bundle(short).ok
    verdict = verify_bundle(short, anchors=[head])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)


def test_a_malformed_entry_is_named_by_position(build_ledger: Build) -> None:
    bundle = _bundle(build_ledger(3))
    del bundle["entries"][1]["recorded_at"]
    verdict = verify_bundle(bundle)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)
    assert "malformed" in verdict.problem


@pytest.mark.parametrize(
    "document", [[], {"format": "ecg.ledger-bundle/2", "entries": [], "submissions": {},
                      "receipts": {}}, {"format": BUNDLE_FORMAT}],
)
def test_a_document_that_is_not_a_bundle_is_refused(document: Any) -> None:
    verdict = verify_bundle(document)
    assert (verdict.ok, verdict.first_bad_seq) == (False, None)

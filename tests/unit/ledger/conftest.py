"""A real ledger: submissions signed by the gateway, receipts signed by an insurer key.

Each submission carries the ledger head at signing time, each receipt countersigns it, and each
entry records it as ``ledger_anchor``, as the delivery path does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import SigningKey, generate_signing_key
from gateway.ledger import LedgerAnchor, LedgerEntry, next_entry, receipt_digest
from gateway.sign import sign_receipt, sign_submission


@dataclass
class Evidence:
    entries: list[LedgerEntry]
    submissions: dict[str, str]
    receipts: dict[str, str]


@pytest.fixture(scope="session")
def insurer_key() -> SigningKey:
    return generate_signing_key()


def _receipt(
    i: int, submission_id: str, body_sha: str, head: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "schema": "ecg.receipt/1",
        "jti": f"rcpt_{i:032x}",
        "iss": "insurer-ksure",
        "aud": "exporter-kr-001",
        "iat": 1_767_225_700 + i,
        "submission_id": submission_id,
        "payload_sha256": body_sha,
        "status": "accepted",
        "attachments": 2,
        "buckets": 2,
        "ledger": head,
    }


@pytest.fixture
def build_ledger(
    submission_payload: dict[str, Any], signing_key: SigningKey, insurer_key: SigningKey
) -> Callable[[int], Evidence]:
    def build(count: int) -> Evidence:
        evidence = Evidence([], {}, {})
        head: LedgerAnchor | None = None
        for i in range(count):
            anchor = None if head is None else head._asdict()
            payload = copy.deepcopy(submission_payload)
            payload["jti"] = f"sub_{i:032x}"
            payload["ledger"] = anchor
            body_sha = sha256_hex(canonical_json(payload))
            submission = sign_submission(payload, signing_key)
            receipt = sign_receipt(_receipt(i, payload["jti"], body_sha, anchor), insurer_key)
            entry = next_entry(
                head,
                submission_id=payload["jti"],
                payload_sha256=body_sha,
                policy_version=payload["policy"]["version"],
                recorded_at="2026-01-01T00:00:00Z",
                receipt_sha256=receipt_digest(receipt),
                receipt_id=f"rcpt_{i:032x}",
                ledger_anchor=head,
            )
            evidence.entries.append(entry)
            evidence.submissions[entry.submission_id] = submission
            evidence.receipts[entry.receipt_id] = receipt
            head = entry.head
        return evidence

    return build

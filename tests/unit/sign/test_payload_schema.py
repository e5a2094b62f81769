"""The wire schema: what a submission may and may not carry."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.sign import ReceiptPayload, SubmissionPayload
from gateway.sign.payload import MAX_ATTACHMENTS, describe_errors


def test_sample_payload_is_valid_and_dumps_back_unchanged(
    submission_payload: dict[str, Any],
) -> None:
    model = SubmissionPayload.model_validate(submission_payload)
    assert model.model_dump(mode="json", by_alias=True) == submission_payload
    assert model.exposure is not None and model.exposure.buckets[1].key.buyer == "*"
    with pytest.raises(ValidationError):
        model.iat = 0


def _set(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    target: Any = out
    *parents, last = path.split("/")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("schema", "ecg.submission/2"),
        ("jti", "sub_" + "A" * 32),
        ("jti", "run_" + "a" * 32),
        ("iss", "exporter with spaces"),
        ("aud", ""),
        ("iat", -1),
        ("iat", "1767225600"),
        ("iat", True),
        ("policy/version", "AB" * 32),
        ("batch/run_id", "run_123"),
        ("batch/sequence", -1),
        ("batch/final", "yes"),
        ("attachments/0/line_items", [{"description": "x"}]),
        ("attachments/0/amount_band", {"nested": {"too": "deep"}}),
        ("attachments/0/bad key!", "x"),
        ("attachments/0/price", 2**53),
        ("exposure/key_fingerprint", "sha1:" + "0" * 40),
        ("exposure/encoding", {"unit": "minor", "exponent": -2}),
        ("exposure/encoding", {"unit": "major", "exponent": 0}),
        ("exposure/buckets/0/records", 0),
        ("exposure/buckets/0/key/country", "usa"),
        ("exposure/buckets/0/key/currency", "us$"),
        ("exposure/buckets/0/key/maturity_month", "2026-13"),
        ("exposure/buckets/0/key/buyer", "line\nbreak"),
        ("exposure/buckets/0/ciphertext", "not base64url!"),
        (
            "exposure/buckets/1/key",
            {
                "buyer": "pby_psk-20260101-a1b2c3_4f9d",
                "country": "US",
                "currency": "USD",
                "maturity_month": "2026-04",
            },
        ),
        ("exposure/suppressed_records", -3),
        ("exposure/unknown", 1),
    ],
)
def test_invalid_members_are_refused(
    submission_payload: dict[str, Any], path: str, value: Any
) -> None:
    with pytest.raises(ValidationError):
        SubmissionPayload.model_validate(_set(submission_payload, path, value))


def test_every_member_is_required(submission_payload: dict[str, Any]) -> None:
    for name in submission_payload:
        partial = {k: v for k, v in submission_payload.items() if k != name}
        with pytest.raises(ValidationError):
            SubmissionPayload.model_validate(partial)
    assert (
        SubmissionPayload.model_validate({**submission_payload, "exposure": None}).exposure is None
    )


def test_attachment_count_is_bounded(submission_payload: dict[str, Any]) -> None:
    many = {**submission_payload, "attachments": [{}] * (MAX_ATTACHMENTS + 1)}
    with pytest.raises(ValidationError):
        SubmissionPayload.model_validate(many)


def test_receipt_schema() -> None:
    receipt = {
        "schema": "ecg.receipt/1",
        "jti": "rcpt_" + "1" * 32,
        "iss": "insurer-ksure",
        "aud": "exporter-kr-001",
        "iat": 1,
        "submission_id": "sub_" + "2" * 32,
        "payload_sha256": "cd" * 32,
        "status": "accepted",
        "attachments": 0,
        "buckets": 0,
        "ledger": None,
    }
    assert ReceiptPayload.model_validate(receipt).model_dump(mode="json", by_alias=True) == receipt
    for change in ({"status": "rejected"}, {"jti": "sub_" + "1" * 32}, {"payload_sha256": "x"}):
        with pytest.raises(ValidationError):
            ReceiptPayload.model_validate({**receipt, **change})


def test_error_descriptions_hide_values_and_odd_keys(submission_payload: dict[str, Any]) -> None:
    bad = _set(submission_payload, "attachments/0/Acme Secret Buyer Ltd", "Acme Secret Buyer Ltd")
    bad = _set(bad, "iss", "Acme Secret Buyer Ltd")
    with pytest.raises(ValidationError) as info:
        SubmissionPayload.model_validate(bad)
    text = describe_errors(info.value)
    assert "Acme" not in text
    assert "iss:" in text and "attachments.0.<key>" in text

"""verify_receipt: the exporter's check of the insurer's signed acknowledgement."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.crypto import SigningKey, generate_signing_key
from gateway.errors import VerificationError
from gateway.sign import build_jwks, sign_receipt, sign_submission
from gateway.verify import verify_receipt
from tests.support import sample_receipt

NOW = 1_767_225_700


@pytest.fixture(scope="module")
def insurer_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def receipt() -> dict[str, Any]:
    return sample_receipt()


def test_a_signed_receipt_verifies(receipt: dict[str, Any], insurer_key: SigningKey) -> None:
    result = verify_receipt(
        sign_receipt(receipt, insurer_key),
        build_jwks([insurer_key]),
        submission_id=receipt["submission_id"],
        audience="exporter-kr-001",
        now=NOW,
    )
    assert result.kid == insurer_key.kid
    assert result.payload.payload_sha256 == "cd" * 32
    assert result.payload.model_dump(mode="json", by_alias=True) == receipt


def test_receipt_for_another_submission_is_refused(
    receipt: dict[str, Any], insurer_key: SigningKey
) -> None:
    jws = sign_receipt(receipt, insurer_key)
    with pytest.raises(VerificationError, match="different submission"):
        verify_receipt(jws, build_jwks([insurer_key]), submission_id="sub_" + "f" * 32, now=NOW)


def test_receipt_for_another_exporter_is_refused(
    receipt: dict[str, Any], insurer_key: SigningKey
) -> None:
    jws = sign_receipt(receipt, insurer_key)
    with pytest.raises(VerificationError, match="audience"):
        verify_receipt(jws, build_jwks([insurer_key]), audience="exporter-kr-002", now=NOW)


def test_receipt_signed_by_the_exporter_key_is_refused(
    receipt: dict[str, Any], insurer_key: SigningKey, signing_key: SigningKey
) -> None:
    jws = sign_receipt(receipt, signing_key)
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_receipt(jws, build_jwks([insurer_key]), now=NOW)


def test_a_submission_is_not_a_receipt(
    submission_payload: dict[str, Any], insurer_key: SigningKey
) -> None:
    jws = sign_submission(submission_payload, insurer_key)
    with pytest.raises(VerificationError, match="typ must be 'ecg-receipt\\+jws'"):
        verify_receipt(jws, build_jwks([insurer_key]), now=NOW)

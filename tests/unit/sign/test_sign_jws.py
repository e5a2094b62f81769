"""Signing: exact header, canonical payload bytes, independent verification with jwcrypto."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from gateway.canonical import canonical_json
from gateway.crypto import SigningKey, generate_signing_key
from gateway.crypto._hazmat import ed25519_public_from_raw, ed25519_verify
from gateway.errors import CryptoError
from gateway.sign import RECEIPT_TYP, SUBMISSION_TYP, sign_receipt, sign_submission


def _segments(jws: str) -> tuple[dict[str, Any], bytes, bytes]:
    parts = jws.split(".")
    assert len(parts) == 3
    raw = [base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in parts]
    return json.loads(raw[0]), raw[1], raw[2]


def _receipt() -> dict[str, Any]:
    return {
        "schema": "ecg.receipt/1",
        "jti": "rcpt_" + "1" * 32,
        "iss": "insurer-ksure",
        "aud": "exporter-kr-001",
        "iat": 1_767_225_700,
        "submission_id": "sub_" + "0123456789abcdef" * 2,
        "payload_sha256": "cd" * 32,
        "status": "accepted",
        "attachments": 2,
        "buckets": 2,
        "ledger": None,
    }


def test_header_is_exactly_alg_kid_typ(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    header, _, _ = _segments(sign_submission(submission_payload, signing_key))
    assert header == {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    header, _, _ = _segments(sign_receipt(_receipt(), signing_key))
    assert header == {"alg": "EdDSA", "kid": signing_key.kid, "typ": RECEIPT_TYP}


def test_payload_bytes_are_canonical_json_and_signed(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    jws = sign_submission(submission_payload, signing_key)
    _, payload, signature = _segments(jws)
    assert payload == canonical_json(submission_payload)
    assert json.loads(payload) == submission_payload
    public = ed25519_public_from_raw(signing_key.public_bytes)
    signing_input = jws.rsplit(".", 1)[0].encode()
    assert ed25519_verify(public, signature, signing_input)
    # Ed25519 is deterministic: the same payload and key give the same token.
    assert sign_submission(submission_payload, signing_key) == jws
    assert sign_submission(submission_payload, generate_signing_key()) != jws


def test_jwcrypto_verifies_our_submission_independently(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    token = sign_submission(submission_payload, signing_key)
    key = jwcrypto_jwk.JWK(**signing_key.public_jwk())
    assert key.thumbprint() == signing_key.kid
    verifier = jwcrypto_jws.JWS()
    verifier.deserialize(token)
    verifier.verify(key, alg="EdDSA")
    assert json.loads(verifier.payload) == submission_payload
    other = jwcrypto_jwk.JWK(**generate_signing_key().public_jwk())
    verifier = jwcrypto_jws.JWS()
    verifier.deserialize(token)
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        verifier.verify(other, alg="EdDSA")


def test_invalid_payload_is_refused_without_echoing_values(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    submission_payload["attachments"][0]["buyer.name"] = ["Seoul Secret Trading Co."]
    with pytest.raises(CryptoError, match="does not match its schema") as info:
        sign_submission(submission_payload, signing_key)
    assert "Seoul Secret" not in str(info.value)
    assert "attachments.0.buyer.name" in str(info.value)


def test_floats_and_unknown_fields_are_refused(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    floaty = {**submission_payload, "iat": 1_767_225_600.0}
    with pytest.raises(CryptoError):
        sign_submission(floaty, signing_key)
    with pytest.raises(CryptoError, match="note: Extra inputs"):
        sign_submission({**submission_payload, "note": "x"}, signing_key)
    with pytest.raises(CryptoError):
        sign_receipt(submission_payload, signing_key)


def test_only_signing_keys_sign(submission_payload: dict[str, Any]) -> None:
    with pytest.raises(CryptoError, match="SigningKey"):
        sign_submission(submission_payload, "-----BEGIN PRIVATE KEY-----")  # type: ignore[arg-type]

"""Attack: ``alg: none`` (unsecured JWS) in any casing, with or without a signature segment."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks
from gateway.verify import verify_submission


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "NoNe"])
@pytest.mark.parametrize("signature", ["", "AAAA", "sig"])
def test_alg_none_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    alg: str,
    signature: str,
) -> None:
    header = {"alg": alg, "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(canonical_json(submission_payload))}."
    token += signature
    with pytest.raises(VerificationError):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_alg_none_signed_with_a_real_signature_is_still_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    header = {"alg": "none", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="alg 'none' is not accepted; only EdDSA"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

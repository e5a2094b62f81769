"""Attack: cross-protocol replay, a token of another kind presented as a submission.

A receipt, a generic JWT or a token without ``typ`` signed by a trusted key must not be accepted
as a submission, nor a submission as a receipt.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import RECEIPT_TYP, build_jwks, sign_submission
from gateway.verify import verify_receipt, verify_submission


@pytest.mark.parametrize(
    "typ",
    [RECEIPT_TYP, "JWT", "jose", "ECG-SUBMISSION+JWS", "application/ecg-submission+jws", None],
)
def test_wrong_typ_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
    typ: Any,
) -> None:
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": typ}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="typ must be 'ecg-submission\\+jws'"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_missing_typ_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    header = {"alg": "EdDSA", "kid": signing_key.kid}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="missing \\['typ'\\]"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_submission_replayed_as_receipt_is_refused(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    token = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="typ must be 'ecg-receipt\\+jws'"):
        verify_receipt(token, build_jwks([signing_key]), now=submission_payload["iat"])

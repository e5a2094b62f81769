"""Attack: a token signed by a key the verifier does not hold (own key, unknown kid)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey, generate_signing_key
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks, sign_submission
from gateway.verify import verify_submission


def test_token_from_a_key_not_in_the_jwks_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    attacker = generate_signing_key()
    token = sign_submission(submission_payload, attacker)
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_attacker_signature_under_a_trusted_kid_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    attacker = generate_signing_key()
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload), attacker)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


@pytest.mark.parametrize("kid", ["", "../../etc/passwd", "a" * 200, 7, None])
def test_malformed_kid_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
    kid: Any,
) -> None:
    header = {"alg": "EdDSA", "kid": kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="kid must be"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

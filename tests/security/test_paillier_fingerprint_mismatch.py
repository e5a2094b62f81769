"""Attack: exposures encrypted under a key the insurer does not hold (or a swapped fingerprint).

A gateway tricked into using an attacker's Paillier key would disclose totals to the attacker;
an insurer must notice that the ciphertexts are not under its own key.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    SigningKey,
    encrypt_bucket_totals,
    generate_paillier_keypair,
)
from gateway.crypto.b64 import int_to_b64url
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks, sign_submission
from gateway.verify import verify_submission


@pytest.fixture(scope="module")
def attacker_paillier() -> PaillierPrivateKey:
    return generate_paillier_keypair(2048)


def test_exposure_under_another_paillier_key_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    attacker_paillier: PaillierPrivateKey,
) -> None:
    other = attacker_paillier.public_key
    exposure = submission_payload["exposure"]
    exposure["key_fingerprint"] = other.fingerprint
    for bucket, ct in zip(exposure["buckets"], encrypt_bucket_totals(other, [1, 2]), strict=True):
        bucket["ciphertext"] = ct
    token = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="key_fingerprint does not match"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_our_fingerprint_on_foreign_ciphertexts_is_caught_when_they_do_not_fit(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    """The fingerprint claims our key, but a ciphertext is outside our n² range."""
    too_big = paillier_public_key.n**2 + 1
    submission_payload["exposure"]["buckets"][0]["ciphertext"] = int_to_b64url(too_big)
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match=r"buckets\[0\]\.ciphertext"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

"""Attack: a token dated in the future (pre-signed submissions, clock manipulation)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_submission


def test_iat_beyond_the_clock_skew_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    submission_payload["iat"] = int(time.time()) + 3600
    token = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="in the future"):
        verify_submission(token, build_jwks([signing_key]), paillier_public_key)


def test_far_future_iat_is_refused_even_with_a_generous_skew(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    submission_payload["iat"] = 2**53 - 1
    token = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="in the future"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, max_clock_skew_s=86_400
        )


def test_negative_skew_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    token = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="must not be negative"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, max_clock_skew_s=-(10**9)
        )

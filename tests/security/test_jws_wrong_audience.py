"""Attack: a submission addressed to one insurer replayed to another (audience confusion).

The audience must match exactly: no prefix, suffix, substring or case-insensitive match.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_submission


@pytest.mark.parametrize(
    "expected",
    [
        "insurer-other",
        "insurer",
        "insurer-ksure2",
        "xinsurer-ksure",
        "INSURER-KSURE",
        "insurer-ksure ",
    ],
)
def test_wrong_or_partially_matching_audience_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    expected: str,
) -> None:
    assert submission_payload["aud"] == "insurer-ksure"
    token = sign_submission(submission_payload, signing_key)
    jwks = build_jwks([signing_key])
    verify_submission(
        token, jwks, paillier_public_key, audience="insurer-ksure", now=submission_payload["iat"]
    )
    with pytest.raises(VerificationError, match="aud does not equal the expected audience"):
        verify_submission(
            token, jwks, paillier_public_key, audience=expected, now=submission_payload["iat"]
        )

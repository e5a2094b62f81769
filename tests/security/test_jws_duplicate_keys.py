"""Attack: duplicate JSON member names, so two parsers read two different documents.

Python's ``json`` keeps the last duplicate, other parsers keep the first: a header
``{"alg":"none",...,"alg":"EdDSA"}`` or a payload with two ``aud`` members could mean one thing
to the verifier and another to whoever acts on it. Both are refused even when really signed.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import build_jwks
from gateway.verify import verify_submission


def test_duplicate_header_member_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    kid = signing_key.kid
    header = f'{{"alg":"none","alg":"EdDSA","kid":"{kid}","typ":"ecg-submission+jws"}}'.encode()
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="JWS header: duplicate object key"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_duplicate_payload_member_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    body = canonical_json(submission_payload)
    assert body.startswith(b'{"attachments"')
    doubled = b'{"aud":"insurer-other",' + body[1:]  # "aud" now appears twice
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": "ecg-submission+jws"}
    token = forge_jws(header, doubled)
    with pytest.raises(VerificationError, match="submission payload: duplicate object key"):
        verify_submission(
            token,
            build_jwks([signing_key]),
            paillier_public_key,
            audience="insurer-ksure",
            now=submission_payload["iat"],
        )


def test_duplicate_member_deep_in_an_attachment_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    body = canonical_json(submission_payload).replace(
        b'"amount_band":{', b'"amount_band":{"currency":"KRW",', 1
    )
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": "ecg-submission+jws"}
    with pytest.raises(VerificationError, match="duplicate object key"):
        verify_submission(
            forge_jws(header, body),
            build_jwks([signing_key]),
            paillier_public_key,
            now=submission_payload["iat"],
        )

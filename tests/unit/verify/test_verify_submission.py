"""verify_submission: the insurer's library call, checked end to end with real keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey, generate_signing_key
from gateway.crypto.b64 import b64url_encode
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks, sign_submission
from gateway.verify import verify, verify_submission

Forge = Callable[..., str]


def _header(key: SigningKey) -> dict[str, str]:
    return {"alg": "EdDSA", "kid": key.kid, "typ": SUBMISSION_TYP}


def test_a_signed_submission_verifies(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    jws = sign_submission(submission_payload, signing_key)
    result = verify_submission(
        jws,
        build_jwks([generate_signing_key(), signing_key]),
        paillier_public_key,
        audience="insurer-ksure",
        now=submission_payload["iat"],
    )
    assert result.kid == signing_key.kid
    assert result.header == _header(signing_key)
    assert result.payload_bytes == canonical_json(submission_payload)
    assert result.payload_sha256 == hashlib.sha256(canonical_json(submission_payload)).hexdigest()
    assert result.payload.jti == submission_payload["jti"]
    assert result.payload.model_dump(mode="json", by_alias=True) == submission_payload
    assert verify is verify_submission


def test_submission_without_exposure_needs_no_paillier_key(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    submission_payload["exposure"] = None
    jws = sign_submission(submission_payload, signing_key)
    result = verify(jws, build_jwks([signing_key]), None, now=submission_payload["iat"])
    assert result.payload.exposure is None


def test_exposure_without_a_paillier_key_is_refused(
    submission_payload: dict[str, Any], signing_key: SigningKey
) -> None:
    jws = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="no Paillier public key"):
        verify(jws, build_jwks([signing_key]), None, now=submission_payload["iat"])


def test_iat_within_the_skew_is_accepted_and_beyond_it_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    jws = sign_submission(submission_payload, signing_key)
    jwks, iat = build_jwks([signing_key]), submission_payload["iat"]
    verify(jws, jwks, paillier_public_key, now=iat - 300)
    verify(jws, jwks, paillier_public_key, now=iat + 10**6)  # old submissions stay verifiable
    with pytest.raises(VerificationError, match="301 s in the future"):
        verify(jws, jwks, paillier_public_key, now=iat - 301)
    verify(jws, jwks, paillier_public_key, now=iat - 301, max_clock_skew_s=400)


def test_signed_but_non_canonical_payload_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Forge,
) -> None:
    pretty = json.dumps(submission_payload, indent=1).encode()
    jws = forge_jws(_header(signing_key), pretty)
    with pytest.raises(VerificationError, match="not canonical JSON"):
        verify(jws, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"])


def test_signed_but_schema_invalid_payload_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Forge,
) -> None:
    submission_payload["attachments"][0]["buyer.name"] = ["Busan Confidential Importers"]
    jws = forge_jws(_header(signing_key), canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="does not match its schema") as info:
        verify(jws, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"])
    assert "Busan" not in str(info.value)


def test_signed_but_invalid_ciphertext_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Forge,
) -> None:
    too_big = (paillier_public_key.n**2).to_bytes(paillier_public_key.ciphertext_bytes, "big")
    submission_payload["exposure"]["buckets"][1]["ciphertext"] = b64url_encode(too_big)
    jws = forge_jws(_header(signing_key), canonical_json(submission_payload))
    with pytest.raises(
        VerificationError, match=r"exposure\.buckets\[1\]\.ciphertext: out of range"
    ):
        verify(jws, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"])


@pytest.mark.parametrize(
    ("jwks", "reason"),
    [
        ({"keys": []}, "non-empty list"),
        ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, "only OKP"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private key members"),
        ([], "exactly"),
        ({"keys": [], "jku": "https://attacker.invalid"}, "exactly"),
    ],
)
def test_unusable_jwks_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    jwks: Any,
    reason: str,
) -> None:
    jws = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match=reason):
        verify(jws, jwks, paillier_public_key, now=submission_payload["iat"])


def test_jwks_entry_with_a_private_key_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    leaky = {**signing_key.public_jwk(), "d": "AAAA"}
    jws = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="private key members"):
        verify(jws, {"keys": [leaky]}, paillier_public_key, now=submission_payload["iat"])


def test_jwks_entry_whose_kid_is_not_its_thumbprint_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    other = generate_signing_key()
    lying = {**other.public_jwk(), "kid": signing_key.kid}  # another key under our kid
    jws = sign_submission(submission_payload, signing_key)
    with pytest.raises(VerificationError, match="not the RFC 7638 thumbprint"):
        verify(jws, {"keys": [lying]}, paillier_public_key, now=submission_payload["iat"])


def test_non_string_input_is_refused(
    paillier_public_key: PaillierPublicKey, signing_key: SigningKey
) -> None:
    with pytest.raises(VerificationError, match="expected a string"):
        verify(b"a.b.c", build_jwks([signing_key]), paillier_public_key)  # type: ignore[arg-type]

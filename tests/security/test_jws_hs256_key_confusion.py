"""Attack: algorithm confusion, an HMAC (HS256/384/512) token keyed with the *public* key.

The attacker knows the gateway's public key (it is published) and uses it as an HMAC secret in
every form a lenient verifier might feed to HMAC: the PEM text, the raw 32 ``x`` bytes, the JWK
JSON and the base64url ``x`` string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks
from gateway.verify import verify_submission

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secrets(key: SigningKey) -> dict[str, bytes]:
    pem = (
        key.jws_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return {
        "pem": pem,
        "raw_x": key.public_bytes,
        "jwk_json": json.dumps(key.public_jwk()).encode(),
        "x_text": key.public_jwk()["x"].encode(),
    }


@pytest.mark.parametrize("alg", sorted(HASHES))
@pytest.mark.parametrize("form", ["pem", "raw_x", "jwk_json", "x_text"])
def test_hmac_token_keyed_with_the_public_key_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    alg: str,
    form: str,
) -> None:
    header = {"alg": alg, "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(canonical_json(submission_payload))}"
    )
    mac = hmac.new(_secrets(signing_key)[form], signing_input.encode(), HASHES[alg]).digest()
    with pytest.raises(VerificationError, match=f"alg '{alg}' is not accepted"):
        verify_submission(
            f"{signing_input}.{_b64(mac)}",
            build_jwks([signing_key]),
            paillier_public_key,
            now=submission_payload["iat"],
        )


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "Ed25519", "eddsa", "EDDSA"])
def test_other_algorithm_names_are_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
    alg: str,
) -> None:
    header = {"alg": alg, "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="only EdDSA"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

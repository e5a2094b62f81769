"""Attack: algorithm confusion, an HS256/HS384/HS512 token whose HMAC key is the public key.

The gateway's and the insurer's Ed25519 public keys are published, so an attacker can MAC a
token with them. A verifier that lets ``alg`` pick the algorithm and hands the key material it
holds to HMAC accepts such a token. Every encoding a lenient verifier might hold is tried: PEM
(with and without the final newline, with CRLF line ends), DER SubjectPublicKeyInfo, the raw 32
bytes, their base64url text, the OpenSSH line and the JWK as JSON (compact and pretty).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.errors import VerificationError
from tests.security.verify_kit import Target, b64

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
ENCODINGS = [
    "pem",
    "pem_without_final_newline",
    "pem_crlf",
    "der_spki",
    "raw_32_bytes",
    "raw_base64url",
    "openssh_line",
    "openssh_line_with_newline",
    "jwk_json_compact",
    "jwk_json_pretty",
    "jwks_json",
]


def _public_key_as(target: Target, encoding: str) -> bytes:
    public = target.key.jws_key().public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pem = public.public_bytes(serialization.Encoding.PEM, spki)
    openssh = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    jwk = target.key.public_jwk()
    forms = {
        "pem": pem,
        "pem_without_final_newline": pem.rstrip(b"\n"),
        "pem_crlf": pem.replace(b"\n", b"\r\n"),
        "der_spki": public.public_bytes(serialization.Encoding.DER, spki),
        "raw_32_bytes": target.key.public_bytes,
        "raw_base64url": jwk["x"].encode(),
        "openssh_line": openssh,
        "openssh_line_with_newline": openssh + b"\n",
        "jwk_json_compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "jwk_json_pretty": json.dumps(jwk, indent=2).encode(),
        "jwks_json": json.dumps(target.jwks).encode(),
    }
    assert forms["openssh_line"].startswith(b"ssh-ed25519 ")
    assert len(forms["raw_32_bytes"]) == 32
    return forms[encoding]


@pytest.mark.parametrize("alg", sorted(HASHES))
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_verify_hmac_token_keyed_with_the_public_key_is_refused(
    verify_target: Target, alg: str, encoding: str
) -> None:
    header = verify_target.header(alg=alg)
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(verify_target.body())}"
    secret = _public_key_as(verify_target, encoding)
    mac = hmac.new(secret, signing_input.encode("ascii"), HASHES[alg]).digest()
    with pytest.raises(VerificationError, match=f"alg '{alg}' is not accepted; only EdDSA"):
        verify_target.verify(f"{signing_input}.{b64(mac)}")

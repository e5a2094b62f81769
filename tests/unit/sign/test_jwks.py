"""The published JWKS: public Ed25519 keys only, kid = RFC 7638 thumbprint, no duplicates."""

from __future__ import annotations

import pytest

from gateway.crypto import generate_signing_key, jwk_thumbprint
from gateway.crypto.b64 import b64url_encode
from gateway.errors import CryptoError
from gateway.sign import build_jwks


def test_keys_and_public_jwks_are_published_with_thumbprint_kids() -> None:
    a, b = generate_signing_key(), generate_signing_key()
    bare = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(b.public_bytes)}
    jwks = build_jwks([a, bare])
    assert jwks == {"keys": [a.public_jwk(), b.public_jwk()]}
    assert all(k["kid"] == jwk_thumbprint(k) for k in jwks["keys"])
    assert all("d" not in k for k in jwks["keys"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"d": "AAAA"}, "private key members"),
        ({"kid": "my-key"}, "not the RFC 7638 thumbprint"),
        ({"crv": "X25519"}, "only OKP keys on curve Ed25519"),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "only OKP"),
        ({"alg": "HS256"}, "alg must be EdDSA"),
        ({"use": "enc"}, "use must be sig"),
        ({"x": b64url_encode(bytes(31))}, "32 bytes"),
        ({"x5u": "https://attacker.invalid/cert"}, "unexpected members"),
    ],
)
def test_bad_jwks_entries_are_refused(change: dict[str, str], reason: str) -> None:
    key = generate_signing_key()
    with pytest.raises(CryptoError, match=reason):
        build_jwks([{**key.public_jwk(), **change}])


def test_duplicates_are_refused() -> None:
    key = generate_signing_key()
    with pytest.raises(CryptoError, match="twice"):
        build_jwks([key, key.public_jwk()])

"""Ed25519 signing keys: RFC 8037 / RFC 7638 vectors, PKCS#8 PEM in and out, refusals."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from gateway.crypto import (
    SigningKey,
    b64url_decode,
    b64url_encode,
    dump_signing_key,
    generate_signing_key,
    jwk_thumbprint,
    load_signing_key,
)
from gateway.crypto._hazmat import ed25519_public_from_raw, ed25519_verify
from gateway.errors import CryptoError, KeyMaterialError

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def _vector(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert data["source"].startswith("RFC ")
    return data


def test_rfc8037_key_derives_the_rfc_public_key_and_thumbprint() -> None:
    v = _vector("rfc8037_ed25519.json")
    key = SigningKey.from_seed(b64url_decode(v["private_jwk"]["d"]))
    assert b64url_encode(key.public_bytes) == v["public_jwk"]["x"]
    assert key.kid == v["thumbprint"]
    assert key.public_jwk() == {
        **v["public_jwk"],
        "kid": v["thumbprint"],
        "alg": "EdDSA",
        "use": "sig",
    }
    digest = hashlib.sha256(v["thumbprint_input"].encode()).hexdigest()
    assert digest == v["thumbprint_sha256_hex"]


def test_rfc8037_signature_is_reproduced_and_verifies() -> None:
    v = _vector("rfc8037_ed25519.json")
    key = SigningKey.from_seed(b64url_decode(v["private_jwk"]["d"]))
    assert b64url_encode(v["protected_header"].encode()) == v["protected_header_b64"]
    assert b64url_encode(v["payload"].encode()) == v["payload_b64"]
    signing_input = v["signing_input"].encode()
    # Ed25519 is deterministic (RFC 8032), so our key must produce the RFC's exact signature.
    assert b64url_encode(key.jws_key().sign(signing_input)) == v["signature"]
    public = ed25519_public_from_raw(b64url_decode(v["public_jwk"]["x"]))
    signature = b64url_decode(v["signature"])
    assert ed25519_verify(public, signature, signing_input)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not ed25519_verify(public, tampered, signing_input)
    assert v["jws"] == f"{v['signing_input']}.{v['signature']}"


def test_rfc7638_thumbprint_of_the_rfc_rsa_key() -> None:
    v = _vector("rfc7638_thumbprint.json")
    assert jwk_thumbprint(v["jwk"]) == v["thumbprint"]


def test_thumbprint_ignores_optional_members_and_depends_on_x() -> None:
    v = _vector("rfc8037_ed25519.json")
    jwk = v["public_jwk"]
    assert jwk_thumbprint({**jwk, "kid": "other", "use": "sig", "alg": "EdDSA"}) == v["thumbprint"]
    other_x = b64url_encode(bytes(31) + b"\x01")
    assert jwk_thumbprint({**jwk, "x": other_x}) != v["thumbprint"]


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "oct", "k": "AAAA"},
        {"crv": "Ed25519", "x": "AA"},
        [],
    ],
)
def test_thumbprint_refuses_incomplete_or_unknown_keys(jwk: Any) -> None:
    with pytest.raises(CryptoError):
        jwk_thumbprint(jwk)


def test_fresh_keys_differ_and_have_thumbprint_kids() -> None:
    a, b = generate_signing_key(), generate_signing_key()
    assert a.kid != b.kid
    assert a.kid == jwk_thumbprint(a.public_jwk())
    assert len(b64url_decode(a.kid)) == 32


def test_pem_round_trip_keeps_the_key() -> None:
    key = generate_signing_key()
    pem = dump_signing_key(key, None)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert load_signing_key(pem).kid == key.kid


def test_encrypted_pem_needs_the_right_passphrase() -> None:
    key = generate_signing_key()
    pem = dump_signing_key(key, b"correct horse battery staple")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert load_signing_key(pem, b"correct horse battery staple").kid == key.kid
    with pytest.raises(KeyMaterialError, match="wrong passphrase"):
        load_signing_key(pem, b"wrong")
    with pytest.raises(KeyMaterialError, match="no passphrase"):
        load_signing_key(pem)
    with pytest.raises(KeyMaterialError, match="not encrypted"):
        load_signing_key(dump_signing_key(key, None), b"unexpected")
    with pytest.raises(KeyMaterialError, match="empty passphrase"):
        dump_signing_key(key, b"")


def _pkcs8(private: Any) -> bytes:
    pem: bytes = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem


@pytest.mark.parametrize(
    "make",
    [
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ed448.Ed448PrivateKey.generate(),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
    ],
    ids=["p256", "ed448", "rsa"],
)
def test_non_ed25519_pkcs8_is_refused(make: Any) -> None:
    with pytest.raises(KeyMaterialError, match="expected an Ed25519 key"):
        load_signing_key(_pkcs8(make()))


def test_other_pem_types_are_refused_without_echoing_them() -> None:
    traditional = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    openssh = (
        generate_signing_key()
        .jws_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    for pem in (traditional, openssh, b"REPLACE_ME"):
        with pytest.raises(KeyMaterialError, match="not a PKCS#8 PEM") as info:
            load_signing_key(pem)
        assert pem.decode().splitlines()[-1] not in str(info.value)


def test_corrupt_pkcs8_is_refused() -> None:
    pem = dump_signing_key(generate_signing_key(), None).replace(b"M", b"A", 3)
    with pytest.raises(KeyMaterialError, match="cannot load"):
        load_signing_key(pem)


def test_repr_shows_only_the_kid_and_pickling_is_refused() -> None:
    key = generate_signing_key()
    seed = key.jws_key().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    text = repr(key)
    assert text == f"SigningKey(kid={key.kid!r})"
    assert b64url_encode(seed) not in text and seed.hex() not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(AttributeError):
        key._key = None  # type: ignore[assignment]


def test_only_ed25519_private_keys_are_wrapped() -> None:
    with pytest.raises(KeyMaterialError):
        SigningKey(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]
    with pytest.raises(KeyMaterialError):
        SigningKey.from_seed(b"\x01" * 31)

"""JSON Web Keys: RFC 7638 thumbprints and strict parsing of Ed25519 public JWKs (RFC 8037).

A gateway key's ``kid`` is the RFC 7638 SHA-256 thumbprint of its public JWK. Only ``OKP`` /
``Ed25519`` keys are accepted as verification keys; a JWK carrying the private member ``d`` is
refused so a private key is never published or trusted as a public one by mistake.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gateway.canonical import canonical_json
from gateway.crypto._hazmat import Ed25519PublicKey, ed25519_public_from_raw
from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.errors import CryptoError

#: RFC 7638 §3.2: the required members hashed for each key type.
THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "OKP": ("crv", "kty", "x"),
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
}
#: Members an Ed25519 public JWK may carry.
_PUBLIC_MEMBERS = frozenset({"kty", "crv", "x", "kid", "alg", "use"})
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of ``jwk``'s required public members."""
    if not isinstance(jwk, Mapping):
        raise CryptoError("JWK: expected a JSON object")
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in THUMBPRINT_MEMBERS:
        raise CryptoError("JWK: kty missing or not one of OKP, EC, RSA")
    members: dict[str, str] = {}
    for name in THUMBPRINT_MEMBERS[kty]:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise CryptoError(f"JWK: required member {name!r} missing or not a string")
        members[name] = value
    # RFC 7638 §3.3: members in lexicographic order, no whitespace, UTF-8; canonical JSON is that.
    return b64url_encode(hashlib.sha256(canonical_json(members)).digest())


def ed25519_public_jwk(x: bytes) -> dict[str, str]:
    """The public JWK of a raw Ed25519 public key, with ``kid`` = its thumbprint."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(x)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": "EdDSA", "use": "sig"}


def check_ed25519_public_jwk(jwk: Any, *, where: str = "JWK") -> dict[str, Any]:
    """Validate an Ed25519 public JWK; return it with ``kid`` filled in (= its thumbprint).

    Refused: anything but ``OKP``/``Ed25519``, private members, ``x`` that is not 32 bytes of
    strict base64url, ``alg`` other than ``EdDSA``, ``use`` other than ``sig``, unknown members,
    and a ``kid`` that differs from the RFC 7638 thumbprint.
    """
    if not isinstance(jwk, Mapping):
        raise CryptoError(f"{where}: expected a JSON object")
    if any(name in jwk for name in _PRIVATE_MEMBERS):
        raise CryptoError(f"{where}: holds private key members; publish public keys only")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise CryptoError(f"{where}: only OKP keys on curve Ed25519 are accepted")
    unknown = sorted(set(jwk) - _PUBLIC_MEMBERS)
    if unknown:
        raise CryptoError(f"{where}: unexpected members {unknown}")
    raw = b64url_decode(jwk.get("x"), what=f"{where}.x")  # type: ignore[arg-type]
    if len(raw) != 32:
        raise CryptoError(f"{where}.x: an Ed25519 public key is 32 bytes")
    if jwk.get("alg", "EdDSA") != "EdDSA":
        raise CryptoError(f"{where}: alg must be EdDSA")
    if jwk.get("use", "sig") != "sig":
        raise CryptoError(f"{where}: use must be sig")
    thumbprint = jwk_thumbprint(jwk)
    if "kid" in jwk and jwk["kid"] != thumbprint:
        raise CryptoError(f"{where}: kid is not the RFC 7638 thumbprint of the key")
    return {**dict(jwk), "kid": thumbprint}


def ed25519_public_key_from_jwk(jwk: Any, *, where: str = "JWK") -> Ed25519PublicKey:
    """The verification key object of a checked Ed25519 public JWK."""
    checked = check_ed25519_public_jwk(jwk, where=where)
    return ed25519_public_from_raw(b64url_decode(checked["x"], what=f"{where}.x"))

"""The gateway's Ed25519 signing key and its PKCS#8 PEM file format.

``SigningKey.kid`` is the RFC 7638 thumbprint of the public JWK, so the key id is derived from
the key itself and cannot be chosen or confused. ``repr`` shows only the kid.
"""

from __future__ import annotations

from typing import Any

from gateway.crypto import _hazmat
from gateway.crypto._hazmat import Ed25519PrivateKey
from gateway.crypto.jwk import ed25519_public_jwk
from gateway.errors import KeyMaterialError


class SigningKey:
    """An Ed25519 private key with its derived ``kid``. Immutable."""

    __slots__ = ("_key", "_public_jwk")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMaterialError("a signing key must be an Ed25519 private key")
        self._key = key
        self._public_jwk = ed25519_public_jwk(_hazmat.public_raw(key))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key of a 32-byte RFC 8032 seed (test vectors, interoperability)."""
        return cls(_hazmat.ed25519_private_from_seed(seed))

    @property
    def kid(self) -> str:
        """RFC 7638 SHA-256 thumbprint of the public JWK, base64url."""
        return self._public_jwk["kid"]

    @property
    def public_bytes(self) -> bytes:
        """The 32 raw public key bytes (the JWK ``x``)."""
        return _hazmat.public_raw(self._key)

    def public_jwk(self) -> dict[str, Any]:
        """``{"kty": "OKP", "crv": "Ed25519", "x", "kid", "alg": "EdDSA", "use": "sig"}``."""
        return dict(self._public_jwk)

    def jws_key(self) -> Ed25519PrivateKey:
        """The key object handed to the JWS signer. Never log or serialise it."""
        return self._key

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_public_jwk"):
            raise AttributeError("SigningKey is immutable")
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigningKey) and other.kid == self.kid

    def __hash__(self) -> int:
        return hash(self.kid)

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    def __reduce__(self) -> Any:
        raise TypeError("SigningKey cannot be pickled; store it with dump_signing_key()")


def generate_signing_key() -> SigningKey:
    """A fresh Ed25519 signing key."""
    return SigningKey(_hazmat.generate_ed25519())


def load_signing_key(pem: bytes, passphrase: bytes | None = None) -> SigningKey:
    """A signing key from PKCS#8 PEM; non-Ed25519 keys and other PEM types are refused."""
    return SigningKey(_hazmat.load_pkcs8_pem(pem, passphrase))


def dump_signing_key(key: SigningKey, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM of ``key``; encrypted (best available scheme) when a passphrase is given."""
    return _hazmat.dump_pkcs8_pem(key.jws_key(), passphrase)

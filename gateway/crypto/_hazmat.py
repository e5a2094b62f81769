"""The only module that imports ``cryptography.hazmat``: Ed25519 keys and PKCS#8 PEM.

Everything above this module handles keys through :class:`gateway.crypto.SigningKey` and the
few functions here, with fixed, safe parameters (Ed25519 only, PKCS#8 only, the best available
encryption when a passphrase is given). Errors never carry key bytes or passphrases.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import CryptoError, KeyMaterialError

__all__ = [
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "dump_pkcs8_pem",
    "ed25519_private_from_seed",
    "ed25519_public_from_raw",
    "ed25519_verify",
    "generate_ed25519",
    "load_pkcs8_pem",
    "private_seed",
    "public_raw",
]

_PKCS8_HEADERS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def generate_ed25519() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key from the operating system's CSPRNG."""
    return Ed25519PrivateKey.generate()


def ed25519_private_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key of a 32-byte RFC 8032 seed."""
    try:
        return Ed25519PrivateKey.from_private_bytes(seed)
    except ValueError as exc:
        raise KeyMaterialError("an Ed25519 private key seed is exactly 32 bytes") from exc


def ed25519_public_from_raw(raw: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key of its 32 raw bytes (the JWK ``x`` member)."""
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise CryptoError("an Ed25519 public key is exactly 32 bytes") from exc


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw public key bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_seed(key: Ed25519PrivateKey) -> bytes:
    """The 32-byte seed (secret: for tests and interoperability checks only)."""
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def ed25519_verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` under ``key``."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def load_pkcs8_pem(pem: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM (optionally encrypted); anything else is refused."""
    if not isinstance(pem, bytes):
        raise KeyMaterialError("signing key: PEM must be given as bytes")
    if not pem.lstrip().startswith(_PKCS8_HEADERS):
        raise KeyMaterialError(
            "signing key: not a PKCS#8 PEM private key (expected '-----BEGIN PRIVATE KEY-----' "
            "or '-----BEGIN ENCRYPTED PRIVATE KEY-----')"
        )
    encrypted = pem.lstrip().startswith(_PKCS8_HEADERS[1])
    if encrypted and not passphrase:
        raise KeyMaterialError("signing key: the PEM is encrypted and no passphrase was given")
    if not encrypted and passphrase:
        raise KeyMaterialError("signing key: a passphrase was given but the PEM is not encrypted")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyMaterialError(
            "signing key: cannot load the PKCS#8 PEM (corrupt, or wrong passphrase)"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(
            f"signing key: expected an Ed25519 key, found {type(key).__name__.removeprefix('_')}"
        )
    return key


def dump_pkcs8_pem(key: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM of ``key``, encrypted with the best available scheme when ``passphrase``."""
    if passphrase is not None and not passphrase:
        raise KeyMaterialError("signing key: an empty passphrase is not a passphrase")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )

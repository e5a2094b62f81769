"""A verifier's static key set: a JWKS document turned into ``kid`` → Ed25519 public key.

Keys come only from the JWKS the caller passes (a trusted, static map); every entry must be an
``OKP``/``Ed25519`` public key whose ``kid``, when present, is its RFC 7638 thumbprint. A JWKS
holding anything else, or the same key twice, is refused as a whole. Key objects are built here;
a PEM string is never handed to the JWS library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.crypto._hazmat import Ed25519PublicKey
from gateway.crypto.jwk import check_ed25519_public_jwk, ed25519_public_key_from_jwk
from gateway.errors import GatewayError, VerificationError

MAX_KEYS = 100


def load_keyset(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """``kid`` → public key object for every entry of ``jwks`` (``{"keys": [...]}``)."""
    if not isinstance(jwks, Mapping) or set(jwks) != {"keys"}:
        raise VerificationError('JWKS: expected exactly {"keys": [...]}')
    entries = jwks["keys"]
    if not isinstance(entries, list) or not entries:
        raise VerificationError("JWKS: keys must be a non-empty list")
    if len(entries) > MAX_KEYS:
        raise VerificationError(f"JWKS: more than {MAX_KEYS} keys")
    keys: dict[str, Ed25519PublicKey] = {}
    for i, entry in enumerate(entries):
        where = f"JWKS keys[{i}]"
        try:
            kid = check_ed25519_public_jwk(entry, where=where)["kid"]
            key = ed25519_public_key_from_jwk(entry, where=where)
        except GatewayError as exc:
            raise VerificationError(str(exc)) from exc
        if kid in keys:
            raise VerificationError(f"{where}: the same key appears twice")
        keys[kid] = key
    return keys


def key_for(jwks: Mapping[str, Any], kid: str) -> Ed25519PublicKey:
    """The public key with ``kid`` in ``jwks``, or :class:`VerificationError`."""
    keys = load_keyset(jwks)
    if kid not in keys:
        raise VerificationError("JWS kid is not in the given JWKS (unknown signing key)")
    return keys[kid]

"""The gateway's published JSON Web Key Set (RFC 7517 §5): public Ed25519 keys only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gateway.crypto import SigningKey, check_ed25519_public_jwk
from gateway.errors import CryptoError


def build_jwks(keys: Iterable[SigningKey | Mapping[str, Any]]) -> dict[str, Any]:
    """``{"keys": [...]}`` of public JWKs; each ``kid`` is the key's RFC 7638 thumbprint.

    ``SigningKey`` objects contribute their public JWK; mappings must be Ed25519 public JWKs
    (a private member, another key type or a ``kid`` that is not the thumbprint is refused).
    Duplicates are refused.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if isinstance(key, SigningKey):
            jwk = key.public_jwk()
        else:
            jwk = check_ed25519_public_jwk(key, where=f"keys[{i}]")
            jwk.setdefault("alg", "EdDSA")
            jwk.setdefault("use", "sig")
        if jwk["kid"] in seen:
            raise CryptoError(f"keys[{i}]: the same key appears twice")
        seen.add(jwk["kid"])
        out.append(jwk)
    return {"keys": out}

"""Key rotation in place: a new signing or pseudonymisation key, the previous one retired.

The configured path keeps naming the *current* key, so ``gateway.toml`` never has to change::

    keys/signing.pem                    the new signing key (0600, same passphrase variable)
    keys/jwks.json                      the new public key first, then every previous one (0644)
    keys/retired/signing-<kid>.pem      the previous signing key (0600)
    keys/pseudonym.key                  the new pseudonymisation key, with a new versioned kid
    keys/retired/pseudonym-<kid>.key    the previous pseudonymisation key (0600)

The current key is loaded and checked first, so a rotation never launders a key that start-up
would refuse. The JWKS is written before the new signing key is put in place: every key that
can sign is always published. Old pseudonym tokens are never recomputed or remapped: the new
key's kid is in every new token, so old and new tokens stay distinguishable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gateway.crypto import dump_signing_key, generate_signing_key
from gateway.errors import KeyMaterialError
from gateway.sign import build_jwks

from .files import retire_private_file, write_public_file
from .gateway_keys import (
    JWKS_FILE,
    _json_bytes,
    load_jwks_file,
    load_pseudonym_key_file,
    load_signing_key_file,
    passphrase_from_env,
    pseudonym_key_document,
)

RETIRED_DIR = "retired"
_log = logging.getLogger("gateway.keys")


@dataclass(frozen=True)
class SigningRotation:
    """The outcome of :func:`rotate_signing_key`: where each file went, and the key ids."""

    signing_key: Path
    jwks: Path
    retired: Path
    new_kid: str
    previous_kid: str
    published_kids: tuple[str, ...]


@dataclass(frozen=True)
class PseudonymRotation:
    """The outcome of :func:`rotate_pseudonym_key`."""

    pseudonym_key: Path
    retired: Path
    new_kid: str
    previous_kid: str


def default_jwks_path(signing_key: Path | str) -> Path:
    """The published JWKS that belongs to ``signing_key``: ``jwks.json`` beside it."""
    return Path(signing_key).parent / JWKS_FILE


def rotate_signing_key(
    signing_key: Path | str,
    *,
    passphrase_env: str | None = None,
    jwks: Path | str | None = None,
) -> SigningRotation:
    """Replace the signing key at ``signing_key`` by a fresh one, keeping old public keys.

    The new key is encrypted with the passphrase in ``passphrase_env`` when one is named (the
    same variable the configuration names). The JWKS lists the new key first, then the keys it
    already listed, and the previous key if it was missing.
    """
    path = Path(signing_key)
    jwks_path = Path(jwks) if jwks is not None else default_jwks_path(path)
    current = load_signing_key_file(path, passphrase_env)
    passphrase = passphrase_from_env(passphrase_env, new_key=True)
    published: list[Any] = list(load_jwks_file(jwks_path)["keys"]) if jwks_path.exists() else []
    if current.kid not in {jwk["kid"] for jwk in published}:
        published.insert(0, current)
    new = generate_signing_key()
    document = build_jwks([new, *published])
    write_public_file(jwks_path, _json_bytes(document), overwrite=True)
    retired = path.parent / RETIRED_DIR / f"signing-{current.kid}.pem"
    retire_private_file(path, retired, dump_signing_key(new, passphrase))
    kids = tuple(jwk["kid"] for jwk in document["keys"])
    _log.info("signing key rotated: new kid %s, previous kid %s", new.kid, current.kid)
    return SigningRotation(path, jwks_path, retired, new.kid, current.kid, kids)


def rotate_pseudonym_key(
    pseudonym_key: Path | str, *, today: date | None = None
) -> PseudonymRotation:
    """Replace the pseudonymisation key by a fresh one with a kid never used in this directory."""
    path = Path(pseudonym_key)
    current = load_pseudonym_key_file(path)
    retired_dir = path.parent / RETIRED_DIR
    for _ in range(16):
        document = pseudonym_key_document(today)
        kid = document["kid"]
        if kid != current.kid and not (retired_dir / f"pseudonym-{kid}.key").exists():
            break
    else:  # pragma: no cover - 16 collisions of 24 random bits
        raise KeyMaterialError(f"{path}: could not choose an unused pseudonymisation key id")
    retired = retired_dir / f"pseudonym-{current.kid}.key"
    retire_private_file(path, retired, _json_bytes(document))
    _log.info("pseudonymisation key rotated: new kid %s, previous kid %s", kid, current.kid)
    return PseudonymRotation(path, retired, kid, current.kid)

"""The exporter gateway's own keys: Ed25519 signing key, pseudonymisation key, public JWKS.

``generate_gateway_keys`` writes, in one directory::

    signing.pem     Ed25519 private key, PKCS#8 PEM (optionally encrypted), mode 0600
    pseudonym.key   {"kid": "psk-<yyyymmdd>-<6 hex>", "key": "<base64url of 32 bytes>"}, 0600
    jwks.json       {"keys": [<public JWK>]}, the file the insurer verifies with, 0644

The formats are documented in keys/README.md and docs/key-formats.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gateway.crypto import (
    PseudonymKey,
    SigningKey,
    b64url_decode,
    b64url_encode,
    dump_signing_key,
    generate_signing_key,
    load_signing_key,
)
from gateway.crypto.strict_json import loads_strict
from gateway.errors import GatewayError, KeyMaterialError
from gateway.sign import build_jwks

from .files import (
    read_private_file,
    read_public_file,
    write_private_file,
    write_public_file,
)

SIGNING_KEY_FILE = "signing.pem"
PSEUDONYM_KEY_FILE = "pseudonym.key"
JWKS_FILE = "jwks.json"
PSEUDONYM_KEY_BYTES = 32
MIN_NEW_PASSPHRASE_CHARS = 12
_EXPORTER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class GatewayKeyPaths:
    """Where ``generate_gateway_keys`` wrote each file, and the identifiers it chose."""

    exporter_id: str
    signing_key: Path
    pseudonym_key: Path
    jwks: Path
    kid: str
    pseudonym_kid: str


def pseudonym_key_document(today: date | None = None) -> dict[str, str]:
    """A fresh pseudonymisation key document: ``psk-<yyyymmdd>-<6 hex>`` and 32 random bytes."""
    day = today or datetime.now(UTC).date()
    kid = f"psk-{day:%Y%m%d}-{secrets.token_hex(3)}"
    return {"kid": kid, "key": b64url_encode(secrets.token_bytes(PSEUDONYM_KEY_BYTES))}


def generate_gateway_keys(
    directory: Path | str,
    exporter_id: str,
    *,
    passphrase: bytes | None = None,
    overwrite: bool = False,
    today: date | None = None,
) -> GatewayKeyPaths:
    """Create the gateway's signing key, pseudonymisation key and public JWKS in ``directory``."""
    if not isinstance(exporter_id, str) or not _EXPORTER_ID.match(exporter_id):
        raise KeyMaterialError("exporter id must be 1-128 characters of [A-Za-z0-9._:-]")
    folder = Path(directory)
    if not overwrite:  # check all three first: never leave a half-written key set behind
        for name in (SIGNING_KEY_FILE, PSEUDONYM_KEY_FILE, JWKS_FILE):
            if (folder / name).exists():
                raise KeyMaterialError(
                    f"{folder / name}: already exists; refusing to overwrite a key"
                )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyMaterialError(f"{folder}: cannot create key directory ({exc.strerror})") from exc
    signing = generate_signing_key()
    pseudonym = pseudonym_key_document(today)
    signing_path = write_private_file(
        folder / SIGNING_KEY_FILE, dump_signing_key(signing, passphrase), overwrite=overwrite
    )
    pseudonym_path = write_private_file(
        folder / PSEUDONYM_KEY_FILE, _json_bytes(pseudonym), overwrite=overwrite
    )
    jwks_path = write_public_file(
        folder / JWKS_FILE, _json_bytes(build_jwks([signing])), overwrite=overwrite
    )
    return GatewayKeyPaths(
        exporter_id, signing_path, pseudonym_path, jwks_path, signing.kid, pseudonym["kid"]
    )


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def passphrase_from_env(passphrase_env: str | None, *, new_key: bool = False) -> bytes | None:
    """The passphrase held in the environment variable ``passphrase_env`` (None: no variable).

    Unset or empty is refused; for a key about to be written (``new_key``) so is one shorter
    than ``MIN_NEW_PASSPHRASE_CHARS`` characters. Errors name the variable, never the value.
    """
    if not passphrase_env:
        return None
    value = os.environ.get(passphrase_env)
    if not value:
        raise KeyMaterialError(f"environment variable {passphrase_env} is not set or empty")
    if new_key and len(value) < MIN_NEW_PASSPHRASE_CHARS:
        raise KeyMaterialError(
            f"environment variable {passphrase_env}: a passphrase for a new key needs at least "
            f"{MIN_NEW_PASSPHRASE_CHARS} characters"
        )
    return value.encode("utf-8")


def load_signing_key_file(path: Path | str, passphrase_env: str | None = None) -> SigningKey:
    """The signing key in a PKCS#8 PEM file; the passphrase, if any, from ``passphrase_env``."""
    passphrase = passphrase_from_env(passphrase_env)
    pem = read_private_file(path)
    try:
        return load_signing_key(pem, passphrase)
    except KeyMaterialError as exc:
        raise KeyMaterialError(f"{path}: {exc}") from exc


def load_pseudonym_key_file(path: Path | str) -> PseudonymKey:
    """The pseudonymisation key in a ``{"kid", "key"}`` JSON file (mode 0600)."""
    doc = loads_strict(read_private_file(path), what=str(path), error=KeyMaterialError)
    if not isinstance(doc, dict) or set(doc) != {"kid", "key"}:
        raise KeyMaterialError(f'{path}: expected exactly {{"kid": ..., "key": ...}}')
    if not isinstance(doc["kid"], str):
        raise KeyMaterialError(f"{path}: kid must be a string")
    secret = b64url_decode(doc["key"], what=f"{path}: key", error=KeyMaterialError)
    if not any(secret):
        raise KeyMaterialError(f"{path}: looks like a placeholder (all zero bytes)")
    try:
        return PseudonymKey(doc["kid"], secret)
    except KeyMaterialError as exc:
        raise KeyMaterialError(f"{path}: {exc}") from exc


def load_jwks_file(path: Path | str) -> dict[str, Any]:
    """A public JWKS file, checked: Ed25519 public keys only, ``kid`` = thumbprint."""
    doc = loads_strict(read_public_file(path), what=str(path), error=KeyMaterialError)
    if not isinstance(doc, dict) or set(doc) != {"keys"} or not isinstance(doc["keys"], list):
        raise KeyMaterialError(f'{path}: expected exactly {{"keys": [...]}}')
    try:
        return build_jwks(doc["keys"])
    except GatewayError as exc:
        raise KeyMaterialError(f"{path}: {exc}") from exc

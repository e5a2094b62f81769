"""The insurer's Paillier key files (version-1 documents, docs/key-formats.md).

``write_paillier_keypair`` writes ``paillier_private.json`` (mode 0600, never leaves the
insurer's key custody) and ``paillier_public.json`` (handed to every exporter gateway, which
pins its fingerprint).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.crypto import (
    DEFAULT_PAILLIER_BITS,
    PaillierPrivateKey,
    PaillierPublicKey,
    generate_paillier_keypair,
)
from gateway.crypto.strict_json import loads_strict
from gateway.errors import KeyMaterialError, PaillierKeyError

from .files import (
    read_private_file,
    read_public_file,
    write_private_file,
    write_public_file,
)

PRIVATE_FILE = "paillier_private.json"
PUBLIC_FILE = "paillier_public.json"
_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class PaillierKeyPaths:
    """Where ``write_paillier_keypair`` wrote the keys, and the public key's fingerprint."""

    private_key: Path
    public_key: Path
    fingerprint: str


@dataclass(frozen=True)
class PaillierImport:
    """Where ``import_paillier_public_key`` put the insurer's key, and what it checked."""

    public_key: Path
    fingerprint: str
    bits: int


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_paillier_keypair(
    directory: Path | str, bits: int = DEFAULT_PAILLIER_BITS, *, overwrite: bool = False
) -> PaillierKeyPaths:
    """Generate a keypair and write both documents into ``directory``."""
    folder = Path(directory)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyMaterialError(f"{folder}: cannot create key directory ({exc.strerror})") from exc
    private = generate_paillier_keypair(bits)
    private_path = write_private_file(
        folder / PRIVATE_FILE, _json_bytes(private.to_document()), overwrite=overwrite
    )
    public_path = write_public_file(
        folder / PUBLIC_FILE, _json_bytes(private.public_key.to_document()), overwrite=overwrite
    )
    return PaillierKeyPaths(private_path, public_path, private.fingerprint)


def load_paillier_public_key_file(
    path: Path | str, expected_fingerprint: str | None = None
) -> PaillierPublicKey:
    """The public key in ``path``; it must carry ``expected_fingerprint`` when one is pinned."""
    doc = loads_strict(read_public_file(path), what=str(path), error=PaillierKeyError)
    try:
        key = PaillierPublicKey.from_document(doc)
    except PaillierKeyError as exc:
        raise PaillierKeyError(f"{path}: {exc}") from exc
    if expected_fingerprint is not None and key.fingerprint != expected_fingerprint:
        raise PaillierKeyError(
            f"{path}: the Paillier public key's fingerprint is not the pinned one"
        )
    return key


def load_paillier_private_key_file(path: Path | str) -> PaillierPrivateKey:
    """The private key in ``path`` (mode 0600 required)."""
    doc = loads_strict(read_private_file(path), what=str(path), error=PaillierKeyError)
    try:
        return PaillierPrivateKey.from_document(doc)
    except PaillierKeyError as exc:
        raise PaillierKeyError(f"{path}: {exc}") from exc


def import_paillier_public_key(
    source: Path | str, directory: Path | str, fingerprint: str
) -> PaillierImport:
    """Check the insurer's public key in ``source`` against ``fingerprint`` and copy it into
    ``directory`` as ``paillier_public-<first 16 hex>.json`` (0644, never overwritten).

    Refused before anything is written: a fingerprint that is not ``sha256:<64 hex>``, a key
    whose fingerprint differs, and a weak modulus (under 2048 bits, even, a prime factor below
    10,000, a square). The copy is the re-serialised, checked document.
    """
    pinned = fingerprint.strip().lower()
    if not _FINGERPRINT.match(pinned):
        raise PaillierKeyError("the fingerprint must be 'sha256:' followed by 64 hex digits")
    key = load_paillier_public_key_file(source, pinned)
    folder = Path(directory)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyMaterialError(f"{folder}: cannot create key directory ({exc.strerror})") from exc
    target = folder / f"paillier_public-{pinned[7:23]}.json"
    write_public_file(target, _json_bytes(key.to_document()))
    return PaillierImport(target, key.fingerprint, key.bits)

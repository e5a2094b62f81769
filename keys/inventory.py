"""What keys a configuration uses, described without key material; and the public JWKS.

``describe_keys`` never raises for a broken key: each entry carries the reason start-up would
refuse it, so an operator sees every problem at once. Entries hold paths, file modes, key ids
and fingerprints only: nothing secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import GatewayError, KeyMaterialError
from gateway.sign import build_jwks

from .files import file_mode
from .gateway_keys import load_jwks_file, load_pseudonym_key_file, load_signing_key_file
from .paillier_files import load_paillier_public_key_file
from .rotation import default_jwks_path

OK = "ok"


@dataclass(frozen=True)
class KeyEntry:
    """One key as ``gateway keys list`` shows it. ``ident`` is a kid or a fingerprint."""

    role: str
    path: Path
    mode: str
    ident: str
    status: str


def _mode(path: Path) -> str:
    try:
        return f"{file_mode(path):04o}"
    except KeyMaterialError:
        return "-"


def _entry(role: str, path: Path, describe: Callable[[], tuple[str, str]]) -> KeyEntry:
    try:
        ident, status = describe()
    except GatewayError as exc:
        ident, status = "-", _refused(path, exc)
    return KeyEntry(role, path, _mode(path), ident, status)


def _refused(path: Path, exc: GatewayError) -> str:
    """The reason, without the file name the entry already shows (messages never hold keys)."""
    return "refused: " + str(exc).removeprefix(f"{path}: ")


def describe_keys(
    *,
    signing_key: Path,
    passphrase_env: str | None,
    pseudonym_key: Path,
    paillier_public_key: Path,
    paillier_fingerprint: str,
    receipt_jwks: Path | None = None,
    jwks: Path | None = None,
) -> list[KeyEntry]:
    """Every key of a configuration: signing key, published JWKS entries, pseudonymisation key,
    the insurer's pinned Paillier key and its receipt keys."""

    def signing() -> tuple[str, str]:
        return load_signing_key_file(signing_key, passphrase_env).kid, OK

    def pseudonym() -> tuple[str, str]:
        return load_pseudonym_key_file(pseudonym_key).kid, OK

    def paillier() -> tuple[str, str]:
        key = load_paillier_public_key_file(paillier_public_key, paillier_fingerprint)
        return key.fingerprint, f"ok, {key.bits} bits, fingerprint pinned"

    current = _entry("signing key", signing_key, signing)
    entries = [current]
    published = jwks or default_jwks_path(signing_key)
    entries += _jwks_entries("published key", published, current=current.ident)
    entries.append(_entry("pseudonym key", pseudonym_key, pseudonym))
    entries.append(_entry("insurer Paillier key", paillier_public_key, paillier))
    if receipt_jwks is not None:
        entries += _jwks_entries("insurer receipt key", receipt_jwks, current=None)
    return entries


def _jwks_entries(role: str, path: Path, *, current: str | None) -> list[KeyEntry]:
    try:
        kids = [jwk["kid"] for jwk in load_jwks_file(path)["keys"]]
    except GatewayError as exc:
        return [KeyEntry(role, path, _mode(path), "-", _refused(path, exc))]
    if current is None:
        return [KeyEntry(role, path, _mode(path), kid, OK) for kid in kids]
    return [
        KeyEntry(role, path, _mode(path), kid, "current" if kid == current else "previous")
        for kid in kids
    ]


def public_jwks(
    signing_key: Path, passphrase_env: str | None, jwks: Path | None = None
) -> dict[str, Any]:
    """The JWKS to hand to the insurer: the published file, which must list the current key
    (just the current key when no file exists yet)."""
    current = load_signing_key_file(signing_key, passphrase_env)
    jwks_path = jwks or default_jwks_path(signing_key)
    if not jwks_path.exists():
        return build_jwks([current])
    document = load_jwks_file(jwks_path)
    if current.kid not in {jwk["kid"] for jwk in document["keys"]}:
        raise KeyMaterialError(
            f"{jwks_path}: does not list the current signing key (kid {current.kid}); "
            "run `gateway keys rotate signing` or restore the file"
        )
    return document

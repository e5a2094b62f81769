"""Configuration of the reference insurer API, and loading it from a JSON file.

The file names its key material by path (relative paths are relative to the file)::

    {
      "insurer_id": "insurer-demo",
      "receipt_key": "receipt-key.pem",              # Ed25519 PKCS#8 PEM, mode 0600
      "paillier_private_key": "paillier-private.json",   # private key document, mode 0600
      "gateways": {"exporter-demo": "exporter-demo.jwks.json"},
      "state_path": "insurer-state.db",
      "max_body_bytes": 16777216                      # optional
    }
"""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.crypto import PaillierPrivateKey, SigningKey, load_signing_key
from gateway.errors import ConfigError, KeyMaterialError

DEFAULT_MAX_BODY_BYTES = 16 * 1_048_576


class InsurerConfig(BaseModel):
    """Everything the reference insurer needs: its identity and keys, and whom it trusts."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )

    insurer_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")
    receipt_key: SigningKey
    gateways: Mapping[str, Mapping[str, Any]] = Field(
        description="Exporter id -> that gateway's JWKS (its submission-signing public keys)."
    )
    paillier_private_key: PaillierPrivateKey
    state_path: Path
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)


class _FileConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    insurer_id: str
    receipt_key: Path
    paillier_private_key: Path
    gateways: dict[str, Path]
    state_path: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def _read_secret(path: Path) -> bytes:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyMaterialError(f"{path}: key file readable by group or others; chmod 600 it")
        return path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot read key file ({exc.strerror})") from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read JSON ({type(exc).__name__})") from exc


def load_config(path: Path) -> InsurerConfig:
    """Read the JSON configuration at ``path`` and the key files it names."""
    base = path.parent
    try:
        raw = _FileConfig.model_validate(_read_json(path))
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ConfigError(f"{path}: invalid configuration ({fields})") from exc
    try:
        receipt_key = load_signing_key(_read_secret(base / raw.receipt_key))
        paillier = PaillierPrivateKey.from_document(
            json.loads(_read_secret(base / raw.paillier_private_key))
        )
    except ValueError as exc:
        raise KeyMaterialError(f"{path}: a key file is not valid JSON") from exc
    return InsurerConfig(
        insurer_id=raw.insurer_id,
        receipt_key=receipt_key,
        gateways={eid: _read_json(base / jwks) for eid, jwks in raw.gateways.items()},
        paillier_private_key=paillier,
        state_path=base / raw.state_path,
        max_body_bytes=raw.max_body_bytes,
    )

"""Configuration of the reference insurer API, and loading it from a JSON file.

The file names its key material by path (relative paths are relative to the file)::

    {
      "insurer_id": "insurer-demo",
      "receipt_key": "receipt-key.pem",              # Ed25519 PKCS#8 PEM, mode 0600
      "paillier_private_key": "paillier-private.json",   # private key document, mode 0600
      "gateways": {"exporter-demo": "exporter-demo.jwks.json"},
      "state_path": "insurer-state.db",
      "max_body_bytes": 16777216,                     # optional
      "hub_id": "hub-demo",                           # optional: accept releases of this hub
      "hub_jwks": "hub.jwks.json",                    # ... signed by these keys
      "hub_min_k": 3,                                 # optional: refuse releases with k below
      "limits": {"per_buyer": {"EUR": "2500000.00"},  # optional, major units per currency
                 "per_country": {"EUR": "10000000"}}
    }
"""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from gateway.crypto import PaillierPrivateKey, SigningKey, load_signing_key
from gateway.errors import ConfigError, KeyMaterialError
from gateway.examples.insurer_api.portfolio import ExposureLimits
from gateway.model.currency import MINOR_UNITS

DEFAULT_MAX_BODY_BYTES = 16 * 1_048_576
DEFAULT_HUB_MIN_K = 3
MAX_LIMIT_DIGITS = 30
_PARTY = r"^[A-Za-z0-9._:-]{1,128}$"


class InsurerConfig(BaseModel):
    """Everything the reference insurer needs: its identity and keys, and whom it trusts."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )

    insurer_id: str = Field(pattern=_PARTY)
    receipt_key: SigningKey
    gateways: Mapping[str, Mapping[str, Any]] = Field(
        description="Exporter id -> that gateway's JWKS (its submission-signing public keys)."
    )
    paillier_private_key: PaillierPrivateKey
    state_path: Path
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    hub_id: str | None = Field(default=None, pattern=_PARTY)
    hub_jwks: Mapping[str, Any] | None = Field(
        default=None, description="The hub's release-signing public keys (JWKS)."
    )
    hub_min_k: int = Field(default=DEFAULT_HUB_MIN_K, ge=2)
    limits: ExposureLimits = Field(default_factory=ExposureLimits)

    @model_validator(mode="after")
    def _hub_pair(self) -> InsurerConfig:
        if (self.hub_id is None) != (self.hub_jwks is None):
            raise ValueError("hub_id and hub_jwks go together")
        return self


class _FileLimits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    per_buyer: dict[str, StrictStr | StrictInt] = {}
    per_country: dict[str, StrictStr | StrictInt] = {}


class _FileConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    insurer_id: str
    receipt_key: Path
    paillier_private_key: Path
    gateways: dict[str, Path]
    state_path: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    hub_id: str | None = None
    hub_jwks: Path | None = None
    hub_min_k: int = DEFAULT_HUB_MIN_K
    limits: _FileLimits = _FileLimits()


def to_minor(amount: str | int, currency: str, where: str) -> int:
    """A limit in major units (``"2500000.00"``, ``2500000``) as minor units of ``currency``."""
    if currency not in MINOR_UNITS:
        raise ConfigError(f"{where}: not an ISO 4217 currency code")
    try:
        value = Decimal(amount) if isinstance(amount, int) else Decimal(amount.strip())
    except InvalidOperation as exc:
        raise ConfigError(f"{where}: not a decimal amount") from exc
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{where}: must be a finite amount, zero or more")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if len(digits) + exponent > MAX_LIMIT_DIGITS:
        raise ConfigError(f"{where}: more than {MAX_LIMIT_DIGITS} digits before the point")
    coefficient = int("".join(map(str, digits)))
    shift = exponent + MINOR_UNITS[currency]
    scale: int = 10 ** abs(shift)
    if shift >= 0:
        return coefficient * scale
    minor, rest = divmod(coefficient, scale)
    if rest:
        raise ConfigError(f"{where}: more decimals than {currency} has")
    return minor


def _limits(raw: _FileLimits, path: Path) -> ExposureLimits:
    def convert(scope: str, amounts: dict[str, str | int]) -> dict[str, int]:
        return {cur: to_minor(v, cur, f"{path}: limits.{scope}.{cur}")
                for cur, v in amounts.items()}

    return ExposureLimits(convert("per_buyer", raw.per_buyer),
                          convert("per_country", raw.per_country))


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
    try:
        return _build(raw, base, path, receipt_key, paillier)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or e["msg"] for e in exc.errors())
        raise ConfigError(f"{path}: invalid configuration ({fields})") from exc


def _build(raw: _FileConfig, base: Path, path: Path, receipt_key: SigningKey,
           paillier: PaillierPrivateKey) -> InsurerConfig:
    return InsurerConfig(
        insurer_id=raw.insurer_id,
        receipt_key=receipt_key,
        gateways={eid: _read_json(base / jwks) for eid, jwks in raw.gateways.items()},
        paillier_private_key=paillier,
        state_path=base / raw.state_path,
        max_body_bytes=raw.max_body_bytes,
        hub_id=raw.hub_id,
        hub_jwks=_read_json(base / raw.hub_jwks) if raw.hub_jwks is not None else None,
        hub_min_k=raw.hub_min_k,
        limits=_limits(raw.limits, path),
    )

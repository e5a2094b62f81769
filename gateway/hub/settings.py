"""The hub's configuration: ``hub.toml`` (plus ``GATEWAY_HUB_`` environment overrides).

Strict like the gateway's own settings (gateway/settings.py): unknown keys are errors,
placeholders (``REPLACE_ME``, ``CHANGEME``, ``<...>``) are refused, relative paths are resolved
against the file's directory. Secrets are never in the file: the operator's release token (and
the optional reader token) come from the environment variables the file names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.settings import _is_placeholder, _no_placeholder, load_toml_model

_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
_ENV = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
_URL = re.compile(r"^(https?)://([^\s/@:]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?(/[^\s?#]*)?$")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})
_PATHS = ("data_dir", "signing_key", "insurer_paillier_public_key")
MIB = 1_048_576


class HubSettings(BaseSettings):
    """Everything ``gateway hub serve`` and the hub commands need (docs/hub.md)."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_HUB_", extra="forbid", frozen=True, hide_input_in_errors=True
    )

    hub_id: Annotated[str, Field(pattern=_ID)]
    data_dir: Path
    signing_key: Path
    signing_key_passphrase_env: Annotated[str, Field(pattern=_ENV)] | None = None
    insurer_id: Annotated[str, Field(pattern=_ID)]
    insurer_paillier_public_key: Path
    insurer_paillier_fingerprint: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    k: int = Field(default=3, ge=2, le=1000)
    host: str = "127.0.0.1"
    port: int = Field(default=8710, ge=1, le=65535)
    release_token_env: Annotated[str, Field(pattern=_ENV)] = (
        "GATEWAY_HUB_RELEASE_TOKEN"  # noqa: S105 - a variable name, not a secret
    )
    reader_token_env: Annotated[str, Field(pattern=_ENV)] | None = None
    insurer_url: str | None = None
    max_contribution_bytes: int = Field(default=64 * MIB, ge=4096, le=512 * MIB)
    contribution_max_age_s: int = Field(default=86_400, ge=60, le=30 * 86_400)
    address_rate_per_s: float = Field(default=5.0, gt=0, le=10_000)
    address_burst: int = Field(default=30, ge=1, le=100_000)

    @model_validator(mode="before")
    @classmethod
    def _placeholders(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                _no_placeholder(value, str(key))
        return data

    @field_validator("insurer_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _URL.match(value)
        if not match:
            raise ValueError("must be an http(s) URL without credentials, query or fragment")
        if match.group(1) == "http" and match.group(2) not in _LOOPBACK:
            raise ValueError("must use https (plain http is allowed on loopback only)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _distinct_tokens(self) -> HubSettings:
        if self.reader_token_env is not None and self.reader_token_env == self.release_token_env:
            raise ValueError("reader_token_env must name another variable than release_token_env")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)

    @property
    def store_path(self) -> Path:
        """The hub's SQLite file."""
        return self.data_dir / "hub.sqlite3"


def _resolve(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(data)
    for name in _PATHS:
        value = out.get(name)
        if isinstance(value, str) and value and not _is_placeholder(value):
            out[name] = value if Path(value).is_absolute() else str(base / value)
    return out


def load_hub_settings(path: Path) -> HubSettings:
    """Load and validate ``hub.toml`` at ``path``; errors name the key, never its value."""
    return load_toml_model(
        path, HubSettings, _resolve, what="hub configuration", command="gateway hub init"
    )

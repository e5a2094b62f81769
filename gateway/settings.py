"""Typed, bounded settings: one object, from a TOML file and ``GATEWAY_`` environment variables.

Relative paths in the file are resolved against the file's directory, so a configuration
directory can be moved as a whole. Our own files are strict (``extra="forbid"``): a misspelt key
is an error, not a silently ignored option. Placeholders (``REPLACE_ME``, ``CHANGEME``, ``<...>``)
are refused. Nothing is read at import time; :func:`get_settings` caches one load per path.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.deadlines import DeadlineSettings
from gateway.delivery import DeliverySettings
from gateway.errors import ConfigError
from gateway.limits import Limits
from gateway.reconcile import ReconcileConfig

M = TypeVar("M", bound=BaseModel)
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# Whole tokens only: "changeme.example" and "<your id>" are placeholders, "Mastodon" is not.
_PLACEHOLDER = re.compile(
    r"(?<![A-Za-z0-9])(?:(?i:REPLACE[_-]?ME|CHANGE[_-]?ME)|TODO)(?![A-Za-z0-9])|^<.*>$"
)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and _PLACEHOLDER.search(value) is not None


def _no_placeholder(value: Any, name: str = "value") -> Any:
    if _is_placeholder(value):
        raise ValueError(f"{name} is a placeholder; set a real value")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _placeholders(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                _no_placeholder(value, str(key))
        return data


class KeySettings(_Strict):
    signing_key: Path
    signing_key_passphrase_env: str | None = None
    pseudonym_key: Path


class InsurerSettings(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    url: str
    paillier_public_key: Path
    paillier_fingerprint: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    receipt_jwks: Path

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/@]+(:\d+)?(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL without credentials")
        return value.rstrip("/")


class PolicySettings(_Strict):
    engine: Literal["embedded", "opa"] = "embedded"
    path: Path | None = Field(
        default=None, description="Directory of .rego files; none = built-in."
    )
    opa_url: str | None = None
    opa_timeout_s: float | None = Field(default=None, gt=0, le=600)  # none: [limits]
    opa_token_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")] | None = None

    @field_validator("opa_url")
    @classmethod
    def _opa_http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/@]+(:\d+)?(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL without credentials")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _opa_needs_url(self) -> PolicySettings:
        if self.engine == "opa" and self.opa_url is None:
            raise ValueError("engine opa needs opa_url")
        return self


class SourceSettings(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
    kind: Literal["csv", "jsonl", "sql"]
    path: Path | None = None
    url: str | None = Field(default=None, description="SQLAlchemy URL, for kind = sql.")
    url_env: str | None = Field(default=None, description="Environment variable holding the URL.")
    query: str | None = None
    mapping: str = "generic"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp949", "euc-kr"] = "auto"
    delimiter: str | None = None
    watermark_column: str | None = Field(
        default=None, description="SQL only: read rows above the last high-water mark."
    )
    watermark_start: str | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> SourceSettings:
        if self.watermark_column is not None and (self.kind != "sql" or not self.watermark_start):
            raise ValueError(
                f"source {self.name}: watermark_column needs kind sql and a watermark_start"
            )
        if self.kind in ("csv", "jsonl") and self.path is None:
            raise ValueError(f"source {self.name}: kind {self.kind} needs path")
        if self.kind == "sql" and (not (self.url or self.url_env) or not self.query):
            raise ValueError(f"source {self.name}: kind sql needs url (or url_env) and query")
        return self


class CustomsSourceSettings(_Strict):
    """A customs export declaration source (broker CSV download, JSON, or UNI-PASS XML)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
    kind: Literal["csv", "json", "unipass_xml"]
    path: Path
    mapping: str = "customs_kr"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp949", "euc-kr"] = "auto"
    delimiter: str | None = None


class ReceivablesSettings(_Strict):
    """The ERP's open-items export, for the continuing-export guard."""

    path: Path
    mapping: str = "receivables"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp949", "euc-kr"] = "auto"
    overdue_days: int = Field(default=30, ge=1, le=365)


class ServiceSettings(_Strict):
    """``gateway serve``: where it listens, the webhook's signing secret and its limits
    (docs/service-api.md)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=1, le=65535)
    webhook_secret_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")] = (
        "GATEWAY_WEBHOOK_SECRET"  # noqa: S105 - a variable name, not a secret
    )
    webhook_mapping: str = "generic"
    webhook_tolerance_s: int = Field(default=300, ge=5, le=3600)
    address_rate_per_s: float = Field(default=10.0, gt=0, le=10_000)
    address_burst: int = Field(default=60, ge=1, le=100_000)
    signer_rate_per_s: float = Field(default=5.0, gt=0, le=10_000)
    signer_burst: int = Field(default=30, ge=1, le=100_000)
    # The exposure snapshot follows pushes once they pause this long (0: inside every push),
    # and at the latest this long after the first push it does not cover yet.
    snapshot_delay_s: float = Field(default=2.0, ge=0, le=3600)
    snapshot_max_delay_s: float = Field(default=30.0, ge=0, le=86_400)


class DashboardSettings(_Strict):
    """The data-sovereignty dashboard that ``gateway serve`` serves under ``/ui``
    (docs/dashboard.md): sign-in sessions and the sample export policies are previewed on."""

    enabled: bool = True
    session_key: Path | None = None  # default: <data_dir>/session.key, created 0600 on first use
    session_ttl_s: int = Field(default=28_800, ge=300, le=604_800)
    secure_cookie: bool = False  # set true when the dashboard is reached over TLS
    sample: Path | None = None  # sample export for previews; default: the shipped demo export
    sample_mapping: str = "generic"
    login_attempts: int = Field(default=5, ge=1, le=1000)  # failures per user before a pause
    login_pause_s: int = Field(default=60, ge=1, le=86_400)


class HubSettings(_Strict):
    """The aggregation hub ``gateway contribute`` sends to (docs/hub.md)."""

    url: str
    hub_id: Annotated[str, Field(pattern=_ID)]
    consortium_key: Path | None = None  # shared by the consortium's exporters (0600)
    timeout_s: float = Field(default=30.0, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _hub_http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/@?#]+(:\d+)?(/[^\s?#]*)?$", value):
            raise ValueError("must be an http(s) URL without credentials, query or fragment")
        parts = urlsplit(value)
        if parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "::1", "localhost"}:
            raise ValueError("must use https (plain http is allowed on loopback only)")
        return value.rstrip("/")


class EncryptionSettings(_Strict):
    """Where Paillier encryption gets its obfuscators ``r^n mod n²`` (SECURITY.md)."""

    # textbook: r uniform in Z*_n, precomputed by a background process; djn: opt-in
    # Damgård-Jurik-Nielsen fixed-base obfuscators, under an extra assumption.
    obfuscators: Literal["textbook", "djn"] = "textbook"
    pool_size: int = Field(default=4096, ge=0, le=1_000_000)  # 0: no background process


class Settings(BaseSettings):
    """Everything the gateway needs to run. See README 'Configuration reference'."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,
    )

    exporter_id: Annotated[str, Field(pattern=_ID)]
    data_dir: Path
    keys: KeySettings
    insurer: InsurerSettings
    policy: PolicySettings = PolicySettings()
    sources: tuple[SourceSettings, ...] = ()
    customs: tuple[CustomsSourceSettings, ...] = ()
    reconcile: ReconcileConfig = ReconcileConfig()
    deadlines: DeadlineSettings = DeadlineSettings()
    receivables: ReceivablesSettings | None = None
    service: ServiceSettings = ServiceSettings()
    dashboard: DashboardSettings = DashboardSettings()
    delivery: DeliverySettings = DeliverySettings()
    hub: HubSettings | None = None
    encryption: EncryptionSettings = EncryptionSettings()
    limits: Limits = Limits()

    @field_validator("exporter_id", "data_dir", mode="before")
    @classmethod
    def _real_value(cls, value: Any) -> Any:
        return _no_placeholder(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file; the file is passed in as init data.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _incremental_without_customs(self) -> Settings:
        # Rows below the mark are never read again; an invoice still waiting for its customs
        # declaration would never be reconciled and so never attached: refuse, fail closed.
        marked = [s.name for s in self.sources if s.watermark_column]
        if marked and self.customs:
            raise ValueError(
                f"source {marked[0]}: watermark_column cannot be combined with [[customs]] "
                "(rows pending customs clearance would not be read again)"
            )
        return self

    @property
    def store_path(self) -> Path:
        return self.data_dir / "gateway.sqlite3"

    @property
    def session_key_path(self) -> Path:
        return self.dashboard.session_key or self.data_dir / "session.key"


def _resolve(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolve the relative paths of a raw config mapping against ``base``."""

    def fix(value: Any) -> Any:
        # Placeholders stay as written so that validation refuses them by name.
        if isinstance(value, str) and value and not _is_placeholder(value):
            return value if Path(value).is_absolute() else str(base / value)
        return value

    def fix_source(source: Any) -> Any:
        if not isinstance(source, dict):
            return source
        fixed = {k: fix(v) if k == "path" else v for k, v in source.items()}
        mapping = fixed.get("mapping")
        if isinstance(mapping, str) and mapping.endswith(".toml"):  # a mapping file, not a name
            fixed["mapping"] = fix(mapping)
        return fixed

    out = dict(data)
    if "data_dir" in out:
        out["data_dir"] = fix(out["data_dir"])
    for section, names in (
        ("keys", ("signing_key", "pseudonym_key")),
        ("insurer", ("paillier_public_key", "receipt_jwks")),
        ("policy", ("path",)),
        ("dashboard", ("session_key", "sample")),
        ("hub", ("consortium_key",)),
    ):
        if isinstance(out.get(section), dict):
            out[section] = {k: fix(v) if k in names else v for k, v in out[section].items()}
    for section in ("sources", "customs"):
        if isinstance(out.get(section), list):
            out[section] = [fix_source(s) for s in out[section]]
    if isinstance(out.get("receivables"), dict):
        out["receivables"] = fix_source(out["receivables"])
    return out


def load_toml_model(
    path: Path,
    build: Callable[..., M],
    resolve: Callable[[dict[str, Any], Path], dict[str, Any]],
    *,
    what: str,
    command: str,
) -> M:
    """Read the TOML file at ``path``, resolve its relative paths and validate it with
    ``build``; errors name the file and the key, never a value."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found (run `{command}`)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return build(**resolve(raw, path.parent.resolve()))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_settings(path: Path) -> Settings:
    """Load and validate the configuration file at ``path`` (plus ``GATEWAY_*`` overrides)."""
    return load_toml_model(
        path, Settings, _resolve, what="configuration file", command="gateway init"
    )


@cache
def get_settings(path: Path) -> Settings:
    """Cached :func:`load_settings`; tests call ``get_settings.cache_clear()``."""
    return load_settings(path)

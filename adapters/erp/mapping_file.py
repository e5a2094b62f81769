"""Load column mappings from TOML: a user's file, or one shipped in ``gateway.adapters.mappings``.

Every problem is a :class:`~gateway.errors.ConfigError` that names the file (and, for content
errors, the key), raised at start-up before any row is read.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Final

from gateway.errors import ConfigError
from gateway.ingest import ColumnMapping, load_mapping

_PACKAGE: Final = "gateway.adapters.mappings"
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_BYTES: Final = 1_048_576
_OTHER: Final = ("customs_", "receivables")  # prefixes of shipped non-record mappings


def _parse(data: bytes, origin: str) -> ColumnMapping:
    if len(data) > _MAX_BYTES:
        raise ConfigError(f"mapping {origin}: larger than {_MAX_BYTES} bytes")
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"mapping {origin}: not UTF-8 (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"mapping {origin}: not valid TOML: {exc}") from exc
    return load_mapping(parsed, origin=origin)


def from_mapping_file(path: Path) -> ColumnMapping:
    """Read and validate the mapping at ``path``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"mapping {path}: cannot be read ({reason})") from exc
    return _parse(data, str(path))


def builtin_mapping_names() -> tuple[str, ...]:
    """Names of the ERP mappings shipped with the gateway, sorted (``customs_*`` files are
    customs declaration mappings, see ``gateway.adapters.customs``; ``receivables*`` files are
    receivables mappings, see ``gateway.adapters.erp.receivables``)."""
    files = resources.files(_PACKAGE).iterdir()
    names = (f.name for f in files if f.name.endswith(".toml") and not f.name.startswith(_OTHER))
    return tuple(sorted(name.removesuffix(".toml") for name in names))


def builtin_mapping(name: str) -> ColumnMapping:
    """A shipped mapping by name, e.g. ``generic`` or ``sap_billing``."""
    if not _NAME.fullmatch(name) or name not in builtin_mapping_names():
        known = ", ".join(builtin_mapping_names())
        raise ConfigError(f"no built-in mapping of that name (known: {known})")
    data = resources.files(_PACKAGE).joinpath(f"{name}.toml").read_bytes()
    return _parse(data, f"builtin:{name}")

"""Load customs declaration mappings from TOML: a user's file, or one shipped with the gateway.

Shipped mappings live beside the ERP ones in ``gateway.adapters.mappings`` as ``customs_*.toml``.
Every problem is a :class:`~gateway.errors.ConfigError` naming the file (and, for content errors,
the key), raised at start-up before any row is read.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Final

from gateway.errors import ConfigError
from gateway.ingest.customs_mapping import CustomsMapping, load_customs_mapping

_PACKAGE: Final = "gateway.adapters.mappings"
_PREFIX: Final = "customs_"
_NAME: Final = re.compile(r"customs_[a-z0-9_]{1,56}")
_MAX_BYTES: Final = 1_048_576


def _parse(data: bytes, origin: str) -> CustomsMapping:
    if len(data) > _MAX_BYTES:
        raise ConfigError(f"customs mapping {origin}: larger than {_MAX_BYTES} bytes")
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"customs mapping {origin}: not UTF-8 (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"customs mapping {origin}: not valid TOML: {exc}") from exc
    return load_customs_mapping(parsed, origin=origin)


def customs_mapping_from_file(path: Path) -> CustomsMapping:
    """Read and validate the customs mapping at ``path``."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"customs mapping {path}: cannot be read ({reason})") from exc
    return _parse(data, str(path))


def customs_mapping_names() -> tuple[str, ...]:
    """Names of the customs mappings shipped with the gateway, sorted."""
    files = resources.files(_PACKAGE).iterdir()
    return tuple(
        sorted(
            f.name.removesuffix(".toml")
            for f in files
            if f.name.startswith(_PREFIX) and f.name.endswith(".toml")
        )
    )


def builtin_customs_mapping(name: str) -> CustomsMapping:
    """A shipped customs mapping by name: ``customs_kr`` (Korean headers) or ``customs_en``."""
    if not _NAME.fullmatch(name) or name not in customs_mapping_names():
        known = ", ".join(customs_mapping_names())
        raise ConfigError(f"no built-in customs mapping of that name (known: {known})")
    data = resources.files(_PACKAGE).joinpath(f"{name}.toml").read_bytes()
    return _parse(data, f"builtin:{name}")

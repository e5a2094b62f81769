"""Read Rego policy bundles from a directory or from the policies shipped with the gateway.

Every ``*.rego`` file below the directory is read, strictly as UTF-8, with a size bound per file
and in total; keys are relative POSIX paths. Symbolic links are refused (a policy directory must
not reach outside itself) and hidden files and directories (editor lock files, ``.git``) are
skipped. Any problem is a :class:`~gateway.errors.ConfigError` naming the file.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from gateway.errors import ConfigError, PolicyError
from gateway.policy.bundle import NAME_PATTERN, PolicyBundle

MAX_MODULE_BYTES: Final = 1_048_576
MAX_MODULES: Final = 1000
MAX_TOTAL_BYTES: Final = 16 * 1_048_576
BUILTIN_PACKAGE: Final = "gateway.policies"
BUILTIN_NAME: Final = "default"
_NAME_RE: Final = re.compile(NAME_PATTERN)


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_MODULE_BYTES:
        raise ConfigError(f"policy file {name}: larger than {MAX_MODULE_BYTES} bytes")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"policy file {name}: not valid UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        raise ConfigError(f"policy file {name}: starts with a byte-order mark; save it without")
    if "\x00" in text:
        raise ConfigError(f"policy file {name}: contains a NUL character")
    return text


def _bundle(modules: dict[str, str], where: str, name: str) -> PolicyBundle:
    if not modules:
        raise ConfigError(f"policy directory {where}: no .rego files")
    if len(modules) > MAX_MODULES:
        raise ConfigError(f"policy directory {where}: more than {MAX_MODULES} .rego files")
    if sum(len(text.encode("utf-8")) for text in modules.values()) > MAX_TOTAL_BYTES:
        raise ConfigError(f"policy directory {where}: more than {MAX_TOTAL_BYTES} bytes of Rego")
    try:
        return PolicyBundle(modules, name=name)
    except PolicyError as exc:
        raise ConfigError(f"policy directory {where}: {exc}") from exc


def _read_file(path: Path, name: str) -> str:
    if path.is_symlink():
        raise ConfigError(f"policy file {name}: symbolic links are not followed")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MODULE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"policy file {name}: cannot be read ({exc.strerror})") from exc
    return _decode(data, name)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def load_policy_dir(path: Path, *, name: str | None = None) -> PolicyBundle:
    """Every ``*.rego`` file below ``path``, keyed by its relative POSIX path.

    The bundle is named ``name``, else after the directory (``custom`` if its name is not a
    plain label).
    """
    if not path.is_dir():
        raise ConfigError(f"policy directory {path}: not a directory")
    modules: dict[str, str] = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if _hidden(relative):
            continue
        if file.is_symlink():
            raise ConfigError(f"policy path {relative.as_posix()}: symbolic links are not followed")
        if file.suffix == ".rego" and file.is_file():
            modules[relative.as_posix()] = _read_file(file, relative.as_posix())
    if name is None:
        dirname = path.resolve().name
        name = dirname if _NAME_RE.match(dirname) else "custom"
    return _bundle(modules, str(path), name)


def _walk(node: Traversable, prefix: str, out: dict[str, str]) -> None:
    for child in sorted(node.iterdir(), key=lambda item: item.name):
        if child.name.startswith((".", "__")):
            continue
        name = f"{prefix}{child.name}"
        if child.is_dir():
            _walk(child, f"{name}/", out)
        elif child.name.endswith(".rego"):
            out[name] = _decode(child.read_bytes(), f"{BUILTIN_PACKAGE}:{name}")


def builtin_policy() -> PolicyBundle:
    """The default policy shipped in ``gateway.policies`` (package data)."""
    modules: dict[str, str] = {}
    _walk(resources.files(BUILTIN_PACKAGE), "", modules)
    return _bundle(modules, BUILTIN_PACKAGE, BUILTIN_NAME)

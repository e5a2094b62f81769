"""Hazardous libraries stay behind one module each (STYLE.md §2)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGES = ["gateway", "gateway.adapters", "gateway.keys", "gateway.policies", "gateway.examples"]
ALLOWED = {"phe": "gateway/crypto/_paillier.py", "cryptography.hazmat": "gateway/crypto/_hazmat.py"}


def _sources() -> list[Path]:
    files: set[Path] = set()
    for name in PACKAGES:
        package = importlib.import_module(name)
        for folder in package.__path__:
            files.update(Path(folder).rglob("*.py"))
    return sorted(files)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(prefix: str) -> list[str]:
    allowed = ALLOWED[prefix]
    found = []
    for path in _sources():
        if path.as_posix().endswith(allowed):
            continue
        if any(name == prefix or name.startswith(prefix + ".") for name in _imports(path)):
            found.append(path.as_posix())
    return found


def test_the_scan_sees_the_allowed_modules() -> None:
    seen = [p.as_posix() for p in _sources()]
    for allowed in ALLOWED.values():
        assert any(p.endswith(allowed) for p in seen)
    assert "phe" in {
        n.split(".")[0] for n in _imports(next(p for p in _sources() if p.name == "_paillier.py"))
    }


@pytest.mark.parametrize("prefix", sorted(ALLOWED))
def test_only_one_module_imports(prefix: str) -> None:
    assert _offenders(prefix) == []

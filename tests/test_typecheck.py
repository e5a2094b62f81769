"""mypy --strict over the whole installed package, as one test of the suite.

mypy does not follow setuptools' ``package_dir`` mapping (docs/adr/0001-package-layout.md), so the
test lays the package out as it is installed — ``gateway/`` with ``adapters/``, ``keys/``,
``policies/`` and ``examples/`` inside it — as symbolic links in a temporary directory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("adapters", "keys", "policies", "examples")


def test_package_type_checks_strictly(tmp_path: Path) -> None:
    package = tmp_path / "gateway"
    package.mkdir()
    for entry in (ROOT / "gateway").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name in MAPPED:
        (package / name).symlink_to(ROOT / name)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / ".mypy_cache"), "-p", "gateway"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout

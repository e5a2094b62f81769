"""The documents stay true to the tree: every test, module or file they cite exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "SECURITY.md", ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CITED = re.compile(
    r"`((?:tests|gateway|adapters|keys|policies|examples|docs)/[\w./*-]+?)(?:::\w+)?`"
)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_path_exists(doc: Path) -> None:
    missing = []
    for cited in CITED.findall(doc.read_text(encoding="utf-8")):
        pattern = cited.rstrip("/")
        if "<" in pattern:
            continue
        found = list(ROOT.glob(pattern)) if "*" in pattern else [ROOT / pattern]
        if not found or not all(p.exists() for p in found):
            missing.append(cited)
    assert not missing, f"{doc.name} cites paths that do not exist: {missing}"


def test_security_md_names_a_test_for_every_defence() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    table = text.split("## Defences and their tests", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows, "SECURITY.md has no defence table"
    for row in rows:
        assert "`tests/" in row or "`gateway/" in row, f"defence without a test: {row}"

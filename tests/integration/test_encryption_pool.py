"""Syncs whose Paillier obfuscators come from the background pool or from the opt-in DJN
fixed-base source: the insurer's stock decryption gives the same totals as inline encryption."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from gateway.cli.demo import DemoResult, run_demo
from gateway.encryption import close_obfuscators


def _demo(workdir: Path, monkeypatch: pytest.MonkeyPatch, mode: str, pool: int) -> DemoResult:
    monkeypatch.setenv("GATEWAY_ENCRYPTION__OBFUSCATORS", mode)
    monkeypatch.setenv("GATEWAY_ENCRYPTION__POOL_SIZE", str(pool))
    try:
        return run_demo(workdir, Console(file=io.StringIO(), width=120), paillier_bits=2048)
    finally:
        close_obfuscators()


def _totals(result: DemoResult) -> list[tuple[str, str, int, int]]:
    """Bucket totals without the buyer token (each demo run has its own pseudonym key)."""
    return sorted(
        (b["key"]["country"], b["key"]["maturity_month"], b["records"], int(b["total_minor"]))
        for b in result.exposure
    )


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "pool"), [("textbook", 64), ("djn", 0)])
def test_pooled_and_fixed_base_obfuscators_decrypt_to_the_inline_totals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, pool: int
) -> None:
    drawn = _demo(tmp_path / mode, monkeypatch, mode, pool)
    inline = _demo(tmp_path / "inline", monkeypatch, "textbook", 0)
    assert drawn.exposure and _totals(drawn) == _totals(inline)
    assert drawn.result.sources["erp"].attached == inline.result.sources["erp"].attached

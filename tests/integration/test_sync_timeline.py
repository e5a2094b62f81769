"""``benchmarks/sync_timeline.py`` at 300 shipments: one real ``gateway sync`` (real keys, the
reference insurer in its own process on loopback, real SQLite files) sampled phase by phase.
No timing is asserted, only that the timeline is consistent with the run it measured."""

from __future__ import annotations

import itertools
from pathlib import Path

from benchmarks import sync_timeline


def test_the_timeline_marks_every_phase_in_order_and_its_figures_agree(tmp_path: Path) -> None:
    result = sync_timeline.run(300, tmp_path / "data", tmp_path / "work", every_s=0.05)
    assert result["balanced"] and result["submissions"] >= 1
    assert result["delivered"] == result["submissions"]
    phases = result["phases"]
    assert [p["phase"] for p in phases] == list(sync_timeline.PHASES)
    starts = [p["from_s"] for p in phases]
    assert starts == sorted(starts) and phases[-1]["to_s"] == result["seconds"]
    for before, after in itertools.pairwise(phases):
        assert before["to_s"] == after["from_s"]
    samples = [mib for _, mib in result["samples"]]
    assert result["peak_mib"] == max(samples) and all(p["max_mib"] is not None for p in phases)
    assert all(p["min_mib"] <= p["max_mib"] <= result["peak_mib"] for p in phases)
    assert result["records_per_s"] == 300 / result["seconds"]
    text = sync_timeline.render(result)
    assert "300 shipments" in text and all(f"  {name} " in text for name in sync_timeline.PHASES)


def test_a_phase_marked_twice_keeps_its_first_start() -> None:
    timeline = sync_timeline.Timeline(1.0)
    timeline.mark("snapshot")
    first = timeline.marks[0][0]
    timeline.mark("snapshot")
    assert timeline.marks == [(first, "snapshot")]

"""Settings and results of a crash test, and their JSON form.

Lost records, duplicates and version errors describe the state after a recovery, which later runs
inherit (a duplicate at the insurer never goes away): the totals give their worst value over the
runs. Ledger, account, outbox and recovery failures are events of one run: the totals add them up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .checks import Findings

STATE_KEYS = ("lost", "duplicates", "version_errors")
EVENT_KEYS = ("ledger_failures", "account_failures", "outbox_left", "recovery_failures")


@dataclass(frozen=True)
class CrashSettings:
    """``runs`` kill + recovery cycles over an export of ``records`` rows, all choices drawn from
    ``seed``. ``chunk`` caps attachments per submission (None: the gateway's default);
    ``mutate`` appends and modifies rows between runs; ``triggered`` is the share of runs whose
    kill is set off by an event (a submission committed; the insurer's answer in flight)
    instead of a timer."""

    runs: int = 20
    records: int = 300
    seed: int = 1
    chunk: int | None = 100
    mutate: bool = True
    triggered: float = 0.25


@dataclass
class RunRecord:
    run: int
    strategy: str
    delay_s: float
    phase: str
    exited_before_kill: int | None
    recovery_s: float
    findings: Findings


@dataclass
class CrashReport:
    settings: CrashSettings
    calibration_s: float = 0.0
    calibration_later_s: float = 0.0
    rows_at_end: int = 0
    runs: list[RunRecord] = field(default_factory=list)
    wall_s: float = 0.0

    def failed(self) -> bool:
        return any(r.findings.failed() for r in self.runs)

    def totals(self) -> dict[str, Any]:
        sums = {k: max((getattr(r.findings, k) for r in self.runs), default=0) for k in STATE_KEYS}
        sums |= {k: sum(getattr(r.findings, k) for r in self.runs) for k in EVENT_KEYS}
        return {
            "runs": len(self.runs),
            "records": self.settings.records,
            "rows_at_end": self.rows_at_end,
            "seed": self.settings.seed,
            "calibration_s": round(self.calibration_s, 3),
            "calibration_later_s": round(self.calibration_later_s, 3),
            "kills_per_phase": dict(sorted(Counter(r.phase for r in self.runs).items())),
            "kills_per_strategy": dict(sorted(Counter(r.strategy for r in self.runs).items())),
            "records_lost": sums["lost"],
            "duplicates": sums["duplicates"],
            "version_errors": sums["version_errors"],
            "ledger_failures": sums["ledger_failures"],
            "account_failures": sums["account_failures"],
            "outbox_left": sums["outbox_left"],
            "recovery_failures": sums["recovery_failures"],
            "failed_runs": sum(r.findings.failed() for r in self.runs),
            "wall_time_s": round(self.wall_s, 1),
        }

    def as_json(self) -> dict[str, Any]:
        out = self.totals()
        out["settings"] = asdict(self.settings)
        out["failures"] = [
            {"run": r.run, "strategy": r.strategy, "phase": r.phase,
             "delay_s": round(r.delay_s, 3),
             **{k: v for k, v in asdict(r.findings).items() if v}}
            for r in self.runs if r.findings.failed()
        ]
        return out

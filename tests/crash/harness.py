"""SIGKILL crash test for the promise "never lose a record".

:func:`run_crash_test` builds a :class:`~tests.crash.workspace.Workspace` (real keys, a reference
insurer in its own process, a generated ERP export) and loops: start ``gateway sync``, SIGKILL it,
run a recovery ``gateway sync`` to completion, and check that no record was lost or attached
twice, that each changed row arrived as its next revision, that the ledger verifies, that the
last run's account balances and that the outbox is empty. Between runs rows are appended or
modified (versions). One seeded RNG drives every choice.

Most kills are timed: the delay is drawn in [0, 1.1 x the duration of an uninterrupted sync of
the same kind], measured first in a separate workspace. The rest are triggered by an event, so
that the short windows of the delivery are hit too: ``commit`` kills as soon as a submission is
committed to the outbox, ``receipt`` kills when the insurer has stored a submission and its
answer is on the way back. Each kill's phase is read from the stores right after it.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import checks, stores
from .export import Export
from .processes import Done, sigkill
from .report import CrashReport, CrashSettings, RunRecord
from .workspace import Workspace

__all__ = [
    "CrashReport",
    "CrashSettings",
    "Workspace",
    "calibrate",
    "crash_once",
    "kill_when",
    "mutate",
    "run_crash_test",
]

KILL_SPREAD = 1.1  # timed kills are drawn in [0, 1.1 x an uninterrupted sync's duration]
CALIBRATION_LATER = 3
TRIGGER_TIMEOUT_S = 120.0
POLL_S = 0.002


def calibrate(root: Path, settings: CrashSettings) -> tuple[float, float]:
    """Seconds an uninterrupted sync takes, in its own workspace: the first sync of a fresh
    export, and (the median of three) later syncs after the kind of change the crash runs
    make."""
    rng = random.Random(settings.seed ^ 0x5EED)
    space = Workspace.create(root, settings.records, rng, chunk=settings.chunk)
    try:
        syncs = [space.sync("calibration-first.log")]
        for _ in range(CALIBRATION_LATER):
            if settings.mutate:
                mutate(space.export, rng, settings.records)
            syncs.append(space.sync("calibration-later.log"))
        for done in syncs:
            if done.returncode != 0:
                raise RuntimeError(f"calibration sync failed (exit {done.returncode})")
        return syncs[0].seconds, statistics.median(d.seconds for d in syncs[1:])
    finally:
        space.close()


def mutate(export: Export, rng: random.Random, records: int) -> None:
    """Modify some rows (new versions) and/or append some, or leave the export as it is. Rows
    are modified before appending, so only rows a sync has already seen get a new version."""
    if rng.random() < 0.5:
        export.modify(rng.randint(1, 2))
    if rng.random() < 0.7:
        export.append(rng.randint(1, max(1, records // 10)))
    export.write()


def kill_when(
    proc: subprocess.Popen[bytes], condition: Callable[[], bool], timeout: float
) -> int | None:
    """Poll ``condition`` every few milliseconds and SIGKILL ``proc`` as soon as it holds (or at
    ``timeout``). Returns the exit code if ``proc`` finished on its own first, else ``None``."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if condition():
            break
        time.sleep(POLL_S)
    return sigkill(proc)


def crash_once(space: Workspace, strategy: str, delay: float) -> tuple[str, int | None, Done]:
    """One kill (``timed`` after ``delay`` s, or ``commit`` / ``receipt`` triggered) and one
    recovery. Returns the phase the kill hit, the sync's exit code if it had finished before the
    kill, and the recovery."""
    before = space.gateway_view()
    proc = space.start_sync()
    if strategy == "receipt":
        space.relay.switch.arm(proc)
    try:
        if strategy == "timed":
            time.sleep(delay)
            exited = sigkill(proc)
        elif strategy == "commit":
            exited = kill_when(
                proc, lambda: stores.open_submissions(space.store) > 0, TRIGGER_TIMEOUT_S
            )
        else:
            exited = kill_when(proc, space.relay.switch.fired.is_set, TRIGGER_TIMEOUT_S)
            exited = None if space.relay.switch.fired.is_set() else exited
    finally:
        space.relay.switch.disarm()
    phase = checks.classify(before, space.gateway_view(), stores.insurer_ids(space.insurer_state))
    return phase, exited, space.sync("recovery.log")


def _strategy(rng: random.Random, triggered: float) -> str:
    if rng.random() >= triggered:
        return "timed"
    return rng.choice(("commit", "receipt"))


def run_crash_test(
    work: Path, settings: CrashSettings, log: Callable[[str], None] = print
) -> CrashReport:
    """The whole crash test in ``work`` (which it fills). Findings are reported, never raised."""
    started = time.monotonic()
    report = CrashReport(settings)
    report.calibration_s, report.calibration_later_s = calibrate(work / "calibration", settings)
    log(f"uninterrupted sync: first {report.calibration_s:.2f} s, "
        f"later {report.calibration_later_s:.2f} s")
    rng = random.Random(settings.seed)
    space = Workspace.create(work / "crash", settings.records, rng, chunk=settings.chunk)
    try:
        for run in range(1, settings.runs + 1):
            if run > 1 and settings.mutate:
                mutate(space.export, rng, settings.records)
            strategy = _strategy(rng, settings.triggered)
            duration = report.calibration_s if run == 1 else report.calibration_later_s
            delay = rng.uniform(0.0, KILL_SPREAD * duration) if strategy == "timed" else 0.0
            phase, exited, recovery = crash_once(space, strategy, delay)
            findings = space.check(recovery)
            report.runs.append(
                RunRecord(run, strategy, delay, phase, exited, recovery.seconds, findings)
            )
            status = "FAIL " + "; ".join(findings.notes) if findings.failed() else "ok"
            when = f"{delay:6.3f} s" if strategy == "timed" else f"{strategy:>8}"
            log(f"run {run:4d}: kill {when} in {phase:<13} -> {status}")
    finally:
        report.rows_at_end = len(space.export.rows)
        space.close()
        report.wall_s = time.monotonic() - started
    return report

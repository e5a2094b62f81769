"""Resident memory of one end-to-end ``gateway sync`` over time, phase by phase.

    python benchmarks/sync_timeline.py 1000000 --data bench-data --json timeline.json

Generates (or reuses, with ``--data``) the suite's ERP and customs exports for N shipments,
starts the reference insurer in its own process, and runs ``gateway sync`` in this process
with reconciliation and delivery, while a thread samples the resident size (``VmRSS``) every
``--every`` seconds. The phases are marked where they start: staging the exports (the sync's
start), streaming matched groups (``ReconcileStaging.matches``), the exposure snapshot, and
delivery. The report gives the resident size before the sync, the range within each phase,
the peak and the records per second; ``python -m benchmarks.suite`` gives the same run's
figures beside every stage and baseline, but only its peak.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.erp_data import AS_OF  # noqa: E402
from benchmarks.stages import _rss_mib as rss_mib  # noqa: E402
from benchmarks.suite import EXPORTER, _config, _data, insurer_process  # noqa: E402

PHASES = ("staging", "streaming", "snapshot", "delivery")


class Timeline:
    """(seconds, MiB) samples and (seconds, phase) marks from one start."""

    def __init__(self, every_s: float) -> None:
        self.every = every_s
        self.start = time.perf_counter()
        self.samples: list[tuple[float, float]] = []
        self.marks: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _now(self) -> float:
        return time.perf_counter() - self.start

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((self._now(), rss_mib()))
            self._stop.wait(self.every)

    def mark(self, phase: str) -> None:
        if not any(name == phase for _, name in self.marks):  # a phase starts once
            self.marks.append((self._now(), phase))
            self.samples.append((self._now(), rss_mib()))

    @contextmanager
    def running(self) -> Iterator[None]:
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join()
            self.samples.append((self._now(), rss_mib()))

    def phases(self, end: float) -> list[dict[str, Any]]:
        """Each marked phase with its time span and the resident sizes sampled within it."""
        bounds = [*self.marks, (end, "")]
        out = []
        for (begin, name), (until, _) in itertools.pairwise(bounds):
            inside = [mib for at, mib in self.samples if begin <= at <= until]
            out.append({"phase": name, "from_s": begin, "to_s": until,
                        "min_mib": min(inside, default=None),
                        "max_mib": max(inside, default=None)})
        return out


@contextmanager
def _wrapped(owner: Any, attr: str, before: Callable[[], None]) -> Iterator[None]:
    original = getattr(owner, attr)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before()
        return original(*args, **kwargs)

    setattr(owner, attr, wrapper)
    try:
        yield
    finally:
        setattr(owner, attr, original)


def run(shipments: int, data: Path, work: Path, every_s: float = 0.25) -> dict[str, Any]:
    """One sync of ``shipments`` generated shipments; its timeline and figures."""
    from gateway.cli.sync import run_sync
    from gateway.crypto import generate_signing_key
    from gateway.devsetup import create_dev_insurer
    from gateway.keys import generate_gateway_keys
    from gateway.pipeline import Pipeline
    from gateway.settings import load_settings
    from gateway.store.staging import ReconcileStaging

    expected = _data(shipments, data)
    keys = generate_gateway_keys(work / "keys", EXPORTER)
    insurer = create_dev_insurer(work / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER,
                                 paillier_bits=2048, receipt_key=generate_signing_key())
    with insurer_process(insurer, "timeline", work / "insurer.log") as server:
        settings = load_settings(Path(_config(work / "e2e", keys, insurer, data, server["url"])))
        timeline = Timeline(every_s)
        before = rss_mib()
        with (timeline.running(),
              _wrapped(Pipeline, "process", lambda: timeline.mark("staging")),
              _wrapped(ReconcileStaging, "matches", lambda: timeline.mark("streaming")),
              _wrapped(Pipeline, "plan_snapshot", lambda: timeline.mark("snapshot")),
              _wrapped(Pipeline, "_exposure_snapshot", lambda: timeline.mark("snapshot")),
              _wrapped(Pipeline, "deliver", lambda: timeline.mark("delivery"))):
            result = run_sync(settings, show_progress=False, as_of=AS_OF)
        seconds = timeline.samples[-1][0]
    peak_at, peak = max(timeline.samples, key=lambda s: s[1])
    return {
        "shipments": shipments,
        "expected": expected,
        "seconds": seconds,
        "records_per_s": shipments / seconds,
        "submissions": len(result.submissions),
        "delivered": result.delivered,
        "balanced": all(a.balanced() for a in result.sources.values()),
        "rss_before_mib": before,
        "peak_mib": peak,
        "peak_at_s": peak_at,
        "phases": timeline.phases(seconds),
        "samples": timeline.samples,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"gateway sync, {result['shipments']:,} shipments: {result['seconds']:,.1f} s, "
             f"{result['records_per_s']:,.0f} records/s, {result['submissions']} submissions "
             f"({result['delivered']} delivered), accounts balance: {result['balanced']}",
             f"resident before the sync: {result['rss_before_mib']:,.0f} MiB; peak "
             f"{result['peak_mib']:,.0f} MiB at {result['peak_at_s']:,.1f} s"]
    for phase in result["phases"]:
        low, high = phase["min_mib"], phase["max_mib"]
        span = "-" if low is None else f"{low:,.0f}-{high:,.0f} MiB"
        lines.append(f"  {phase['phase']:<10} {phase['from_s']:>8,.1f} - {phase['to_s']:>8,.1f} s"
                     f"  {span}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/sync_timeline.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("shipments", type=int)
    parser.add_argument("--data", type=Path, help="keep and reuse generated exports here")
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("--json", type=Path, help="write the figures and samples here")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ecg-timeline-") as tmp:
        data = (options.data / f"shipments-{options.shipments}") if options.data \
            else Path(tmp) / "data"
        data.mkdir(parents=True, exist_ok=True)
        result = run(options.shipments, data, Path(tmp), options.every)
    print(render(result))
    if options.json:
        options.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0 if result["balanced"] and result["delivered"] == result["submissions"] else 1


if __name__ == "__main__":
    sys.exit(main())

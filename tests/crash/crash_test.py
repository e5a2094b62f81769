"""Run the SIGKILL crash test from the shell and print its summary.

    python tests/crash/crash_test.py --runs 200 --records 300 --seed 1

Prints a table and a JSON summary (runs, kills per phase, records lost, duplicates, ledger and
account failures, wall time); exits 1 if any run found a failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.crash.harness import CrashReport, CrashSettings, run_crash_test


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SIGKILL crash test of gateway sync.")
    parser.add_argument("--runs", type=int, default=20, help="kill + recovery cycles")
    parser.add_argument("--records", type=int, default=300, help="rows in the first export")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument("--chunk", type=int, default=100,
                        help="max attachments per submission (0: the gateway's default)")
    parser.add_argument("--no-mutate", action="store_true",
                        help="never append or modify rows between runs")
    parser.add_argument("--triggered", type=float, default=0.25,
                        help="share of kills set off by an event instead of a timer")
    parser.add_argument("--work", type=Path, default=None,
                        help="work directory to keep (default: a temporary one, removed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--quiet", action="store_true", help="no line per run")
    return parser.parse_args(argv)


def table(report: CrashReport) -> str:
    totals = report.totals()
    lines = [f"{'runs':<22}{totals['runs']:>10}",
             f"{'rows in export at end':<22}{totals['rows_at_end']:>10}",
             f"{'first sync s':<22}{totals['calibration_s']:>10.2f}",
             f"{'later sync s':<22}{totals['calibration_later_s']:>10.2f}"]
    for phase, count in totals["kills_per_phase"].items():
        lines.append(f"{'kills in ' + phase:<22}{count:>10}")
    for strategy, count in totals["kills_per_strategy"].items():
        lines.append(f"{'kills ' + strategy:<22}{count:>10}")
    for key in ("records_lost", "duplicates", "version_errors", "ledger_failures",
                "account_failures", "outbox_left", "recovery_failures", "failed_runs"):
        lines.append(f"{key:<22}{totals[key]:>10}")
    lines.append(f"{'wall time s':<22}{totals['wall_time_s']:>10.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        print(f"--work {args.work} is not empty; give a new directory", file=sys.stderr)
        return 2
    settings = CrashSettings(
        runs=args.runs, records=args.records, seed=args.seed,
        chunk=args.chunk or None, mutate=not args.no_mutate, triggered=args.triggered,
    )
    log = (lambda _: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        if args.work is not None:
            report = run_crash_test(args.work, settings, log)
        else:
            with tempfile.TemporaryDirectory(prefix="gateway-crash-") as work:
                report = run_crash_test(Path(work), settings, log)
    except RuntimeError as exc:  # the set-up failed (insurer start, calibration sync)
        print(f"crash test could not run: {exc}", file=sys.stderr)
        return 1
    print(table(report))
    summary = json.dumps(report.as_json(), indent=2, sort_keys=True)
    print(summary)
    if args.json is not None:
        args.json.write_text(summary + "\n", encoding="utf-8")
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())

"""Time and peak memory of reconciliation in memory and over the SQLite staging file.

Run from the repository root::

    python benchmarks/staging_bench.py                      # 10k and 100k shipments
    python benchmarks/staging_bench.py --sizes 1000000 --json staging.json

For each size, a fresh subprocess generates that many shipments with
``gateway.reconcile.synthetic.generate`` (5 % of invoices missing from the ERP side) and writes
both sides as JSON Lines. Then two fresh subprocesses each read those files and reconcile them:
``memory`` parses every record into a list and calls ``reconcile``; ``staged`` adds each record
to a ``ReconcileStaging`` as it is read and iterates ``matches``. Both walk every outcome and
count the kinds (the counts must agree). Each reports wall time from the first record read to
the last outcome, and its peak resident memory growth: the peak (``VmHWM``, reset after the
imports where the kernel allows it) minus the resident size after imports. The staged run also
reports the size of its staging file once matching has started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    shipments: int
    erp: int
    customs: int
    engine: str
    seconds: float
    rss_growth_mib: float
    file_mib: float
    counts: dict[str, int]


def _status(field: str) -> int:
    """A ``/proc/self/status`` size in bytes (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux 4.0+)


def _peak() -> int:
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        yield from handle


# -- child processes -----------------------------------------------------------------------
def _generate(folder: Path, shipments: int, seed: int) -> dict[str, Any]:
    from gateway.reconcile.synthetic import generate

    data = generate(shipments, seed=seed)
    with (folder / "erp.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(r.model_dump_json() + "\n" for r in data.erp)
    with (folder / "customs.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(d.model_dump_json() + "\n" for d in data.declarations)
    return {"erp": len(data.erp), "customs": len(data.declarations),
            "as_of": data.as_of.isoformat(), "fx": {k: str(v) for k, v in data.fx.items()}}


def _memory(folder: Path, config: Any, as_of: date) -> tuple[dict[str, int], float]:
    from gateway.model import ExportDeclaration, ExportRecord
    from gateway.reconcile import reconcile

    erp = [ExportRecord.model_validate_json(line) for line in _lines(folder / "erp.jsonl")]
    decls = [ExportDeclaration.model_validate_json(line)
             for line in _lines(folder / "customs.jsonl")]
    counts: dict[str, int] = {}
    for match in reconcile(erp, decls, config, as_of=as_of):
        counts[match.kind.value] = counts.get(match.kind.value, 0) + 1
    return counts, 0.0


def _staged(folder: Path, config: Any, as_of: date, cache_kib: int) -> tuple[dict[str, int], float]:
    from gateway.model import ExportDeclaration, ExportRecord
    from gateway.store.staging import ReconcileStaging

    counts: dict[str, int] = {}
    size = 0
    with ReconcileStaging(config, directory=folder, cache_kib=cache_kib) as staging:
        for n, line in enumerate(_lines(folder / "erp.jsonl")):
            staging.add_erp(ExportRecord.model_validate_json(line), 0, str(n))
        for line in _lines(folder / "customs.jsonl"):
            staging.add_declaration(ExportDeclaration.model_validate_json(line), 1)
        for staged in staging.matches(as_of=as_of):
            if not size:
                size = staging.path.stat().st_size
            kind = staged.match.kind.value
            counts[kind] = counts.get(kind, 0) + 1
    return counts, size / MiB


def _child(mode: str, folder: Path, shipments: int, seed: int, cache_kib: int) -> dict[str, Any]:
    if mode == "generate":
        return _generate(folder, shipments, seed)
    from gateway.reconcile import ReconcileConfig

    meta = json.loads((folder / "meta.json").read_text())
    config = ReconcileConfig(fx=meta["fx"])
    as_of = date.fromisoformat(meta["as_of"])
    baseline = _status("VmRSS") or _peak()
    _reset_peak()
    started = time.perf_counter()
    if mode == "memory":
        counts, file_mib = _memory(folder, config, as_of)
    else:
        counts, file_mib = _staged(folder, config, as_of, cache_kib)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "growth": max(0, _peak() - baseline) / MiB, "counts": counts,
            "file_mib": file_mib}


# -- parent --------------------------------------------------------------------------------
def _run(mode: str, folder: Path, shipments: int, seed: int, cache_kib: int) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this interpreter running this file
        [sys.executable, __file__, "--child", mode, "--dir", str(folder),
         "--sizes", str(shipments), "--seed", str(seed), "--cache-kib", str(cache_kib)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def measure(sizes: Sequence[int], seed: int, cache_kib: int) -> list[Row]:
    """One generated data set per size, reconciled by both engines in fresh processes."""
    rows = []
    for shipments in sizes:
        with tempfile.TemporaryDirectory(prefix="staging-bench-") as tmp:
            folder = Path(tmp)
            meta = _run("generate", folder, shipments, seed, cache_kib)
            (folder / "meta.json").write_text(json.dumps(meta))
            found = {}
            for engine in ("memory", "staged"):
                r = found[engine] = _run(engine, folder, shipments, seed, cache_kib)
                rows.append(Row(shipments, meta["erp"], meta["customs"], engine, r["seconds"],
                                r["growth"], r["file_mib"], r["counts"]))
            if found["memory"]["counts"] != found["staged"]["counts"]:
                raise SystemExit(f"{shipments} shipments: the engines disagree")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reconciliation in memory vs staged on disk.")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache-kib", type=int, default=16384)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--child", choices=("generate", "memory", "staged"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.dir, args.sizes[0], args.seed, args.cache_kib)))
        return
    rows = measure(args.sizes, args.seed, args.cache_kib)
    print(f"{'shipments':>9} {'ERP':>8} {'customs':>8} {'engine':>7} | {'seconds':>8} "
          f"{'RSS +MiB':>9} {'MiB/M rec':>9} {'file MiB':>8}")
    for r in rows:
        per_million = r.rss_growth_mib / ((r.erp + r.customs) / 1e6)
        file_mib = f"{r.file_mib:>8.0f}" if r.engine == "staged" else f"{'-':>8}"
        print(f"{r.shipments:>9} {r.erp:>8} {r.customs:>8} {r.engine:>7} | {r.seconds:>8.2f} "
              f"{r.rss_growth_mib:>9.1f} {per_million:>9.1f} {file_mib}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")


if __name__ == "__main__":
    main()

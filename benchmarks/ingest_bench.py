"""Time ingest: ERP and customs CSV rows read through the real adapters into records.

Run from the repository root::

    python benchmarks/ingest_bench.py --rows 100000

It writes ``erp.csv`` and ``customs.csv`` with ``benchmarks/erp_data.py`` (``generic`` and
``customs_en`` mappings) into a temporary directory, then iterates a
:class:`~gateway.adapters.erp.CsvSource` and a :class:`~gateway.adapters.customs.CustomsCsvSource`
over them, as ``gateway sync`` does, and prints rows per second and microseconds per row for
each: wall clock, and CPU time, which a busy machine disturbs less. Generation is not timed.
Every row must become a record (a quarantined row fails the run), so the figures are for the
path real exports take.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

# erp_data.py sits beside this file; importable whether run as a script or as a module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from erp_data import generate

from gateway.adapters.customs import CustomsCsvSource, builtin_customs_mapping
from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.ingest import Quarantined


def _drain(items: Iterable[object]) -> dict[str, float]:
    """Drain ``items``: how many, the wall-clock and CPU seconds it took, and per row."""
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for item in items:
        if isinstance(item, Quarantined):
            raise SystemExit(f"row {item.row} quarantined ({item.field}): {item.reason}")
        count += 1
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": count,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows_per_s": count / seconds,
        "us_per_row": seconds / count * 1e6,
        "cpu_us_per_row": cpu_seconds / count * 1e6,
    }


def run(rows: int) -> dict[str, dict[str, float]]:
    """Generate ``rows`` shipments and time reading both files; figures per file."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        expected = generate(rows, out)
        erp = CsvSource(out / "erp.csv", builtin_mapping("generic"))
        customs = CustomsCsvSource(out / "customs.csv", builtin_customs_mapping("customs_en"))
        result = {"erp": _drain(erp), "customs": _drain(customs)}
    if (result["erp"]["rows"], result["customs"]["rows"]) != (
        expected.erp_rows,
        expected.customs_rows,
    ):
        raise SystemExit("row counts differ from the generator's")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time ERP and customs CSV ingest.")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = run(args.rows)
    print(f"{'file':<8} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'us/row':>7} {'CPU us/row':>10}")
    for name, fig in result.items():
        print(f"{name:<8} {fig['rows']:>8.0f} {fig['seconds']:>8.2f} {fig['rows_per_s']:>9.0f} "
              f"{fig['us_per_row']:>7.1f} {fig['cpu_us_per_row']:>10.1f}")


if __name__ == "__main__":
    main()

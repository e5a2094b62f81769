"""Time the matching engine on generated data: 10k and 100k shipments by default.

Run from the repository root::

    python benchmarks/reconcile_bench.py            # 10k and 100k shipments, best of 3
    python benchmarks/reconcile_bench.py 1000 5000 --repeat 5

Each size generates that many shipments with ``gateway.reconcile.synthetic.generate`` (5 % of
invoices missing from the ERP side), then times ``reconcile`` alone (generation is not timed),
once as a program would run it and once with CPython's cyclic garbage collector paused
(``gc.disable``; reconciliation builds no reference cycles). It prints seconds, ERP records per
second, and the time per record relative to the smallest size: near 1.0 means linear cost. The
difference between the two columns is the collector's full passes over a growing heap.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.reconcile import ReconcileConfig, reconcile
from gateway.reconcile.synthetic import Synthetic, generate


@dataclass(frozen=True)
class Row:
    shipments: int
    erp: int
    customs: int
    seconds: float
    seconds_gc_paused: float


def _best(data: Synthetic, repeat: int, *, pause_gc: bool) -> float:
    config = ReconcileConfig(fx=dict(data.fx))
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        if pause_gc:
            gc.disable()
        try:
            started = time.perf_counter()
            reconcile(data.erp, data.declarations, config, as_of=data.as_of)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best


def measure(sizes: Sequence[int], repeat: int, seed: int) -> list[Row]:
    """Best-of-``repeat`` reconciliation times for each number of shipments."""
    rows = []
    for size in sizes:
        data = generate(size, seed=seed)
        rows.append(Row(size, len(data.erp), len(data.declarations),
                        _best(data, repeat, pause_gc=False), _best(data, repeat, pause_gc=True)))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time gateway.reconcile on generated data.")
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = measure(args.sizes, args.repeat, args.seed)
    base, base_paused = rows[0].seconds / rows[0].erp, rows[0].seconds_gc_paused / rows[0].erp
    print(f"{'shipments':>9} {'ERP':>7} {'customs':>7} | {'seconds':>7} {'ERP rec/s':>9} "
          f"{'per-rec x':>9} | GC paused: {'seconds':>7} {'ERP rec/s':>9} {'per-rec x':>9}")
    for r in rows:
        print(f"{r.shipments:>9} {r.erp:>7} {r.customs:>7} | {r.seconds:>7.2f} "
              f"{r.erp / r.seconds:>9.0f} {r.seconds / r.erp / base:>9.2f} | {'':>10} "
              f"{r.seconds_gc_paused:>7.2f} {r.erp / r.seconds_gc_paused:>9.0f} "
              f"{r.seconds_gc_paused / r.erp / base_paused:>9.2f}")


if __name__ == "__main__":
    main()

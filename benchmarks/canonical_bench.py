"""Time canonical JSON on a submission-sized payload: rfc8785 reference path against fast path.

Run from the repository root::

    python benchmarks/canonical_bench.py                    # 10,000 attachments, best of 5
    python benchmarks/canonical_bench.py --attachments 1000 --repeat 20

The payload is shaped like a signed submission: a few header members and a list of attachments,
each an object of 14 short text fields, four integers, a boolean, a null and a short list. Both
paths are first checked to give the same bytes. For each path the script prints the best time
per call, calls per second and megabytes of canonical output per second, then the speed-up.
The reference path is the check-then-``rfc8785.dumps`` implementation that
``gateway.canonical`` keeps as its oracle and fallback.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from gateway.canonical import _reference, canonical_json

FIELDS = ("buyer", "country", "currency", "incoterm", "invoice_no", "hs_code", "port", "vessel",
          "payment_terms", "product", "unit", "issued", "due", "status")


def payload(attachments: int, *, seed: int = 11) -> dict[str, Any]:
    """A submission-like value with ``attachments`` attachments (deterministic for a seed)."""
    rnd = random.Random(seed)  # noqa: S311 - timing data
    items = []
    for n in range(attachments):
        item: dict[str, Any] = {name: f"{name[:3]}-{rnd.randrange(10**8):08d}" for name in FIELDS}
        item.update(amount_minor=rnd.randrange(10**12), quantity=rnd.randrange(1, 10_000),
                    days=rnd.randrange(30, 181), sequence=n, insured=n % 3 != 0, note=None,
                    tags=["ecg", f"b{rnd.randrange(100)}"])
        items.append(item)
    return {"schema": "ecg.submission/1", "submission_id": f"sub_{rnd.getrandbits(128):032x}",
            "issued_at": 1_700_000_000, "attachments": items, "buckets": []}


def _best(call: Callable[[], bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def run(attachments: int = 10_000, repeat: int = 5) -> dict[str, Any]:
    """Best-of-``repeat`` seconds per call for both paths on one payload, with derived rates."""
    value = payload(attachments)
    out = canonical_json(value)
    if out != _reference(value):
        raise AssertionError("fast and reference canonical JSON differ")
    megabytes = len(out) / 1e6
    result: dict[str, Any] = {"attachments": attachments, "output_bytes": len(out)}
    for name, call in (("reference", _reference), ("fast", canonical_json)):
        seconds = _best(partial(call, value), repeat)
        result[name] = {"seconds": seconds, "ops_per_s": 1 / seconds,
                        "mb_per_s": megabytes / seconds}
    result["speedup"] = result["reference"]["seconds"] / result["fast"]["seconds"]
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time gateway.canonical on a submission payload.")
    parser.add_argument("--attachments", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.attachments, args.repeat)
    print(f"{result['attachments']} attachments, {result['output_bytes'] / 1e6:.2f} MB canonical")
    print(f"{'path':>9} | {'ms/call':>8} {'ops/s':>8} {'MB/s':>8}")
    for name in ("reference", "fast"):
        row = result[name]
        print(f"{name:>9} | {row['seconds'] * 1e3:>8.1f} {row['ops_per_s']:>8.1f} "
              f"{row['mb_per_s']:>8.1f}")
    print(f"speed-up: {result['speedup']:.1f}x")


if __name__ == "__main__":
    main()

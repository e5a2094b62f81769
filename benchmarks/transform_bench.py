"""Time what happens to one attached record after the policy decided: transform, bucket key,
hub buyer id.

Run from the repository root::

    python benchmarks/transform_bench.py                 # 10,000 records, best of 5
    python benchmarks/transform_bench.py 50000 --buyers 1 --repeat 3

Records are open-account invoices like the test suite's ``unit_record`` (shipped over five days,
due 60 days later, HS 847130), their buyers drawn in turn from ``--buyers`` names. The built-in
default policy decides them with the real embedded Rego engine (not timed). The timed loop does
per record what the pipeline does after the decision: ``transform`` (pseudonyms, month, band,
exposure), ``bucket_key`` on the attachment, and ``hub_buyer_id`` with a consortium key (the
consortium pseudonym, since the records carry no insurer code).

Two modes are timed:

- ``distinct``: one :class:`~gateway.policy.Decision` object per record (a copy each), as an
  engine that builds every decision afresh would return them;
- ``shared``: records with equal decisions share one object, as the engine returns them when
  equal JSON decisions are parsed once (``parse_decision`` memoises) or decisions are cached.

Every repeat starts from new keys and a new operator set, so no plan or token memo is warm from
an earlier repeat. ``parse_decision`` (the strict parse of the policy's JSON decision) is timed
apart. Times are the process's CPU time (``time.process_time``), best of ``--repeat``, so other
work on a busy machine disturbs them less than wall-clock time would.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from gateway.adapters.policy_files import builtin_policy
from gateway.aggregate import ANY, bucket_key
from gateway.crypto import PseudonymKey
from gateway.hub.common_id import hub_buyer_id
from gateway.model import Buyer, ExportRecord, PaymentMethod
from gateway.policy import Decision, RegoEngine, parse_decision
from gateway.transform import OperatorContext, OperatorSet, build_operators, transform

_COUNTRIES = ("US", "DE", "FR", "JP", "GB", "CN", "VN", "IN")


def record(i: int, buyers: int) -> ExportRecord:
    """The ``i``-th invoice (``tests.support.unit_record`` with the buyer drawn from a pool)."""
    ship = date(2026, 5, 1) + timedelta(days=i % 5)
    b = i % buyers
    return ExportRecord(
        source_ref=f"unit.csv:{i + 2}",
        invoice_number=f"INV-{i}",
        invoice_date=ship,
        shipment_date=ship,
        buyer=Buyer(name=f"Acme {b}" if buyers > 1 else "Acme", country=_COUNTRIES[b % 8]),
        currency="USD",
        amount=Decimal("1000.50") + i,
        payment_method=PaymentMethod.OA,
        due_date=ship + timedelta(days=60),
        hs_code="847130",
    )


def _key(kid: str) -> PseudonymKey:
    return PseudonymKey(kid, os.urandom(32))


def _shared(decisions: Sequence[Decision]) -> list[Decision]:
    one: dict[str, Decision] = {}
    return [one.setdefault(d.model_dump_json(), d) for d in decisions]


def _distinct(decisions: Sequence[Decision]) -> list[Decision]:
    return [d.model_copy(deep=True) for d in decisions]


def _time_loop(
    inputs: Sequence[dict[str, Any]], decisions: Sequence[Decision], engine: RegoEngine
) -> float:
    operators: OperatorSet = build_operators(
        engine.operators(),
        OperatorContext(pseudonym_key=_key("bench-psk")),
        clear_allowed=engine.exceptions(),
    )
    consortium = _key("bench-consortium")
    dims = tuple(engine.settings().bucket)
    gc.collect()
    started = time.process_time()
    for inp, decision in zip(inputs, decisions, strict=True):
        out = transform(inp, decision, operators)
        key = bucket_key(out.attachment, dims) if out.exposure_minor is not None else None
        hub_buyer_id(
            inp,
            consortium,
            attachment=out.attachment,
            per_buyer=key is not None and key.buyer != ANY,
        )
    return time.process_time() - started


def _best(repeat: int, run_once: Callable[[], float]) -> float:
    return min(run_once() for _ in range(repeat))


def _raw(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.value,
        "fields": {name: list(ops) for name, ops in decision.fields.items()},
    }


def _time_parse(raws: Sequence[dict[str, Any]]) -> float:
    started = time.process_time()
    for raw in raws:
        parse_decision(raw)
    return time.process_time() - started


def run(records: int, *, buyers: int = 100, repeat: int = 5) -> dict[str, float]:
    """Time ``records`` records; returns records per second and microseconds per record."""
    engine = RegoEngine(builtin_policy())
    inputs = [record(i, buyers).policy_input() for i in range(records)]
    decisions = engine.decide(inputs)
    if any(d.outcome.value != "attach" for d in decisions):
        raise RuntimeError("the default policy must attach every benchmark record")
    shared, distinct = _shared(decisions), _distinct(decisions)
    distinct_s = _best(repeat, lambda: _time_loop(inputs, distinct, engine))
    shared_s = _best(repeat, lambda: _time_loop(inputs, shared, engine))
    raws = [_raw(d) for d in decisions]
    parse_s = _best(repeat, lambda: _time_parse(raws))
    return {
        "records": float(records),
        "buyers": float(buyers),
        "distinct_records_per_s": records / distinct_s,
        "distinct_us_per_record": distinct_s / records * 1e6,
        "shared_records_per_s": records / shared_s,
        "shared_us_per_record": shared_s / records * 1e6,
        "parse_decision_us_per_record": parse_s / records * 1e6,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time transform + bucket key + hub buyer id.")
    parser.add_argument("records", nargs="?", type=int, default=10_000)
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.records, buyers=args.buyers, repeat=args.repeat)
    print(f"{args.records} records, {args.buyers} buyers, best of {args.repeat}")
    for mode in ("distinct", "shared"):
        print(
            f"  {mode:>8} decisions: {result[f'{mode}_records_per_s']:>9,.0f} records/s "
            f"({result[f'{mode}_us_per_record']:.1f} us per record)"
        )
    print(f"  parse_decision: {result['parse_decision_us_per_record']:.1f} us per record")


if __name__ == "__main__":
    main()

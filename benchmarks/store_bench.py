"""Time the store side of a sync, and the exposure totals the k rule needs, on a real SQLite file.

Run from the repository root::

    python benchmarks/store_bench.py 100000            # one size
    python benchmarks/store_bench.py 10000 100000 --json store-bench.json

For ``records`` invoices the benchmark runs, as a sync does, chunks of 10,000 records through
``VersionTracker.identify``, ``unchanged``, ``attach`` and ``SqliteStore.put_submission`` (one
submission per chunk, committed with the versions it attaches):

1. **first sync**: every record is new (version 1);
2. **second sync**: the same export read again, with 10 % of the rows edited (version 2) and
   1 % edited so that they add no exposure any more (withdrawn from the book); the other 89 %
   are found unchanged.

Building the records and their policy inputs is not timed; everything the store and the
version tracker do is. Python-level ``execute``/``executemany`` calls on the store's
connections are counted.

Then, each in a fresh process so that peak memory is its own, the k-rule inputs of the whole
book are computed twice, with 1,000 versions not yet committed applied on top (a sync's last
chunk): once as the pipeline used to (``exposure_book()``, every latest version as a Python
object, summed per bucket) and once with ``exposure_totals()`` (summed in SQLite). Both results
must be equal. Peak resident memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the
process doing the work (kilobytes on Linux), before and after the measured call.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gateway.model import Buyer, ExportRecord, PaymentMethod, from_minor, to_minor
from gateway.store import RecordVersion, SqliteStore
from gateway.versions import VersionTracker

CHUNK = 10_000
OVERRIDES = 1_000
SOURCE = "bench.csv"
COUNTRIES = ("US", "DE", "JP", "CN", "VN", "FR", "GB", "IT", "NL", "ES", "BR", "MX")
CURRENCIES = ("USD", "EUR", "JPY")
BUYERS = 500
START = date(2026, 1, 1)

Totals = list[tuple[tuple[tuple[str, str], ...], int, int]]


def _peak_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class _Calls:
    """Counts ``execute``/``executemany`` calls on every connection the store opens."""

    count = 0


class _CountingConnection(sqlite3.Connection):
    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        _Calls.count += 1
        return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        _Calls.count += 1
        return super().executemany(*args, **kwargs)


def _count_calls() -> None:
    plain = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return plain(*args, factory=_CountingConnection, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]


# -- the generated book ------------------------------------------------------------------------

def _revision(i: int, sync: int) -> tuple[int, bool]:
    """(content revision, adds exposure) of row ``i`` as sync ``sync`` (1 or 2) reads it."""
    if sync == 1:
        return 0, True
    if i % 100 == 7:
        return 1, False  # withdrawn: a new version without exposure
    return (1, True) if i % 10 == 3 else (0, True)


def _record(i: int, revision: int) -> ExportRecord:
    shipped = START + timedelta(days=i % 360)
    buyer = i % BUYERS
    currency = CURRENCIES[buyer % len(CURRENCIES)]
    return ExportRecord(
        source_ref=f"{SOURCE}:{i + 2}",
        invoice_number=f"INV-{i:08d}",
        invoice_date=shipped,
        shipment_date=shipped,
        buyer=Buyer(name=f"Buyer {buyer}", country=COUNTRIES[buyer % len(COUNTRIES)]),
        currency=currency,
        amount=from_minor(1000 + (i * 7919) % 900_000 + revision * 13, currency),
        payment_method=PaymentMethod.OA,
        due_date=shipped + timedelta(days=90),
        hs_code="847130",
    )


def _bucket(record: ExportRecord) -> dict[str, str]:
    due = record.due_date or record.shipment_date
    return {"buyer": record.buyer.name, "country": str(record.buyer.country),
            "currency": record.currency, "maturity_month": due.isoformat()[:7]}


def _exposure(record: ExportRecord) -> int:
    return to_minor(record.amount, record.currency)


def _chunks(records: int) -> Iterator[range]:
    for start in range(0, records, CHUNK):
        yield range(start, min(records, start + CHUNK))


# -- the two syncs -------------------------------------------------------------------------------

def _sync(store: SqliteStore, sync: int, records: int) -> dict[str, Any]:
    run_id = f"run_{sync:032x}"
    store.begin_run(run_id, [SOURCE])
    tracker = VersionTracker(store, {SOURCE: "erp"})
    seconds, attached, unchanged, calls = 0.0, 0, 0, _Calls.count
    for sequence, rows in enumerate(_chunks(records)):
        batch = []
        for i in rows:
            revision, exposed = _revision(i, sync)
            record = _record(i, revision)
            batch.append((record, record.policy_input(), exposed))
        started = time.perf_counter()
        identities = tracker.identify((r, inp) for r, inp, _ in batch)
        versions = []
        for (record, _, exposed), identity in zip(batch, identities, strict=True):
            if tracker.unchanged(identity):
                unchanged += 1
                continue
            bucket, amount = (_bucket(record), _exposure(record)) if exposed else (None, None)
            versions.append(tracker.attach(identity, bucket, amount))
        store.put_submission(
            f"sub_{sync:016x}{sequence:016x}", run_id=run_id, sequence=sequence, jws="h.p.s",
            payload_sha256=hashlib.sha256(f"{sync}:{sequence}".encode()).hexdigest(),
            policy_version="bench", records=versions,
        )
        seconds += time.perf_counter() - started
        attached += len(versions)
    store.finish_run(run_id, {})
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds),
        "attached": attached,
        "unchanged": unchanged,
        "execute_calls": _Calls.count - calls,
        "execute_calls_per_record": round((_Calls.count - calls) / records, 3),
    }


def _sync_job(job: tuple[str, int]) -> dict[str, Any]:
    path, records = job
    _count_calls()
    store = SqliteStore(Path(path))
    first = _sync(store, 1, records)
    second = _sync(store, 2, records)
    return {"first_sync": first, "second_sync": second, "peak_rss_mib": _peak_kib() / 1024}


# -- the exposure totals -------------------------------------------------------------------------

def _overrides(store: SqliteStore, records: int) -> list[RecordVersion]:
    """Versions a sync is about to commit: the next version of some records, half of them in
    another bucket, a tenth of them adding no exposure."""
    step = max(1, records // OVERRIDES)
    keys = [f"invoice\x1ferp\x1fINV-{i:08d}" for i in range(0, records, step)][:OVERRIDES]
    out = []
    for n, (key, v) in enumerate(store.latest_versions(keys).items()):
        bucket = {"buyer": f"Buyer {n % 7}", "country": "DE", "currency": "EUR",
                  "maturity_month": "2027-01"} if n % 2 else v.bucket
        exposed = n % 10 != 0
        out.append(RecordVersion(v.record_id, v.version + 1, "f" * 64, (key,),
                                 bucket if exposed else None, 12_345 + n if exposed else None))
    return out


def _by_book(store: SqliteStore, overrides: Sequence[RecordVersion]) -> Totals:
    """The k-rule inputs as the pipeline computed them before ``exposure_totals``."""
    book = {v.record_id: v for v in store.exposure_book()}
    for v in overrides:
        book[v.record_id] = v
    tallies: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for v in book.values():
        if v.bucket is not None and v.exposure_minor is not None:
            tally = tallies.setdefault(tuple(sorted(v.bucket.items())), [0, 0])
            tally[0] += 1
            tally[1] += v.exposure_minor
    return [(key, n, total) for key, (n, total) in sorted(tallies.items())]


def _by_totals(store: SqliteStore, overrides: Sequence[RecordVersion]) -> Totals:
    return [(tuple(sorted(t.bucket.items())), t.records, t.total_minor)
            for t in store.exposure_totals(overrides)]


METHODS: dict[str, Callable[[SqliteStore, Sequence[RecordVersion]], Totals]] = {
    "exposure_book": _by_book,
    "exposure_totals": _by_totals,
}


def _exposure_job(job: tuple[str, int, str]) -> dict[str, Any]:
    path, records, method = job
    store = SqliteStore(Path(path))
    overrides = _overrides(store, records)
    before = _peak_kib()
    started = time.perf_counter()
    totals = METHODS[method](store, overrides)
    seconds = time.perf_counter() - started
    peak = _peak_kib()
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds),
        "buckets": len(totals),
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_growth_mib": round((peak - before) / 1024, 1),
        "sha256": hashlib.sha256(repr(totals).encode()).hexdigest(),
    }


def _in_fresh_process(function: Callable[[Any], dict[str, Any]], job: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, job).result()


def run(records: int, methods: Sequence[str] = tuple(METHODS)) -> dict[str, Any]:
    """Both syncs of ``records`` invoices, then the exposure totals by each of ``methods``."""
    with tempfile.TemporaryDirectory(prefix="store-bench-") as work:
        path = str(Path(work) / "gateway.db")
        report: dict[str, Any] = {"records": records, "chunk": CHUNK}
        syncs = _in_fresh_process(_sync_job, (path, records))
        report["first_sync"], report["second_sync"] = syncs["first_sync"], syncs["second_sync"]
        report["sync_peak_rss_mib"] = round(syncs["peak_rss_mib"], 1)
        files = [Path(path), Path(path + "-wal")]
        report["store_mib"] = round(sum(f.stat().st_size for f in files if f.exists()) / 2**20, 1)
        for method in methods:
            report[method] = _in_fresh_process(_exposure_job, (path, records, method))
    digests = {report[m]["sha256"] for m in methods}
    report["totals_equal"] = len(digests) == 1
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", type=int, nargs="*", default=[100_000])
    parser.add_argument("--method", action="append", choices=tuple(METHODS), default=None,
                        help="exposure computation(s) to time (default: both)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    reports = [run(n, args.method or tuple(METHODS)) for n in args.records]
    text = json.dumps(reports, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if all(r["totals_equal"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())

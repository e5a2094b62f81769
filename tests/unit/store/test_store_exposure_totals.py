"""``SqliteStore.exposure_totals``: the k rule's inputs summed in SQLite, on real store files.

The reference is the computation the pipeline's exposure snapshot made before: every latest
version from ``exposure_book()`` as an object, this run's uncommitted versions put in place of
their records' (the latest per record id wins), then summed per bucket by the real
``Aggregator`` (with k = 1 it releases every bucket unmerged, so its buckets are exactly the
per-bucket record counts and totals). A third, independent view is the test's own model of the
book, kept as the versions are committed.
"""

from __future__ import annotations

import random
import sqlite3
import tracemalloc
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from gateway.aggregate import Aggregator, BucketKey
from gateway.errors import StoreError
from gateway.store import RecordVersion, SqliteStore, _book
from gateway.store._connection import connect

Totals = list[tuple[dict[str, str], int, int]]

BUCKETS = [
    {"buyer": b, "country": c, "currency": cur, "maturity_month": m}
    for b, c, cur, m in (
        ("ic:A1", "DE", "EUR", "2026-05"), ("ic:A1", "DE", "EUR", "2026-06"),
        ("*", "US", "USD", "2026-05"), ("p1.x", "JP", "JPY", "*"), ("*", "*", "EUR", "*"),
    )
]


def old_snapshot_totals(store: SqliteStore, uncommitted: Iterable[RecordVersion]) -> Totals:
    """The pipeline's former ``_exposure_snapshot`` (k = 1: every bucket as summed)."""
    book_by_id = {v.record_id: v for v in store.exposure_book()}
    for v in uncommitted:
        book_by_id[v.record_id] = v
    aggregator = Aggregator(1)
    for v in book_by_id.values():
        if v.bucket is not None and v.exposure_minor is not None:
            aggregator.add(BucketKey(**v.bucket), v.exposure_minor)
    return [(b.key.as_dict(), b.records, b.total_minor) for b in aggregator.finish().buckets]


def model_totals(book: dict[str, RecordVersion], uncommitted: Iterable[RecordVersion]) -> Totals:
    latest = dict(book)
    latest.update((v.record_id, v) for v in uncommitted)
    sums: dict[tuple[str, ...], list[int]] = {}
    for v in latest.values():
        if v.bucket is not None and v.exposure_minor is not None:
            tally = sums.setdefault(tuple(v.bucket[d] for d in sorted(v.bucket)), [0, 0])
            tally[0] += 1
            tally[1] += v.exposure_minor
    keys = ("buyer", "country", "currency", "maturity_month")
    return [(dict(zip(keys, k, strict=True)), n, t) for k, (n, t) in sorted(sums.items())]


def new_totals(store: SqliteStore, uncommitted: Iterable[RecordVersion]) -> Totals:
    return [(t.bucket, t.records, t.total_minor) for t in store.exposure_totals(uncommitted)]


class Book:
    """Commits random runs of versions through ``put_submission`` and keeps its own model."""

    def __init__(self, store: SqliteStore, rng: random.Random) -> None:
        self.store, self.rng = store, rng
        self.latest: dict[str, RecordVersion] = {}
        self.runs = 0
        self.created = 0

    def next_version(self, record_id: str | None, uncommitted: dict[str, RecordVersion],
                     ) -> RecordVersion:
        """A new record (``None``) or the next version of one: revised (same or another
        bucket), withdrawn (no bucket, or a bucket without exposure) or re-attached."""
        if record_id is None:
            self.created += 1
            record_id, version = f"rec_{self.created:04d}", 1
        else:
            prev = uncommitted.get(record_id) or self.latest[record_id]
            version = prev.version + 1
        roll = self.rng.random()
        bucket: dict[str, str] | None = dict(self.rng.choice(BUCKETS))
        amount: int | None = self.rng.choice([0, 1, self.rng.randrange(10**9)])
        if roll < 0.15:
            bucket, amount = None, None  # withdrawn: adds no exposure
        elif roll < 0.2:
            amount = None  # a bucket, but no exposure
        return RecordVersion(record_id, version, f"{self.rng.getrandbits(256):064x}",
                             (f"k:{record_id}",), bucket, amount)

    def versions(self, count: int) -> list[RecordVersion]:
        pending: dict[str, RecordVersion] = {}
        out = []
        for _ in range(count):
            known = [*self.latest, *pending]
            target = self.rng.choice(known) if known and self.rng.random() < 0.6 else None
            v = self.next_version(target, pending)
            pending[v.record_id] = v
            out.append(v)
        return out

    def commit_run(self, submissions: int, per_submission: int) -> None:
        self.runs += 1
        run_id = f"run_{self.runs:04d}"
        self.store.begin_run(run_id)
        for seq in range(submissions):
            versions = self.versions(per_submission)
            self.store.put_submission(
                f"sub_{self.runs:04d}_{seq}", run_id=run_id, sequence=seq, jws="h.p.s",
                payload_sha256=f"{self.runs:032x}{seq:032x}", policy_version="v",
                records=versions,
            )
            self.latest.update((v.record_id, v) for v in versions)
        self.store.finish_run(run_id, {})


def test_totals_equal_the_former_snapshot_over_runs_revisions_and_withdrawals(
    tmp_path: Path,
) -> None:
    rng = random.Random(20260501)
    book = Book(SqliteStore(tmp_path / "gateway.db"), rng)
    compared = 0
    for _ in range(8):
        book.commit_run(submissions=rng.randint(1, 3), per_submission=rng.randint(5, 40))
        # revisions inside one submission: version n and n + 1 of a record committed together
        for overrides in ([], book.versions(rng.randint(1, 30)), book.versions(60)):
            expected = old_snapshot_totals(book.store, overrides)
            assert new_totals(book.store, overrides) == expected
            assert model_totals(book.latest, overrides) == expected
            compared += 1
    # the scenario really exercised what it claims
    history = book.store.record_history()
    assert any(c.version > 2 for c in history)
    assert any(c.bucket is None for c in history)
    assert any(c.bucket is not None and c.exposure_minor is None for c in history)
    withdrawn_then_back = {
        c.record_id for c in history if c.bucket is None
    } & {c.record_id for c in history if c.bucket is not None and c.version > 1}
    assert withdrawn_then_back
    assert compared == 24


def test_the_last_override_of_a_record_wins_and_new_records_count(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    store.begin_run("run_a")
    a, b = BUCKETS[0], BUCKETS[2]
    store.put_submission(
        "sub_1", run_id="run_a", sequence=0, jws="h.p.s", payload_sha256="0" * 64,
        policy_version="v", records=[RecordVersion("rec_1", 1, "h", ("k1",), a, 100),
                                     RecordVersion("rec_2", 1, "h", ("k2",), a, 50)],
    )
    overrides = [
        RecordVersion("rec_1", 2, "h", ("k1",), b, 7),
        RecordVersion("rec_1", 3, "h", ("k1",), b, 9),  # the later one replaces the first
        RecordVersion("rec_2", 2, "h", ("k2",), None, None),  # withdrawn
        RecordVersion("rec_3", 1, "h", ("k3",), a, 4),  # a record new in this run
    ]
    assert new_totals(store, overrides) == [(b, 1, 9), (a, 1, 4)]  # sorted by bucket
    assert new_totals(store, overrides) == old_snapshot_totals(store, overrides)
    assert new_totals(store, []) == [(a, 2, 150)]  # nothing was written


def _put_amounts(store: SqliteStore, amounts: Sequence[tuple[dict[str, str], int]]) -> None:
    store.begin_run("run_a")
    store.put_submission(
        "sub_1", run_id="run_a", sequence=0, jws="h.p.s", payload_sha256="0" * 64,
        policy_version="v",
        records=[RecordVersion(f"rec_{i}", 1, "h", (f"k{i}",), bucket, amount)
                 for i, (bucket, amount) in enumerate(amounts)],
    )


def test_totals_beyond_64_bits_are_exact_integers(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    a, b = BUCKETS[0], BUCKETS[1]
    _put_amounts(store, [(a, 2**62), (a, 2**62), (a, 5), (b, 7)])
    conn = connect(store.path)
    try:  # the premise: SQLite's own SUM stops here
        with pytest.raises(sqlite3.OperationalError, match="integer overflow"):
            conn.execute(_book._SUMS).fetchall()
    finally:
        conn.close()
    totals = new_totals(store, [])
    assert totals == [(a, 3, 2**63 + 5), (b, 1, 7)] == old_snapshot_totals(store, [])
    assert all(type(total) is int for _, _, total in totals)
    override = [RecordVersion("rec_0", 2, "h", ("k0",), b, 1)]
    assert new_totals(store, override) == [(a, 2, 2**62 + 5), (b, 2, 8)]


def test_a_negative_exposure_is_refused_not_summed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    _put_amounts(store, [(BUCKETS[0], 10), (BUCKETS[0], -3)])
    with pytest.raises(StoreError, match="negative"):
        store.exposure_totals()
    ok = SqliteStore(tmp_path / "ok.db")
    _put_amounts(ok, [(BUCKETS[0], 10)])
    with pytest.raises(StoreError, match="integer >= 0"):
        ok.exposure_totals([RecordVersion("rec_0", 2, "h", ("k0",), BUCKETS[0], -1)])


def test_the_sums_come_from_the_book_index_without_a_sort(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    conn = connect(store.path)
    try:
        plan = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + _book._SUMS))
    finally:
        conn.close()
    assert "COVERING INDEX records_book" in plan
    assert "TEMP B-TREE" not in plan


def test_memory_grows_with_buckets_not_records(tmp_path: Path) -> None:
    """Python allocations only (tracemalloc): the old book held one object per record."""
    store = SqliteStore(tmp_path / "gateway.db")
    _put_amounts(store, [(BUCKETS[i % 3], i) for i in range(10_000)])
    tracemalloc.start()
    try:
        totals = store.exposure_totals()
        _, totals_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        book = store.exposure_book()
        _, book_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(n for _, n, _ in totals) == [3333, 3333, 3334] and len(book) == 10_000
    assert totals_peak < 256 * 1024
    assert book_peak > 10 * totals_peak

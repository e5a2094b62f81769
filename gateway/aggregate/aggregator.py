"""Exposure totals per bucket, with small buckets merged or suppressed (the k rule).

Amounts are integer minor units (``bool`` and ``float`` are refused). Memory is one counter per
distinct bucket, never per record. :meth:`Aggregator.finish` applies the k rule:

1. a bucket with fewer than ``k`` records merges into its per-country remainder
   ``(*, country, currency, *)``;
2. a remainder still under ``k`` merges into the per-currency remainder ``(*, *, currency, *)``;
3. a per-currency remainder still under ``k`` is suppressed: counted, kept locally, never sent.

A remainder whose key equals a bucket already released (for example when the buyer was never
disclosed) joins that bucket. Every record lands in exactly one released bucket or in the
suppressed count, so released totals plus suppressed totals equal the sum of all amounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from gateway.aggregate.buckets import BucketKey
from gateway.aggregate.errors import AggregationError
from gateway.errors import ConfigError

MAX_K: Final = 1_000_000


@dataclass(frozen=True)
class Bucket:
    """A released bucket: at least ``k`` records."""

    key: BucketKey
    records: int
    total_minor: int


@dataclass(frozen=True)
class Suppressed:
    """What was suppressed in one currency. LOCAL ONLY: never part of a submission."""

    currency: str
    records: int
    total_minor: int


@dataclass(frozen=True)
class Aggregate:
    """Released buckets (sorted by key) and the local account of what was suppressed."""

    buckets: list[Bucket]
    suppressed_records: int
    suppressed: list[Suppressed]


class _Tally:
    __slots__ = ("records", "total")

    def __init__(self) -> None:
        self.records = 0
        self.total = 0

    def add(self, records: int, total: int) -> None:
        self.records += records
        self.total += total


Tallies = dict[BucketKey, _Tally]


def _merge(
    small: Tallies, released: Tallies, k: int, coarser: Callable[[BucketKey], BucketKey]
) -> Tallies:
    """Merge ``small`` buckets into coarser keys; release those reaching ``k`` (or joining a
    released key) and return the ones still under ``k``."""
    merged: Tallies = {}
    for key, tally in small.items():
        merged.setdefault(coarser(key), _Tally()).add(tally.records, tally.total)
    still_small: Tallies = {}
    for key, tally in merged.items():
        if key in released:
            released[key].add(tally.records, tally.total)
        elif tally.records >= k:
            released[key] = tally
        else:
            still_small[key] = tally
    return still_small


class Aggregator:
    """Streaming exposure sums per :class:`BucketKey`."""

    def __init__(self, k: int) -> None:
        if type(k) is not int or not 1 <= k <= MAX_K:
            raise ConfigError(f"aggregation k must be an integer from 1 to {MAX_K}")
        self.k = k
        self._tallies: Tallies = {}

    def add(self, key: BucketKey, amount_minor: int) -> None:
        """Add one record's exposure to its bucket."""
        if not isinstance(key, BucketKey):
            raise AggregationError("key", "bucket key must be a BucketKey")
        if type(amount_minor) is not int:
            raise AggregationError("amount", "exposure must be an integer in minor units")
        if amount_minor < 0:
            raise AggregationError("amount", "exposure must not be negative")
        self._tallies.setdefault(key, _Tally()).add(1, amount_minor)

    def add_bucket(self, key: BucketKey, records: int, total_minor: int) -> None:
        """Add ``records`` records summing to ``total_minor`` to their bucket at once (the
        store's per-bucket sums)."""
        if not isinstance(key, BucketKey):
            raise AggregationError("key", "bucket key must be a BucketKey")
        if type(records) is not int or records < 1:
            raise AggregationError("records", "a bucket holds at least one record")
        if type(total_minor) is not int or total_minor < 0:
            raise AggregationError("amount", "exposure must be a non-negative integer")
        self._tallies.setdefault(key, _Tally()).add(records, total_minor)

    def finish(self) -> Aggregate:
        """Apply the k rule and return released buckets and the local suppression account."""
        released: Tallies = {}
        small: Tallies = {}
        for key, tally in self._tallies.items():
            copy = _Tally()  # finish() leaves the running tallies untouched
            copy.add(tally.records, tally.total)
            (released if tally.records >= self.k else small)[key] = copy
        small = _merge(small, released, self.k, BucketKey.without_buyer)
        small = _merge(small, released, self.k, BucketKey.currency_only)
        buckets = [Bucket(key, t.records, t.total) for key, t in sorted(released.items())]
        suppressed = [
            Suppressed(key.currency, t.records, t.total) for key, t in sorted(small.items())
        ]
        return Aggregate(buckets, sum(s.records for s in suppressed), suppressed)


def aggregate(items: Iterable[tuple[BucketKey, int]], k: int) -> Aggregate:
    """Sum ``(key, amount_minor)`` pairs and apply the k rule."""
    aggregator = Aggregator(k)
    for key, amount_minor in items:
        aggregator.add(key, amount_minor)
    return aggregator.finish()

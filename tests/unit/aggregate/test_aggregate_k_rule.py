"""Aggregator: exact integer totals, the k rule, conservation, determinism."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.aggregate import AggregationError, Aggregator, BucketKey, aggregate
from gateway.errors import ConfigError


def K(buyer: str, country: str, currency: str = "USD", month: str = "2026-06") -> BucketKey:
    return BucketKey(buyer, country, currency, month)


def test_totals_equal_naive_sums_with_k_one() -> None:
    items = [(K("a", "DE"), 100), (K("b", "DE"), 250), (K("a", "DE"), 5), (K("a", "FR", "EUR"), 7)]
    result = aggregate(items, k=1)
    naive: dict[BucketKey, int] = defaultdict(int)
    for key, amount in items:
        naive[key] += amount
    assert {b.key: b.total_minor for b in result.buckets} == naive
    assert {b.key: b.records for b in result.buckets} == Counter(key for key, _ in items)
    assert result.suppressed_records == 0 and result.suppressed == []


def test_small_buckets_merge_into_country_then_currency_then_are_suppressed() -> None:
    items = (
        [(K("big", "DE"), 10)] * 3  # stays: 3 >= k
        + [(K("a", "DE"), 1), (K("b", "DE"), 2), (K("c", "DE"), 3)]  # merge into (*, DE)
        + [(K("d", "FR"), 4), (K("e", "IT"), 5), (K("f", "ES"), 6)]  # → (*, *, USD)
        + [(K("g", "JP", "EUR"), 7), (K("h", "JP", "EUR"), 8)]  # 2 < k even per currency
    )
    result = aggregate(items, k=3)
    assert [(b.key, b.records, b.total_minor) for b in result.buckets] == [
        (BucketKey("*", "*", "USD", "*"), 3, 15),
        (BucketKey("*", "DE", "USD", "*"), 3, 6),
        (K("big", "DE"), 3, 30),
    ]
    assert result.suppressed_records == 2
    assert [(s.currency, s.records, s.total_minor) for s in result.suppressed] == [("EUR", 2, 15)]


def test_remainder_joins_a_released_bucket_with_the_same_key() -> None:
    undisclosed = BucketKey("*", "DE", "USD", "*")
    result = aggregate([(undisclosed, 1)] * 2 + [(K("a", "DE"), 10)], k=2)
    assert [(b.key, b.records, b.total_minor) for b in result.buckets] == [(undisclosed, 3, 12)]


def test_big_amounts_stay_exact_integers() -> None:
    huge = 10**30 + 7
    result = aggregate([(K("a", "DE"), huge), (K("a", "DE"), huge)], k=1)
    assert result.buckets[0].total_minor == 2 * huge


@pytest.mark.parametrize("amount", [1.0, True, "100", -1, None])
def test_only_non_negative_integer_minor_units(amount: Any) -> None:
    with pytest.raises(AggregationError) as info:
        Aggregator(2).add(K("a", "DE"), amount)
    assert info.value.reason_code == "aggregate.amount"


def test_key_must_be_a_bucket_key() -> None:
    with pytest.raises(AggregationError, match="BucketKey"):
        Aggregator(2).add(("a", "DE", "USD", "*"), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1, True, 2.0, "3", 10**7])
def test_k_is_a_bounded_integer(k: Any) -> None:
    with pytest.raises(ConfigError):
        Aggregator(k)


def test_finish_is_repeatable_and_does_not_consume_state() -> None:
    aggregator = Aggregator(2)
    for key, amount in [(K("a", "DE"), 1), (K("b", "DE"), 2), (K("c", "FR"), 3)]:
        aggregator.add(key, amount)
    first = aggregator.finish()
    assert aggregator.finish() == first
    aggregator.add(K("c", "FR"), 4)
    assert aggregator.finish() != first


def test_memory_is_per_bucket_not_per_record() -> None:
    aggregator = Aggregator(5)
    for i in range(20_000):
        aggregator.add(K(f"b{i % 7}", "DE"), i)
    assert len(aggregator._tallies) == 7
    assert sum(b.total_minor for b in aggregator.finish().buckets) == sum(range(20_000))


keys = st.builds(
    BucketKey,
    buyer=st.sampled_from(["*", "a", "b", "c", "d"]),
    country=st.sampled_from(["*", "DE", "FR", "KR"]),
    currency=st.sampled_from(["USD", "EUR", "KRW"]),
    maturity_month=st.sampled_from(["*", "2026-05", "2026-06"]),
)
items_strategy = st.lists(st.tuples(keys, st.integers(0, 10**15)), max_size=80)


@given(items_strategy, st.integers(1, 12))
def test_k_rule_properties(items: list[tuple[BucketKey, int]], k: int) -> None:
    result = aggregate(items, k)
    # no released bucket is below k, and keys are unique and sorted
    assert all(b.records >= k for b in result.buckets)
    released_keys = [b.key for b in result.buckets]
    assert released_keys == sorted(set(released_keys))
    # every record and every minor unit is accounted for, per currency
    for currency in {"USD", "EUR", "KRW"}:
        in_currency = [amount for key, amount in items if key.currency == currency]
        released = [b for b in result.buckets if b.key.currency == currency]
        suppressed = [s for s in result.suppressed if s.currency == currency]
        assert sum(b.total_minor for b in released) + sum(s.total_minor for s in suppressed) == sum(
            in_currency
        )
        assert sum(b.records for b in released) + sum(s.records for s in suppressed) == len(
            in_currency
        )
        assert all(s.records < k for s in suppressed)
    assert result.suppressed_records == sum(s.records for s in result.suppressed)
    # input order does not matter
    assert aggregate(list(reversed(items)), k) == result


@given(items_strategy, st.integers(1, 12))
def test_buckets_at_or_above_k_are_released_unchanged(
    items: list[tuple[BucketKey, int]], k: int
) -> None:
    result = {b.key: b for b in aggregate(items, k).buckets}
    counts = Counter(key for key, _ in items)
    totals: dict[BucketKey, int] = defaultdict(int)
    for key, amount in items:
        totals[key] += amount
    for key, count in counts.items():
        if count >= k and key.buyer != "*":
            assert (result[key].records, result[key].total_minor) == (count, totals[key])

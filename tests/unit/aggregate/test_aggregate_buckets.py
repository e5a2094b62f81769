"""bucket_key(): a record's bucket from its transformed attachment only."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.aggregate import DIMENSIONS, AggregationError, BucketKey, bucket_key
from gateway.errors import ConfigError

TOKEN = "p1.k2026a.gtewWyyEIodq70-m6I_jhA"
ALL = list(DIMENSIONS)


def test_all_dimensions_from_a_typical_attachment() -> None:
    attachment = {
        "buyer.name": TOKEN,
        "buyer.country": "DE",
        "currency": "USD",
        "due_date": "2026-06",
    }
    assert bucket_key(attachment, ALL) == BucketKey(TOKEN, "DE", "USD", "2026-06")


def test_insurer_code_wins_over_the_name_token() -> None:
    attachment = {"buyer.insurer_code": "KS-0042", "buyer.name": TOKEN, "currency": "EUR"}
    assert bucket_key(attachment, ALL).buyer == "KS-0042"
    assert bucket_key({**attachment, "buyer.insurer_code": None}, ALL).buyer == TOKEN


@pytest.mark.parametrize(
    ("attachment", "month"),
    [
        ({"due_date": "2026-06-30"}, "2026-06"),
        ({"maturity_date": "2026-07-15"}, "2026-07"),
        ({"due_date": None, "maturity_date": "2026-07-15"}, "2026-07"),
        ({"due_date": "p1.k.x", "maturity_date": "2026-07"}, "2026-07"),
        ({"due_date": "2026-13"}, "*"),
        ({}, "*"),
    ],
)
def test_maturity_month(attachment: dict[str, Any], month: str) -> None:
    assert bucket_key({"currency": "USD", **attachment}, ALL).maturity_month == month


def test_what_is_not_disclosed_is_star() -> None:
    assert bucket_key({"currency": "JPY"}, ALL) == BucketKey("*", "*", "JPY", "*")
    banded = {"currency": "USD", "buyer.country": {"x": 1}, "buyer.name": None}
    assert bucket_key(banded, ALL) == BucketKey("*", "*", "USD", "*")


def test_dimensions_not_requested_are_star_but_currency_always_counts() -> None:
    attachment = {
        "buyer.name": TOKEN,
        "buyer.country": "DE",
        "currency": "USD",
        "due_date": "2026-06",
    }
    assert bucket_key(attachment, ["country"]) == BucketKey("*", "DE", "USD", "*")
    assert bucket_key(attachment, []) == BucketKey("*", "*", "USD", "*")


@pytest.mark.parametrize("currency", [None, "", "usd", "XYZ", 840])
def test_no_disclosed_currency_cannot_be_aggregated(currency: Any) -> None:
    attachment = {"buyer.name": TOKEN} if currency is None else {"currency": currency}
    with pytest.raises(AggregationError) as info:
        bucket_key(attachment, ALL)
    assert info.value.reason_code == "aggregate.currency"


@pytest.mark.parametrize("dims", [["buyer", "amount"], "buyer"])
def test_unknown_dimensions_are_a_config_error(dims: Any) -> None:
    with pytest.raises(ConfigError, match="bucket dimensions"):
        bucket_key({"currency": "USD"}, dims)


def test_key_as_json_object() -> None:
    key = BucketKey(TOKEN, "DE", "USD", "2026-06")
    assert key.as_dict() == {
        "buyer": TOKEN,
        "country": "DE",
        "currency": "USD",
        "maturity_month": "2026-06",
    }
    assert list(key.as_dict()) == list(DIMENSIONS)


def test_keys_sort_deterministically() -> None:
    keys = [
        BucketKey("b", "DE", "USD", "*"),
        BucketKey("*", "DE", "EUR", "*"),
        BucketKey("a", "*", "USD", "*"),
    ]
    assert sorted(keys) == sorted(reversed(keys))
    assert sorted(keys)[0] == BucketKey("*", "DE", "EUR", "*")

"""bucket_key() equals the straightforward derivation (hypothesis), memos and all.

The reference below is the bucket derivation as first written: dimensions checked on every
call, each dimension read from the attachment and a new key built. The fast ``bucket_key``
memoises validated dimension tuples and hands out one shared key per bucket; neither may change
a key, or which error a bad attachment or bad dimensions get.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.aggregate import ANY, DIMENSIONS, AggregationError, BucketKey, bucket_key
from gateway.errors import ConfigError
from gateway.model.currency import MINOR_UNITS


def _text(attachment: Mapping[str, Any], *fields: str) -> str | None:
    for field in fields:
        value = attachment.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def _month(attachment: Mapping[str, Any]) -> str:
    for field in ("due_date", "maturity_date"):
        value = attachment.get(field)
        if isinstance(value, str) and re.match(r"\d{4}-(0[1-9]|1[0-2])", value, re.ASCII):
            return value[:7]
    return ANY


def reference_bucket_key(attachment: Mapping[str, Any], dims: Sequence[Any]) -> BucketKey:
    if isinstance(dims, str) or any(dim not in DIMENSIONS for dim in dims):
        raise ConfigError("bucket dimensions")
    currency = attachment.get("currency")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise AggregationError("currency", "no currency")
    buyer = _text(attachment, "buyer.insurer_code", "buyer.name") or ANY
    country = _text(attachment, "buyer.country")
    return BucketKey(
        buyer=buyer if "buyer" in dims else ANY,
        country=(
            country
            if country and "country" in dims and re.fullmatch(r"[A-Z]{2}", country, re.ASCII)
            else ANY
        ),
        currency=currency,
        maturity_month=_month(attachment) if "maturity_month" in dims else ANY,
    )


def _outcome(derive: Any, attachment: Mapping[str, Any], dims: Any) -> tuple[Any, ...]:
    try:
        key = derive(attachment, dims)
    except AggregationError as exc:
        return ("aggregation", exc.reason_code)
    except ConfigError:
        return ("config",)
    return ("key", key, tuple(map(type, key.as_dict().values())))


_values = st.one_of(
    st.none(), st.text(max_size=8), st.integers(), st.lists(st.integers(), max_size=1),
    st.sampled_from(["", "DE", "de", "DEU", "\uff24\uff25", "p1.k.x", "KS-0042"]),
)
_months = st.dates().map(lambda d: d.isoformat())
_dates = st.one_of(
    _months,
    _months.map(lambda text: text[:7]),
    st.sampled_from(["2026-13", "2026-00-01", "26-06", "", "p1.k.x"]),
    _values,
)
_currencies = st.one_of(
    st.sampled_from(["USD", "KRW", "EUR"]), st.sampled_from(["usd", "", "XYZ"]), _values
)
attachments = st.fixed_dictionaries(
    {"currency": _currencies},
    optional={
        "buyer.name": st.sampled_from(["p1.k.a", "p1.k.b"]) | _values,
        "buyer.insurer_code": st.sampled_from(["KS-1", "KS-2"]) | _values,
        "buyer.country": st.sampled_from(["DE", "US"]) | _values,
        "due_date": _dates,
        "maturity_date": _dates,
    },
)
dimensions = st.one_of(
    st.lists(st.sampled_from(DIMENSIONS), unique=True).map(tuple),
    st.lists(st.sampled_from([*DIMENSIONS, "amount"]), max_size=4),
    st.just("buyer"),
    st.just(("buyer", ["country"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(attachments, min_size=1, max_size=4), dimensions)
@example([{"currency": "USD", "buyer.name": "p1.k.x", "buyer.country": "DE"}], ("buyer",))
@example([{"currency": "USD"}], ("buyer", ["country"]))
@example([{"currency": "USD", "buyer.name": "p1.k.x", "buyer.insurer_code": "KS-1"}], ["buyer"])
@example([{"currency": "USD", "buyer.country": "DE", "due_date": "2026-06-30"}], ["buyer"])
@example([{"currency": "USD", "buyer.country": "DE", "due_date": "2026-06"}], DIMENSIONS)
def test_bucket_key_equals_reference(attachments: list[dict[str, Any]], dims: Any) -> None:
    for attachment in attachments:
        expected = _outcome(reference_bucket_key, attachment, dims)
        assert _outcome(bucket_key, attachment, dims) == expected
        assert _outcome(bucket_key, attachment, dims) == expected  # memos warm


def test_one_bucket_one_key_object() -> None:
    """Records of one bucket share an (immutable, equal) key."""
    attachment = {"currency": "EUR", "buyer.name": "p1.k.shared", "buyer.country": "FR"}
    first = bucket_key(attachment, DIMENSIONS)
    again = bucket_key(dict(attachment), list(DIMENSIONS))
    assert first == again == reference_bucket_key(attachment, DIMENSIONS)
    assert first is again


def test_keys_differing_in_one_dimension_stay_apart() -> None:
    base = {"currency": "USD", "buyer.name": "p1.k.one", "buyer.country": "DE"}
    variants = [
        {**base, "due_date": "2026-06-30"},
        {**base, "due_date": "2026-07-01"},
        {**base, "due_date": "2026-07-01", "buyer.country": "FR"},
        {**base, "due_date": "2026-07-01", "buyer.name": "p1.k.two"},
        {**base, "due_date": "2026-07-01", "currency": "EUR"},
    ]
    keys = [bucket_key(attachment, DIMENSIONS) for attachment in variants]
    assert keys == [reference_bucket_key(attachment, DIMENSIONS) for attachment in variants]
    assert len(set(keys)) == len(variants)

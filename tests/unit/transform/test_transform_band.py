"""band: amount → {currency, lower, upper} with lower <= amount < upper, in exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.transform import (
    OperatorContext,
    OperatorError,
    OperatorSet,
    RecordContext,
    build_operators,
)


def _band(operators: OperatorSet, amount: Any, currency: Any = "USD") -> Any:
    operator = operators.get("amount_band")
    assert operator is not None
    record = {"amount": amount, "currency": currency}
    return operator.apply(amount, RecordContext(record, "amount"))


@pytest.mark.parametrize(
    ("amount", "lower", "upper"),
    [
        ("0", "0", "10000"),
        ("0.01", "0", "10000"),
        ("9999.99", "0", "10000"),
        ("10000", "10000", "50000"),
        ("10000.00", "10000", "50000"),
        ("49999.99", "10000", "50000"),
        ("50000", "50000", None),
        ("50000.01", "50000", None),
        ("123456789012.34", "50000", None),
    ],
)
def test_usd_bands_including_boundaries(
    operators: OperatorSet, amount: str, lower: str, upper: str | None
) -> None:
    assert _band(operators, amount) == {"currency": "USD", "lower": lower, "upper": upper}


def test_edges_are_per_currency(operators: OperatorSet) -> None:
    assert _band(operators, "9999999", "KRW") == {
        "currency": "KRW",
        "lower": "0",
        "upper": "10000000",
    }
    assert _band(operators, "10000000", "KRW")["upper"] is None


def test_decimal_exactness_beats_binary_floats(operators: OperatorSet) -> None:
    # 9999.999999999999999 rounds to 10000.0 as a float; as a Decimal it is below the edge.
    assert float("9999.999999999999999") == 10000.0
    assert _band(operators, "9999.999999999999999")["lower"] == "0"


@given(st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=2))
def test_every_amount_lies_within_its_band(amount: Decimal) -> None:
    edges = ["0", "10000", "50000"]
    ops = build_operators(
        {"amount_band": {"type": "band", "edges": {"USD": edges}}}, OperatorContext()
    )
    band = _band(ops, str(amount))
    assert Decimal(band["lower"]) <= amount
    assert band["upper"] is None or amount < Decimal(band["upper"])
    assert band["lower"] in edges and band["upper"] in [*edges, None]


@pytest.mark.parametrize(
    ("amount", "currency", "reason"),
    [
        ("100", "EUR", "no band edges"),
        ("100", None, "no band edges"),
        ("-5", "USD", "below the lowest"),
        ("abc", "USD", "not a decimal"),
        ("Infinity", "USD", "not finite"),
        (100, "USD", "decimal string"),
    ],
)
def test_band_fails_closed(operators: OperatorSet, amount: Any, currency: Any, reason: str) -> None:
    with pytest.raises(OperatorError, match=reason) as info:
        _band(operators, amount, currency)
    assert info.value.reason_code == "transform.band"
    assert str(amount) not in str(info.value)
    assert str(currency) not in str(info.value)


def test_none_amount_stays_none(operators: OperatorSet) -> None:
    assert _band(operators, None) is None

"""keep, drop, truncate, month and encrypt applied to values."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.transform import DROP, Exposure, OperatorError, OperatorSet, RecordContext
from gateway.transform.context import JSONValue


def _apply(operators: OperatorSet, name: str, record: dict[str, Any], field: str) -> Any:
    operator = operators.get(name)
    assert operator is not None
    return operator.apply(record[field], RecordContext(record, field))


def _apply_value(operators: OperatorSet, name: str, value: JSONValue, field: str = "f") -> Any:
    operator = operators.get(name)
    assert operator is not None
    return operator.apply(value, RecordContext({field: value}, field))


def test_keep_returns_an_equal_copy_not_an_alias(operators: OperatorSet, record_input: Any) -> None:
    items = [{"description": "bolts", "quantity": "2", "unit_price": "1.50"}]
    record = {**record_input, "line_items": items}
    kept = _apply(operators, "keep", record, "line_items")
    assert kept == items and kept is not items and kept[0] is not items[0]
    assert _apply(operators, "keep", record, "buyer.country") == "DE"
    assert _apply(operators, "keep", record, "declaration_number") is None


def test_drop_returns_the_sentinel(operators: OperatorSet, record_input: Any) -> None:
    assert _apply(operators, "drop", record_input, "buyer.name") is DROP


@pytest.mark.parametrize(
    ("value", "expected"),
    [("847130", "8471"), ("8471", "8471"), ("8471300000", "8471"), (None, None)],
)
def test_truncate_keeps_leading_digits(operators: OperatorSet, value: Any, expected: Any) -> None:
    assert _apply_value(operators, "hs4", value) == expected


@pytest.mark.parametrize(
    "value", ["847", "84a130", "\uff18\uff14\uff17\uff11\uff13\uff10", "8471.30", 847130, ["8471"]]
)
def test_truncate_refuses_short_or_non_digit_values(operators: OperatorSet, value: Any) -> None:
    with pytest.raises(OperatorError) as info:
        _apply_value(operators, "hs4", value, field="hs_code")
    assert info.value.reason_code == "transform.truncate"
    assert info.value.field == "hs_code"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-03-14", "2026-03"), ("2024-02-29", "2024-02"), ("1999-12-31", "1999-12"), (None, None)],
)
def test_month_generalises_an_iso_date(operators: OperatorSet, value: Any, expected: Any) -> None:
    assert _apply_value(operators, "month", value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-3-14",
        "20260314",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "\uff12\uff10\uff12\uff16-03-14",
        20260314,
    ],
)
def test_month_refuses_what_is_not_an_iso_date(operators: OperatorSet, value: Any) -> None:
    with pytest.raises(OperatorError) as info:
        _apply_value(operators, "month", value, field="due_date")
    assert info.value.reason_code == "transform.month"


def test_encrypt_routes_the_minor_amount(operators: OperatorSet, make_record: Any) -> None:
    for amount, currency, minor in [("12500.50", "USD", 1_250_050), ("1500000", "KRW", 1_500_000)]:
        record = make_record(amount=amount, currency=currency).policy_input()
        for name in ("encrypt", "exposure"):
            assert _apply(operators, name, record, "amount") == Exposure(minor)


def test_encrypt_applies_only_to_amount(operators: OperatorSet, record_input: Any) -> None:
    with pytest.raises(OperatorError, match="only the amount field") as info:
        _apply(operators, "encrypt", record_input, "amount_minor")
    assert info.value.reason_code == "transform.encrypt"


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_minor": 1_250_051},
        {"amount_minor": -1},
        {"amount_minor": True},
        {"amount_minor": "1250050"},
        {"currency": "XYZ"},
        {"amount": "twelve"},
    ],
)
def test_encrypt_fails_closed_on_inconsistent_input(
    operators: OperatorSet, record_input: Any, changes: dict[str, Any]
) -> None:
    record = {**record_input, **changes}
    with pytest.raises(OperatorError) as info:
        _apply(operators, "encrypt", record, "amount")
    assert info.value.reason_code == "transform.encrypt"
    assert "12500.50" not in str(info.value) and "1250050" not in str(info.value)

"""ReconcileConfig: documented defaults, exact decimals, refused nonsense, no values in errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.reconcile import ReconcileConfig


def test_defaults_are_the_documented_ones() -> None:
    config = ReconcileConfig()
    assert config.date_window_days == 10
    assert config.amount_tolerance_pct == Decimal("0.5")
    assert config.amount_tolerance_minor == 100
    assert config.pending_window_days == 7
    assert config.customs_only_tenor_days == 90
    assert config.fx is None


def test_decimal_strings_become_exact_decimals() -> None:
    config = ReconcileConfig.model_validate(
        {"amount_tolerance_pct": "0.25", "fx": {"USD": "1350.55", "EUR": 1480}}
    )
    assert config.amount_tolerance_pct == Decimal("0.25")
    assert config.fx == {"USD": Decimal("1350.55"), "EUR": Decimal(1480)}
    assert config.krw_rate("USD") == Decimal("1350.55")
    assert config.krw_rate("KRW") == 1
    assert config.krw_rate("JPY") is None
    assert ReconcileConfig().krw_rate("USD") is None


@pytest.mark.parametrize(
    "settings",
    [
        {"amount_tolerance_pct": 0.5},
        {"fx": {"USD": 1350.5}},
        {"amount_tolerance_pct": "NaN"},
        {"amount_tolerance_pct": "-1"},
        {"amount_tolerance_pct": "101"},
        {"fx": {"usd": "1350"}},
        {"fx": {"XXY": "1350"}},
        {"fx": {"USD": "0"}},
        {"fx": {"USD": "Infinity"}},
        {"date_window_days": -1},
        {"amount_tolerance_minor": -5},
        {"customs_only_tenor_days": 3651},
        {"pending_window": 7},
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReconcileConfig.model_validate(settings)


def test_errors_do_not_echo_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        ReconcileConfig.model_validate({"fx": {"USD": "-987654.321"}})
    assert "987654" not in str(caught.value)


def test_the_config_is_frozen() -> None:
    config = ReconcileConfig()
    with pytest.raises(ValidationError):
        config.date_window_days = 3

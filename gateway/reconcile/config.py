"""Settings of the matching engine: date window, amount tolerance, pending window, FX rates.

Money settings are exact: ``amount_tolerance_pct`` and the FX rates are ``Decimal`` and refuse
binary floats (``0.1`` as a float is not 0.1). Give them as strings or integers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.model import MINOR_UNITS


def _no_float(value: Any) -> Any:
    if isinstance(value, float | bool):
        raise ValueError("give a decimal string or an integer, not a binary float")
    return value


class ReconcileConfig(BaseModel):
    """How declarations and ERP invoices are matched (docs/reconciliation.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    date_window_days: int = Field(
        default=10, ge=0, le=366,
        description="Largest |ERP shipment date - declaration shipment date| of a fuzzy match.",
    )
    amount_tolerance_pct: Decimal = Field(
        default=Decimal("0.5"), ge=0, le=100,
        description="Relative amount tolerance in percent of the larger amount.",
    )
    amount_tolerance_minor: int = Field(
        default=100, ge=0,
        description="Absolute amount tolerance in minor units; the larger tolerance applies.",
    )
    pending_window_days: int = Field(
        default=7, ge=0, le=3650,
        description="ERP-only records shipped longer ago than this are flagged 'stale'.",
    )
    customs_only_tenor_days: int = Field(
        default=90, ge=0, le=3650,
        description="Assumed tenor of a customs-only shipment (customs has no due date); "
        "the exporter must confirm it.",
    )
    fx: dict[str, Decimal] | None = Field(
        default=None,
        description="Currency -> KRW rate, used only across currencies when the declaration's "
        "FOB value in KRW is known.",
    )

    @field_validator("amount_tolerance_pct", mode="before")
    @classmethod
    def _exact_pct(cls, value: Any) -> Any:
        return _no_float(value)

    @field_validator("amount_tolerance_pct")
    @classmethod
    def _finite_pct(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value

    @field_validator("fx", mode="before")
    @classmethod
    def _exact_rates(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for rate in value.values():
                _no_float(rate)
        return value

    @field_validator("fx")
    @classmethod
    def _valid_rates(cls, value: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        if value is None:
            return None
        for currency, rate in value.items():
            if currency not in MINOR_UNITS:
                raise ValueError("fx keys must be active ISO 4217 currency codes")
            if not rate.is_finite() or rate <= 0:
                raise ValueError("fx rates must be finite and positive")
        return value

    def krw_rate(self, currency: str) -> Decimal | None:
        """The KRW rate of ``currency`` (1 for KRW itself), or ``None`` when none is configured."""
        if currency == "KRW":
            return Decimal(1)
        if self.fx is None:
            return None
        return self.fx.get(currency)

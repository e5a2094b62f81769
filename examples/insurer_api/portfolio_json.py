"""The portfolio report as JSON: amounts in integer minor units, percentages as decimal text.

Shares are given for display (``"12.5"``, rounded half-even to 0.1); the exact share is
``exposure_minor / total_minor`` and both numbers are in the answer. A change is
``{"status": "new" | "up" | "down" | "same", "previous_minor", "change_minor", "change_pct"}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.examples.insurer_api.portfolio import (
    Breach,
    BuyerLine,
    Change,
    CountryLine,
    CurrencyReport,
    PortfolioReport,
)
from gateway.model.currency import MINOR_UNITS


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _change(change: Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "status": change.status,
        "previous_minor": change.previous_minor,
        "change_minor": change.change_minor,
        "change_pct": _pct(change.change_pct),
    }


def _buyer(line: BuyerLine) -> dict[str, Any]:
    return {
        "id": line.key, "label": line.label, "kind": line.kind,
        "countries": list(line.countries), "buckets": line.buckets,
        "exposure_minor": line.exposure_minor, "share_pct": _pct(line.share_pct),
        "change": _change(line.change),
    }


def _country(line: CountryLine) -> dict[str, Any]:
    return {
        "country": line.country, "exposure_minor": line.exposure_minor,
        "named_minor": line.named_minor, "remainder_minor": line.remainder_minor,
        "remainder_buckets": line.remainder_buckets, "share_pct": _pct(line.share_pct),
        "change": _change(line.change),
    }


def _breach(breach: Breach) -> dict[str, Any]:
    return {
        "scope": breach.scope, "id": breach.key, "label": breach.label,
        "exposure_minor": breach.exposure_minor, "limit_minor": breach.limit_minor,
        "excess_minor": breach.excess_minor,
    }


def _currency(report: CurrencyReport) -> dict[str, Any]:
    return {
        "currency": report.currency,
        "minor_digits": MINOR_UNITS.get(report.currency, 2),
        "total_minor": report.total_minor,
        "change": _change(report.change),
        "named_buyers": report.named_buyers,
        "top_buyers": [_buyer(line) for line in report.buyers],
        "countries": [_country(line) for line in report.countries],
        "countries_gone": [
            {"country": country, "previous_minor": amount}
            for country, amount in report.countries_gone
        ],
        "breaches": [_breach(b) for b in report.breaches],
    }


def report_json(report: PortfolioReport) -> dict[str, Any]:
    """The JSON body of ``GET /v1/portfolio/report``."""
    return {
        "schema": "ecg.portfolio-report/1",
        "period": report.period,
        "previous_period": report.previous_period,
        "release_id": report.release_id,
        "hub_id": report.hub_id,
        "k": report.k,
        "suppressed_buckets": report.suppressed_buckets,
        "currencies": [_currency(c) for c in report.currencies],
    }

"""The portfolio concentration report (pure): shares, remainders, month on month, limits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gateway.examples.insurer_api.portfolio import (
    ExposureLimits,
    build_report,
    buyer_label,
    change,
    percent,
)
from gateway.examples.insurer_api.portfolio_json import report_json
from tests.unit.insurer.release_kit import BUYER_A, BUYER_B, BUYER_C, decrypted

MAY = decrypted(
    "2026-05",
    [(BUYER_A, "DE", "EUR", 100_000), (BUYER_A, "AT", "EUR", 50_000),
     (BUYER_B, "DE", "EUR", 100_000), (BUYER_C, "FR", "EUR", 33_333),
     (BUYER_A, "US", "USD", 70_000)],
    [("DE", "EUR", 4, 16_667)],
)


def test_currencies_are_never_added_together() -> None:
    report = build_report(MAY, None, ExposureLimits())
    assert [(c.currency, c.total_minor) for c in report.currencies] == [
        ("EUR", 300_000), ("USD", 70_000)
    ]


def test_top_buyers_sum_over_countries_and_show_remainders_per_country() -> None:
    eur = build_report(MAY, None, ExposureLimits()).currencies[0]
    assert [(b.key, b.exposure_minor, b.kind) for b in eur.buyers] == [
        (BUYER_A, 150_000, "insurer_code"),
        (BUYER_B, 100_000, "pseudonym"),
        (BUYER_C, 33_333, "pseudonym"),
        ("other:DE", 16_667, "remainder"),
    ]
    assert eur.buyers[0].countries == ("AT", "DE")
    assert eur.buyers[-1].label == "other (4 buckets)"
    assert eur.named_buyers == 3


def test_buyer_shares_and_country_shares_each_sum_to_exactly_one_hundred() -> None:
    report = build_report(MAY, None, ExposureLimits(), top=1)
    for currency in report.currencies:
        assert sum(b.share or 0 for b in currency.buyers) == 1
        assert sum(c.share or 0 for c in currency.countries) == 1
    eur = report.currencies[0]
    # 33,333 of 300,000 is 11.111%: exact as a fraction, 11.1 for display
    rest = next(b for b in eur.buyers if b.kind == "other_buyers")
    assert rest.label == "other buyers (2)" and rest.exposure_minor == 133_333
    assert rest.share == Fraction(133_333, 300_000) and rest.share_pct == Decimal("44.4")


def test_countries_include_their_remainders() -> None:
    eur = build_report(MAY, None, ExposureLimits()).currencies[0]
    de = next(c for c in eur.countries if c.country == "DE")
    assert (de.exposure_minor, de.named_minor, de.remainder_minor, de.remainder_buckets) == (
        216_667, 200_000, 16_667, 4
    )
    assert [c.country for c in eur.countries] == ["DE", "AT", "FR"]
    assert de.share_pct == Decimal("72.2")


def test_percent_rounds_half_to_even_exactly() -> None:
    assert percent(Fraction(1, 8)) == Decimal("12.5")
    assert percent(Fraction(125, 10_000)) == Decimal("1.2")  # 1.25 -> 1.2 (even)
    assert percent(Fraction(135, 10_000)) == Decimal("1.4")  # 1.35 -> 1.4 (even)
    assert percent(Fraction(1, 3)) == Decimal("33.3")
    assert percent(Fraction(1, 1)) == Decimal("100.0")


def test_month_on_month_compares_with_the_previous_released_period() -> None:
    april = decrypted("2026-04", [(BUYER_A, "DE", "EUR", 120_000), (BUYER_B, "DE", "EUR", 125_000),
                                  (BUYER_A, "IT", "EUR", 10_000)])
    eur = build_report(MAY, april, ExposureLimits()).currencies[0]
    by_key = {b.key: b.change for b in eur.buyers}
    a, b, c = by_key[BUYER_A], by_key[BUYER_B], by_key[BUYER_C]
    assert a is not None and (a.status, a.previous_minor, a.change_minor) == ("up", 130_000, 20_000)
    assert a.change_pct == Decimal("15.4")  # 20,000 / 130,000 = 15.38%
    assert b is not None and (b.status, b.change_minor, b.change_pct) == (
        "down", -25_000, Decimal("-20.0")
    )
    assert c is not None and c.status == "new" and c.previous_minor is None
    assert by_key["other:DE"] is None
    assert eur.change.previous_minor == 255_000 and eur.change.change_minor == 45_000
    assert eur.countries_gone == (("IT", 10_000),)
    assert {c.country: c.change.status for c in eur.countries} == {
        "DE": "down", "AT": "new", "FR": "new"
    }
    usd = build_report(MAY, april, ExposureLimits()).currencies[1]
    assert usd.change.status == "new"


def test_change_of_an_unchanged_or_from_zero_amount() -> None:
    assert change(5, 5).status == "same" and change(5, 5).change_pct == Decimal("0.0")
    zero = change(5, 0)
    assert zero.status == "up" and zero.change_minor == 5 and zero.change_pct is None


def test_limit_breach_is_above_the_limit_not_at_it() -> None:
    at_limit = ExposureLimits(per_buyer={"EUR": 150_000}, per_country={"EUR": 216_667})
    assert build_report(MAY, None, at_limit).currencies[0].breaches == ()
    below = ExposureLimits(per_buyer={"EUR": 149_999}, per_country={"EUR": 216_666})
    breaches = build_report(MAY, None, below).currencies[0].breaches
    assert [(b.scope, b.key, b.excess_minor) for b in breaches] == [
        ("buyer", BUYER_A, 1), ("country", "DE", 1)
    ]


def test_limits_apply_per_currency_and_to_buyers_outside_the_top() -> None:
    limits = ExposureLimits(per_buyer={"EUR": 30_000, "JPY": 1})
    report = build_report(MAY, None, limits, top=1)
    eur, usd = report.currencies
    assert [b.key for b in eur.breaches] == [BUYER_A, BUYER_B, BUYER_C]
    assert usd.breaches == ()


def test_buyer_labels_show_codes_and_shortened_pseudonyms() -> None:
    assert buyer_label("ic:KS-100200") == "KS-100200"
    assert buyer_label(BUYER_B) == "pseudonymous buyer AAAAAAAA"


def test_previous_release_must_be_earlier() -> None:
    with pytest.raises(ValueError, match="earlier period"):
        build_report(MAY, MAY, ExposureLimits())


def test_json_carries_minor_units_and_display_percentages() -> None:
    body = report_json(build_report(MAY, None, ExposureLimits(per_country={"EUR": 1})))
    eur = body["currencies"][0]
    assert (eur["currency"], eur["minor_digits"], eur["total_minor"]) == ("EUR", 2, 300_000)
    assert eur["top_buyers"][0] == {
        "id": BUYER_A, "label": "KS-100200", "kind": "insurer_code", "countries": ["AT", "DE"],
        "buckets": 2, "exposure_minor": 150_000, "share_pct": "50.0",
        "change": {"status": "new", "previous_minor": None, "change_minor": None,
                   "change_pct": None},
    }
    assert [b["id"] for b in eur["breaches"]] == ["DE", "AT", "FR"]
    assert body["previous_period"] is None and body["schema"] == "ecg.portfolio-report/1"

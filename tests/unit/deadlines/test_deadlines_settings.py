"""DeadlineSettings: one strict model that builds the configured rule and calendar."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from gateway.deadlines import BlanketRule, DeadlineSettings, IndividualRule, deadline_for


def test_defaults_build_a_ten_business_day_individual_rule() -> None:
    rule, calendar = DeadlineSettings().build()
    assert rule == IndividualRule(10)
    assert calendar.covered_years == frozenset({2026, 2027})
    assert deadline_for(date(2026, 2, 6), rule, calendar) == date(2026, 2, 25)


def test_blanket_mode() -> None:
    settings = DeadlineSettings(mode="blanket", day_of_next_month=20, roll="following")
    rule, calendar = settings.build()
    assert rule == BlanketRule(20, "following")
    assert deadline_for(date(2026, 11, 3), rule, calendar) == date(2026, 12, 21)


def test_extra_holidays_move_deadlines_and_extend_coverage() -> None:
    closing = DeadlineSettings(
        business_days=1, extra_holidays=[date(2026, 12, 31), date(2028, 1, 3)]
    )
    rule, calendar = closing.build()
    assert deadline_for(date(2026, 12, 30), rule, calendar) == date(2027, 1, 4)
    assert 2028 in (calendar.covered_years or ())
    assert deadline_for(date(2027, 12, 31), rule, calendar) == date(2028, 1, 4)


def test_from_toml_like_data() -> None:
    settings = DeadlineSettings.model_validate(
        {"mode": "blanket", "day_of_next_month": 10, "extra_holidays": ["2026-08-14"]}
    )
    assert settings.extra_holidays == (date(2026, 8, 14),)


@pytest.mark.parametrize(
    "data",
    [
        {"mode": "monthly"},
        {"business_days": -1},
        {"business_days": 251},
        {"day_of_next_month": 0},
        {"day_of_next_month": 32},
        {"roll": "nearest"},
        {"warn_business_days": -1},
        {"extra_holidays": ["not-a-date-SECRET"]},
        {"holiday_calendar": "US"},
    ],
)
def test_bad_settings_are_refused_without_echoing_input(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        DeadlineSettings.model_validate(data)
    assert "SECRET" not in str(caught.value)


def test_settings_are_frozen() -> None:
    settings = DeadlineSettings()
    with pytest.raises(ValidationError):
        settings.business_days = 5  # type: ignore[misc]

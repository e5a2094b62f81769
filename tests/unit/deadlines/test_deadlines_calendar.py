"""Business-day arithmetic on the real Korean calendar: weekends, month ends, year change,
lunar holiday blocks, substitute holidays, and failing closed outside the covered years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.deadlines import BusinessCalendar, korea_calendar
from gateway.errors import ConfigError

KR = korea_calendar()
PLAIN = BusinessCalendar(frozenset())  # weekends only, every year


def naive_between(cal: BusinessCalendar, start: date, end: date) -> int:
    """Day-by-day reference count of business days in (start, end]."""
    days = (end - start).days
    return sum(cal.is_business_day(start + timedelta(days=i)) for i in range(1, days + 1))


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 1, 2), True),  # Friday after New Year
        (date(2026, 1, 3), False),  # Saturday
        (date(2026, 1, 4), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 6, 3), False),  # local elections
        (date(2026, 5, 1), False),  # Labor Day, a public holiday since 2026
        (date(2026, 7, 17), False),  # Constitution Day, reinstated in 2026
        (date(2026, 6, 8), True),  # Memorial Day fell on Saturday: it has no substitute
        (date(2027, 5, 13), False),  # Buddha's Birthday 2027
    ],
)
def test_weekends_and_holidays(day: date, business: bool) -> None:
    assert KR.is_business_day(day) is business


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2027, 2, 8), date(2027, 2, 9)],
)
def test_seollal_block_and_its_substitute_are_closed(day: date) -> None:
    assert not KR.is_business_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 3, 2),  # for Independence Movement Day (Sunday)
        date(2026, 5, 25),  # for Buddha's Birthday (Sunday)
        date(2026, 8, 17),  # for Liberation Day (Saturday)
        date(2026, 10, 5),  # for National Foundation Day (Saturday)
        date(2027, 5, 3),  # for Labor Day (Saturday)
        date(2027, 7, 19),  # for Constitution Day (Saturday)
        date(2027, 10, 11),  # for Hangul Day (Saturday)
        date(2027, 12, 27),  # for Christmas (Saturday)
    ],
)
def test_substitute_holidays_are_closed(day: date) -> None:
    assert day.weekday() == 0 and not KR.is_business_day(day)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 1, 30), 1, date(2026, 2, 2)),  # Friday, month end -> Monday
        (date(2026, 1, 31), 10, date(2026, 2, 13)),  # from a Saturday at month end
        (date(2026, 2, 13), 1, date(2026, 2, 19)),  # over the Seollal block
        (date(2026, 2, 13), 10, date(2026, 3, 5)),  # Seollal, then the 2 March substitute
        (date(2026, 2, 27), 1, date(2026, 3, 3)),  # Feb 28 Sat, Mar 1 Sun, Mar 2 substitute
        (date(2026, 9, 23), 1, date(2026, 9, 28)),  # over the Chuseok block and a weekend
        (date(2026, 12, 24), 2, date(2026, 12, 29)),  # Christmas Friday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # year change: New Year, then weekend
        (date(2027, 2, 5), 1, date(2027, 2, 10)),  # Seollal 2027 with its substitute
        (date(2027, 2, 26), 1, date(2027, 3, 2)),  # non-leap February, then 1 March
        (date(2026, 5, 22), 0, date(2026, 5, 22)),  # zero days: the day itself
    ],
)
def test_add_business_days(start: date, count: int, expected: date) -> None:
    assert KR.add_business_days(start, count) == expected


def test_non_leap_february_without_holidays() -> None:
    assert PLAIN.add_business_days(date(2027, 2, 26), 1) == date(2027, 3, 1)
    assert PLAIN.add_business_days(date(2028, 2, 25), 2) == date(2028, 2, 29)  # leap year


def test_next_and_previous_are_strict() -> None:
    assert KR.next_business_day(date(2026, 2, 19)) == date(2026, 2, 20)
    assert KR.previous_business_day(date(2026, 2, 19)) == date(2026, 2, 13)
    assert KR.next_business_day(date(2026, 9, 23)) == date(2026, 9, 28)
    assert KR.previous_business_day(date(2027, 1, 4)) == date(2026, 12, 31)


def test_between_is_the_inverse_of_add() -> None:
    start = date(2026, 1, 1)
    for offset in range(0, 700, 3):
        day = start + timedelta(days=offset)
        for count in (0, 1, 2, 5, 10, 15):
            target = KR.add_business_days(day, count)
            if target.year > 2027:
                continue
            assert KR.business_days_between(day, target) == count, (day, count)


def test_between_matches_a_day_by_day_count() -> None:
    pairs = [
        (date(2026, 1, 1), date(2027, 12, 31)),
        (date(2026, 2, 13), date(2026, 2, 19)),
        (date(2026, 9, 20), date(2026, 10, 12)),
        (date(2026, 12, 20), date(2027, 1, 10)),
        (date(2027, 2, 1), date(2027, 3, 3)),
    ]
    for start, end in pairs:
        for shift in range(7):
            a = start + timedelta(days=shift)
            assert KR.business_days_between(a, end) == naive_between(KR, a, end)


def test_between_is_signed_and_zero_on_the_same_day() -> None:
    a, b = date(2026, 2, 13), date(2026, 2, 20)
    assert KR.business_days_between(a, b) == 2
    assert KR.business_days_between(b, a) == -2
    assert KR.business_days_between(a, a) == 0


def test_unknown_year_fails_closed() -> None:
    with pytest.raises(ConfigError, match="no holiday data for 2028"):
        KR.is_business_day(date(2028, 1, 3))
    with pytest.raises(ConfigError, match="2028"):
        KR.add_business_days(date(2027, 12, 30), 5)
    with pytest.raises(ConfigError, match="2025"):
        KR.business_days_between(date(2025, 12, 1), date(2026, 1, 5))
    with pytest.raises(ConfigError, match="no Korean holiday data for 2028"):
        korea_calendar(years=[2026, 2028])


def test_a_calendar_limited_to_one_year_refuses_the_next() -> None:
    only_2026 = korea_calendar(years=[2026])
    assert only_2026.covered_years == frozenset({2026})
    with pytest.raises(ConfigError):
        only_2026.is_business_day(date(2027, 1, 4))


def test_extra_holidays_cover_an_unknown_year_and_add_closing_days() -> None:
    new_year_2028 = [date(2028, 1, 1), date(2028, 1, 3)]
    cal = korea_calendar(extra_holidays=[*new_year_2028, date(2026, 12, 31)])
    assert cal.covered_years == frozenset({2026, 2027, 2028})
    assert not cal.is_business_day(date(2028, 1, 3))
    assert cal.next_business_day(date(2027, 12, 31)) == date(2028, 1, 4)
    # A company closing day moves deadlines.
    assert cal.add_business_days(date(2026, 12, 30), 1) == date(2027, 1, 4)
    assert KR.add_business_days(date(2026, 12, 30), 1) == date(2026, 12, 31)


def test_custom_weekend() -> None:
    friday_saturday = BusinessCalendar(frozenset(), weekend={4, 5})
    assert friday_saturday.is_business_day(date(2026, 1, 4))  # Sunday
    assert friday_saturday.next_business_day(date(2026, 1, 1)) == date(2026, 1, 4)


@pytest.mark.parametrize("weekend", [set(range(7)), {7}, {-1}])
def test_bad_weekends_are_refused(weekend: set[int]) -> None:
    with pytest.raises(ConfigError):
        BusinessCalendar(frozenset(), weekend=weekend)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ConfigError, match="negative"):
        KR.add_business_days(date(2026, 3, 3), -1)

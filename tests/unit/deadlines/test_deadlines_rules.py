"""Deadline rules and the status of each shipment against its deadline (injected as_of)."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.deadlines import (
    BlanketRule,
    DeadlineState,
    IndividualRule,
    assess,
    deadline_for,
    korea_calendar,
)
from gateway.errors import ConfigError

KR = korea_calendar()
TEN = IndividualRule(10)


@pytest.mark.parametrize(
    ("shipped", "expected"),
    [
        (date(2026, 1, 30), date(2026, 2, 13)),  # across the month end
        (date(2026, 2, 6), date(2026, 2, 25)),  # across the Seollal block
        (date(2026, 9, 18), date(2026, 10, 7)),  # Chuseok, then 5 Oct substitute
        (date(2026, 12, 24), date(2027, 1, 11)),  # Christmas and New Year, into 2027
        (date(2026, 2, 28), date(2026, 3, 16)),  # shipped on a Saturday, then 2 March
    ],
)
def test_individual_rule(shipped: date, expected: date) -> None:
    assert deadline_for(shipped, TEN, KR) == expected


@pytest.mark.parametrize(
    ("shipped", "rule", "expected"),
    [
        (date(2026, 1, 5), BlanketRule(), date(2026, 2, 20)),  # a Friday: no roll
        (date(2026, 11, 2), BlanketRule(), date(2026, 12, 18)),  # 20 Dec is a Sunday
        (date(2026, 11, 30), BlanketRule(20, "following"), date(2026, 12, 21)),
        (date(2026, 12, 31), BlanketRule(), date(2027, 1, 20)),  # December -> January
        (date(2027, 1, 15), BlanketRule(8), date(2027, 2, 5)),  # 8 Feb is Seollal
        (date(2027, 1, 15), BlanketRule(8, "following"), date(2027, 2, 10)),  # and 9 Feb too
        (date(2026, 1, 15), BlanketRule(31), date(2026, 2, 27)),  # month end: 28 Feb, a Sat
        (date(2027, 1, 15), BlanketRule(31), date(2027, 2, 26)),  # non-leap: 28 Feb, a Sun
        (date(2027, 1, 15), BlanketRule(31, "following"), date(2027, 3, 2)),  # past 1 March
        (date(2026, 8, 3), BlanketRule(25), date(2026, 9, 23)),  # 24-25 Sep: Chuseok
    ],
)
def test_blanket_rule_rolls_both_ways(shipped: date, rule: BlanketRule, expected: date) -> None:
    assert deadline_for(shipped, rule, KR) == expected


def test_preceding_roll_never_leaves_the_month() -> None:
    # 1 Jan 2027 is a holiday; the preceding business day is in December, so roll forward.
    assert deadline_for(date(2026, 12, 10), BlanketRule(1), KR) == date(2027, 1, 4)


def test_every_shipment_of_a_month_shares_the_blanket_deadline() -> None:
    deadlines = {deadline_for(date(2026, 3, d), BlanketRule(), KR) for d in range(1, 32)}
    assert deadlines == {date(2026, 4, 20)}


@pytest.mark.parametrize(
    "build",
    [
        lambda: IndividualRule(-1),
        lambda: IndividualRule(251),
        lambda: BlanketRule(0),
        lambda: BlanketRule(32),
        lambda: BlanketRule(20, "nearest"),  # type: ignore[arg-type]
    ],
)
def test_bad_rules_are_refused(build: object) -> None:
    with pytest.raises(ConfigError):
        build()  # type: ignore[operator]


def items() -> list[tuple[str, date, date | None]]:
    # Shipped 2026-02-06: deadline 2026-02-25 (ten business days, Seollal in between).
    shipped = date(2026, 2, 6)
    return [
        ("on-time", shipped, date(2026, 2, 25)),
        ("late", shipped, date(2026, 2, 26)),
        ("silent", shipped, None),
    ]


@pytest.mark.parametrize(
    ("as_of", "silent_state", "left"),
    [
        (date(2026, 2, 12), DeadlineState.OPEN, 6),  # Feb 13, 19, 20, 23, 24, 25
        (date(2026, 2, 20), DeadlineState.OPEN, 3),
        (date(2026, 2, 23), DeadlineState.AT_RISK, 2),
        (date(2026, 2, 25), DeadlineState.AT_RISK, 0),  # the deadline day itself
        (date(2026, 2, 26), DeadlineState.MISSED, -1),
        (date(2026, 3, 3), DeadlineState.MISSED, -3),  # 2 March is a substitute holiday
    ],
)
def test_states_against_an_injected_as_of(
    as_of: date, silent_state: DeadlineState, left: int
) -> None:
    on_time, late, silent = assess(items(), TEN, KR, as_of=as_of)
    assert on_time.state is DeadlineState.MET
    assert late.state is DeadlineState.MISSED
    assert silent.state is silent_state
    assert silent.business_days_left == left == on_time.business_days_left
    assert silent.deadline == date(2026, 2, 25)
    assert silent.ref == "silent" and silent.shipment_date == date(2026, 2, 6)


def test_holidays_shorten_the_warning_window() -> None:
    # Six calendar days before its deadline, but only one business day: at risk.
    (status,) = assess([("x", date(2026, 2, 12), None)], IndividualRule(1), KR,
                       as_of=date(2026, 2, 13))
    assert status.deadline == date(2026, 2, 13)
    (status,) = assess([("y", date(2026, 2, 13), None)], IndividualRule(1), KR,
                       as_of=date(2026, 2, 13))
    assert (status.deadline, status.business_days_left) == (date(2026, 2, 19), 1)
    assert status.state is DeadlineState.AT_RISK


def test_warn_window_is_configurable() -> None:
    (status,) = assess(items()[2:], TEN, KR, as_of=date(2026, 2, 20), warn_business_days=3)
    assert status.state is DeadlineState.AT_RISK
    (status,) = assess(items()[2:], TEN, KR, as_of=date(2026, 2, 23), warn_business_days=0)
    assert status.state is DeadlineState.OPEN
    with pytest.raises(ConfigError):
        assess(items(), TEN, KR, as_of=date(2026, 2, 23), warn_business_days=-1)


def test_assess_is_deterministic_and_keeps_input_order() -> None:
    as_of = date(2026, 2, 23)
    forward = assess(items(), TEN, KR, as_of=as_of)
    backward = assess(list(reversed(items())), TEN, KR, as_of=as_of)
    assert [s.ref for s in forward] == ["on-time", "late", "silent"]
    assert backward == list(reversed(forward))
    assert assess(iter(items()), TEN, KR, as_of=as_of) == forward


def test_states_are_plain_strings_for_reports() -> None:
    (status,) = assess(items()[:1], TEN, KR, as_of=date(2026, 2, 23))
    assert status.state == "met"
    assert {s.value for s in DeadlineState} == {"met", "missed", "at_risk", "open"}


def test_shipments_outside_the_calendar_fail_closed() -> None:
    with pytest.raises(ConfigError, match="2025"):
        assess([("old", date(2025, 12, 30), None)], TEN, KR, as_of=date(2026, 1, 5))

"""Notification deadlines: when each shipment must have been notified to the insurer.

IO-free and deterministic: the same shipments, rule, calendar and ``as_of`` give the same
statuses, in input order. Two kinds of rule:

- :class:`IndividualRule`: each shipment is notified within N business days after its
  shipment date (individual-notification cover; the shipment day itself is not counted).
- :class:`BlanketRule`: a month's shipments are declared by a day of the next month (the 20th
  by default). When that day is not a business day it rolls to the previous business day
  (``preceding``, the safe default) or the next (``following``). A ``preceding`` roll never
  leaves the month: if it would, the deadline rolls forward instead. A day past the end of a
  short month means that month's last day.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, Literal

from gateway.deadlines.calendar import BusinessCalendar
from gateway.errors import ConfigError

MAX_BUSINESS_DAYS: Final = 250
Roll = Literal["preceding", "following"]


@dataclass(frozen=True, slots=True)
class IndividualRule:
    """Notify each shipment within ``business_days_after_shipment`` business days."""

    business_days_after_shipment: int

    def __post_init__(self) -> None:
        if not 0 <= self.business_days_after_shipment <= MAX_BUSINESS_DAYS:
            raise ConfigError(
                f"business_days_after_shipment must be between 0 and {MAX_BUSINESS_DAYS}"
            )


@dataclass(frozen=True, slots=True)
class BlanketRule:
    """Declare a month's shipments by ``day_of_next_month`` of the following month."""

    day_of_next_month: int = 20
    roll: Roll = "preceding"

    def __post_init__(self) -> None:
        if not 1 <= self.day_of_next_month <= 31:
            raise ConfigError("day_of_next_month must be between 1 and 31")
        if self.roll not in ("preceding", "following"):
            raise ConfigError("roll must be 'preceding' or 'following'")


Rule = IndividualRule | BlanketRule


class DeadlineState(StrEnum):
    """Where a shipment stands against its notification deadline."""

    MET = "met"  # notified on or before the deadline
    MISSED = "missed"  # notified after it, or not notified and the deadline has passed
    AT_RISK = "at_risk"  # not notified, deadline not passed, few business days left
    OPEN = "open"  # not notified, comfortably before the deadline


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    """One shipment's deadline. ``business_days_left`` counts business days after ``as_of``
    up to and including the deadline: 0 on the deadline day, negative once it has passed."""

    ref: str
    shipment_date: date
    deadline: date
    state: DeadlineState
    business_days_left: int


def _blanket(shipment: date, rule: BlanketRule, cal: BusinessCalendar) -> date:
    year, index = divmod(shipment.year * 12 + shipment.month, 12)  # the next month, 0-based
    month = index + 1
    last = _gregorian.monthrange(year, month)[1]
    target = date(year, month, min(rule.day_of_next_month, last))
    if cal.is_business_day(target):
        return target
    if rule.roll == "preceding":
        earlier = cal.previous_business_day(target)
        if earlier.month == month:
            return earlier
    return cal.next_business_day(target)


def deadline_for(shipment_date: date, rule: Rule, calendar: BusinessCalendar) -> date:
    """The last day on which the shipment can be notified in time."""
    if isinstance(rule, IndividualRule):
        return calendar.add_business_days(shipment_date, rule.business_days_after_shipment)
    return _blanket(shipment_date, rule, calendar)


def _state(
    notified_on: date | None, deadline: date, left: int, as_of: date, warn: int
) -> DeadlineState:
    if notified_on is not None:
        return DeadlineState.MET if notified_on <= deadline else DeadlineState.MISSED
    if as_of > deadline:
        return DeadlineState.MISSED
    return DeadlineState.AT_RISK if left <= warn else DeadlineState.OPEN


def assess(
    items: Iterable[tuple[str, date, date | None]],
    rule: Rule,
    calendar: BusinessCalendar,
    *,
    as_of: date,
    warn_business_days: int = 2,
) -> list[DeadlineStatus]:
    """The deadline status of each ``(ref, shipment_date, notified_on)``, in input order.

    A shipment not yet notified is ``at_risk`` once ``warn_business_days`` or fewer business
    days are left (the deadline day included), so it is reported before the deadline passes.
    Dates outside the calendar's covered years raise :class:`ConfigError`.
    """
    if warn_business_days < 0:
        raise ConfigError("warn_business_days must not be negative")
    deadlines: dict[date, date] = {}
    statuses = []
    for ref, shipped, notified_on in items:
        deadline = deadlines.get(shipped)
        if deadline is None:
            deadline = deadlines[shipped] = deadline_for(shipped, rule, calendar)
        left = calendar.business_days_between(as_of, deadline)
        state = _state(notified_on, deadline, left, as_of, warn_business_days)
        statuses.append(DeadlineStatus(ref, shipped, deadline, state, left))
    return statuses

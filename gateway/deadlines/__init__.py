"""Deadlines stage: notification deadlines on a business-day calendar (IO-free).

Korea's public holidays for the current and next year ship as data; other years fail closed.
"""

from gateway.deadlines.calendar import BusinessCalendar
from gateway.deadlines.kr_holidays import Holiday, korea_calendar, kr_public_holidays
from gateway.deadlines.rules import (
    BlanketRule,
    DeadlineState,
    DeadlineStatus,
    IndividualRule,
    Roll,
    Rule,
    assess,
    deadline_for,
)
from gateway.deadlines.settings import DeadlineSettings

__all__ = [
    "BlanketRule",
    "BusinessCalendar",
    "DeadlineSettings",
    "DeadlineState",
    "DeadlineStatus",
    "Holiday",
    "IndividualRule",
    "Roll",
    "Rule",
    "assess",
    "deadline_for",
    "korea_calendar",
    "kr_public_holidays",
]

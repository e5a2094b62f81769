"""A business-day calendar: weekends, public holidays and company closing days.

IO-free. A calendar can be limited to the years it has holiday data for (``covered_years``): asking
about a date outside them raises :class:`~gateway.errors.ConfigError` instead of silently treating
an unknown year as free of holidays (a deadline computed that way could fall on a holiday and be
missed). :func:`gateway.deadlines.korea_calendar` builds one from the shipped Korean data.

Day counting follows one convention throughout: ``add_business_days(d, n)`` is the n-th business
day after ``d`` (``d`` itself is not counted), and ``business_days_between(a, b)`` counts the
business days in ``(a, b]``, so ``business_days_between(d, add_business_days(d, n)) == n``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from gateway.errors import ConfigError

_DAY: Final = timedelta(days=1)
_MAX_STEP: Final = 3660
DEFAULT_WEEKEND: Final = frozenset({5, 6})


class BusinessCalendar:
    """Business days are the days that are neither a weekend day nor a holiday.

    ``weekend`` holds ISO weekday numbers as :meth:`date.weekday` gives them (Monday 0 ...
    Sunday 6). ``covered_years=None`` means the holiday set is complete for every year; otherwise
    dates outside those years raise :class:`ConfigError` (fail closed).
    """

    __slots__ = ("_covered", "_sorted", "holidays", "weekend")

    def __init__(
        self,
        holidays: Iterable[date],
        weekend: Iterable[int] = DEFAULT_WEEKEND,
        *,
        covered_years: Iterable[int] | None = None,
    ) -> None:
        self.holidays: frozenset[date] = frozenset(holidays)
        self.weekend: frozenset[int] = frozenset(weekend)
        if not self.weekend <= set(range(7)):
            raise ConfigError("weekend days must be weekday numbers 0 (Monday) to 6 (Sunday)")
        if len(self.weekend) == 7:
            raise ConfigError("a calendar needs at least one working weekday")
        self._covered = None if covered_years is None else frozenset(covered_years)
        # Holidays on working weekdays, sorted, for counting by bisection.
        self._sorted = tuple(sorted(d for d in self.holidays if d.weekday() not in self.weekend))

    @property
    def covered_years(self) -> frozenset[int] | None:
        """The years the calendar has holiday data for; None when it is not limited."""
        return self._covered

    def _check(self, day: date) -> None:
        if self._covered is not None and day.year not in self._covered:
            known = ", ".join(str(y) for y in sorted(self._covered)) or "none"
            raise ConfigError(
                f"no holiday data for {day.year} (calendar covers: {known}); "
                "configure that year's holidays as extra holidays"
            )

    def is_business_day(self, day: date) -> bool:
        """True when ``day`` is neither a weekend day nor a holiday."""
        self._check(day)
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        return self._step(day, _DAY)

    def previous_business_day(self, day: date) -> date:
        """The last business day strictly before ``day``."""
        return self._step(day, -_DAY)

    def _step(self, day: date, step: timedelta) -> date:
        current = day
        for _ in range(_MAX_STEP):
            current += step
            if self.is_business_day(current):
                return current
        raise ConfigError(f"no business day within {_MAX_STEP} days")  # pragma: no cover

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (``day`` itself is not counted);
        ``day`` unchanged for ``count == 0``."""
        if count < 0:
            raise ConfigError("the number of business days to add must not be negative")
        current = day
        for _ in range(count):
            current = self.next_business_day(current)
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in ``(start, end]``; negative (the days in ``(end, start]``) when
        ``end`` is before ``start``."""
        if end < start:
            return -self.business_days_between(end, start)
        if end == start:
            return 0
        for year in range((start + _DAY).year, end.year + 1):
            self._check(date(year, 1, 1))
        return self._weekdays(start, end) - (
            bisect_right(self._sorted, end) - bisect_right(self._sorted, start)
        )

    def _weekdays(self, start: date, end: date) -> int:
        """Days in ``(start, end]`` that are not weekend days."""
        span = (end - start).days
        weeks, rest = divmod(span, 7)
        working = 7 - len(self.weekend)
        first = start.weekday() + 1
        extra = sum(1 for i in range(rest) if (first + i) % 7 not in self.weekend)
        return weeks * working + extra

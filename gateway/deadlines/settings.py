"""Deadline configuration: one typed, frozen settings model that builds the rule and calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.deadlines.calendar import BusinessCalendar
from gateway.deadlines.kr_holidays import korea_calendar
from gateway.deadlines.rules import MAX_BUSINESS_DAYS, BlanketRule, IndividualRule, Roll, Rule


class DeadlineSettings(BaseModel):
    """How notification deadlines are computed.

    ``mode = "individual"``: ``business_days`` business days after shipment.
    ``mode = "blanket"``: by ``day_of_next_month`` of the next month, rolled by ``roll``.
    ``extra_holidays`` are added to Korea's public holidays (company closing days, or a whole
    year the shipped data does not cover yet).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    mode: Literal["individual", "blanket"] = "individual"
    business_days: int = Field(default=10, ge=0, le=MAX_BUSINESS_DAYS)
    day_of_next_month: int = Field(default=20, ge=1, le=31)
    roll: Roll = "preceding"
    warn_business_days: int = Field(default=2, ge=0, le=MAX_BUSINESS_DAYS)
    extra_holidays: tuple[date, ...] = Field(default=(), max_length=1000)

    def rule(self) -> Rule:
        """The configured rule."""
        if self.mode == "individual":
            return IndividualRule(self.business_days)
        return BlanketRule(self.day_of_next_month, self.roll)

    def build(self) -> tuple[Rule, BusinessCalendar]:
        """The rule and the Korean business calendar (shipped years plus extra holidays)."""
        return self.rule(), korea_calendar(extra_holidays=self.extra_holidays)

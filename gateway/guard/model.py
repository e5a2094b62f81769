"""Receivables (open and settled invoices) and the guard's warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.model import MINOR_UNITS
from gateway.model.record import Text


class Receivable(BaseModel):
    """One invoice from the ERP's receivables (open items) with its payment status.

    ``paid_on`` is the date the invoice was settled in full (the ERP's clearing date); it is
    empty while anything is still outstanding. So ``outstanding_minor`` is 0 exactly when
    ``paid_on`` is set: a row that says otherwise is ambiguous and refused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    buyer_key: str = Field(min_length=1, max_length=1024)
    invoice_number: Text
    currency: str = Field(min_length=3, max_length=3)
    outstanding_minor: int = Field(ge=0)
    due_date: date
    paid_on: date | None = None
    source_ref: Text

    @field_validator("currency")
    @classmethod
    def _iso4217(cls, value: str) -> str:
        if value not in MINOR_UNITS:
            raise ValueError("not an active ISO 4217 currency code")
        return value

    @model_validator(mode="after")
    def _paid_means_settled(self) -> Self:
        if self.paid_on is None and self.outstanding_minor == 0:
            raise ValueError("nothing is outstanding but there is no paid date")
        if self.paid_on is not None and self.outstanding_minor > 0:
            raise ValueError("a paid date is set but an amount is still outstanding")
        return self

    def unpaid_on(self, day: date) -> bool:
        """True when the invoice was still unpaid at the end of ``day``'s business: not yet
        paid, or paid only after ``day`` (paid on ``day`` itself counts as paid)."""
        return self.paid_on is None or self.paid_on > day

    def days_overdue_on(self, day: date) -> int:
        """Days past the due date on ``day`` (0 or negative when not yet due)."""
        return (day - self.due_date).days


@dataclass(frozen=True, slots=True)
class GuardWarning:
    """A shipment that went to a buyer with invoices overdue beyond the limit on that day.

    ``overdue_invoices`` lists their invoice numbers, oldest due date first; the warning stays
    local unless the policy discloses it.
    """

    ref: str
    buyer_key: str
    shipment_date: date
    overdue_invoices: tuple[str, ...]
    max_days_overdue: int

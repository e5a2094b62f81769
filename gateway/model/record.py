"""The canonical export record: one shipment/invoice, whatever ERP it came from.

Adapters map source columns onto these fields; nothing else is carried forward
(``extra="forbid"``). Money is ``Decimal`` checked against the currency's ISO 4217 minor unit,
and :attr:`ExportRecord.amount_minor` gives the integer minor units every later stage uses.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.model.country import is_country
from gateway.model.currency import MINOR_UNITS, to_minor

# Bounded text: every free-text field has a hard length limit and no control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    if "\ufffd" in value:
        raise ValueError("contains U+FFFD (text was decoded with replacement characters)")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_no_control),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    AfterValidator(_no_control),
]


class PaymentMethod(StrEnum):
    """Payment terms as export credit insurers classify them."""

    LC = "LC"  # documentary letter of credit
    DP = "DP"  # documents against payment
    DA = "DA"  # documents against acceptance
    OA = "OA"  # open account
    CAD = "CAD"  # cash against documents
    TT = "TT"  # telegraphic transfer (advance or deferred)
    CONSIGNMENT = "CONSIGNMENT"
    OTHER = "OTHER"


class RecordOrigin(StrEnum):
    """Where the record's evidence of shipment comes from."""

    ERP = "erp"  # the ERP feed alone (no customs source, or not reconciled)
    RECONCILED = "erp+customs"  # an ERP invoice matched to its customs export declaration(s)
    CUSTOMS = "customs"  # a cleared export the ERP feed never notified, attached from customs


class Incoterm(StrEnum):
    """Incoterms 2020."""

    EXW = "EXW"
    FCA = "FCA"
    CPT = "CPT"
    CIP = "CIP"
    DAP = "DAP"
    DPU = "DPU"
    DDP = "DDP"
    FAS = "FAS"
    FOB = "FOB"
    CFR = "CFR"
    CIF = "CIF"


def _iso4217(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError("not an active ISO 4217 currency code")
    return value


def _hs_digits(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace(".", "").replace(" ", "").replace("-", "")
        if not value.isascii() or not value.isdigit():
            raise ValueError("HS code must be digits")
    return value


#: An active ISO 4217 code.
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_iso4217)]
#: Harmonized System code: digits, written with or without dots, spaces or dashes.
HsCode = Annotated[str, BeforeValidator(_hs_digits), Field(min_length=4, max_length=12)]


def _country(value: str) -> str:
    code = value.strip().upper()
    if not is_country(code):
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str, AfterValidator(_country)]


class Buyer(BaseModel):
    """The overseas buyer (the insured credit risk)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: Text
    country: Country
    registration_id: Text | None = None
    insurer_code: Text | None = None
    address: LongText | None = None


class LineItem(BaseModel):
    """One invoice line. Never leaves the building under the default policy."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    description: LongText | None = None
    quantity: Decimal = Field(gt=0, max_digits=20)
    unit_price: Decimal = Field(ge=0, max_digits=24)

    @field_validator("quantity", "unit_price")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value


class ExportRecord(BaseModel):
    """One export shipment/invoice in canonical form.

    Ingest builds records of clean rows without validating them again, once its own checks
    have passed (``gateway/ingest/_erp_fast.py``): a constraint added here (or to
    :class:`Buyer` or :class:`LineItem`) must be checked there too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    source_ref: Text = Field(description="Where the record came from, e.g. 'sales.csv:17'.")
    invoice_number: Text
    invoice_date: date
    shipment_date: date
    declaration_number: Text | None = None
    buyer: Buyer
    currency: CurrencyCode
    amount: Decimal = Field(gt=0, max_digits=24)
    payment_method: PaymentMethod
    due_date: date | None = None
    tenor_days: int | None = Field(default=None, ge=0, le=3650)
    incoterms: Incoterm | None = None
    hs_code: HsCode
    description: LongText | None = None
    line_items: tuple[LineItem, ...] = Field(default=(), max_length=1000)
    origin: RecordOrigin = RecordOrigin.ERP

    @field_validator("amount")
    @classmethod
    def _finite_amount(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        try:
            to_minor(self.amount, self.currency)
        except ValueError as exc:
            raise ValueError(f"amount: {exc}") from None
        if self.due_date is None and self.tenor_days is None:
            raise ValueError("due_date or tenor_days is required")
        if self.due_date is not None and self.due_date < self.shipment_date:
            raise ValueError("due_date is before shipment_date")
        return self

    @property
    def amount_minor(self) -> int:
        """The amount in integer minor units of :attr:`currency`."""
        return to_minor(self.amount, self.currency)

    @property
    def maturity(self) -> date:
        """The due date, or shipment date plus tenor."""
        if self.due_date is not None:
            return self.due_date
        from datetime import timedelta

        assert self.tenor_days is not None
        return self.shipment_date + timedelta(days=self.tenor_days)

    def policy_input(self) -> dict[str, Any]:
        """The JSON projection the policy engine sees: flat dotted field names, strings for
        decimals and dates (exact and portable to OPA, which has no decimal type)."""
        maturity = self.maturity
        return {
            "source_ref": self.source_ref,
            "invoice_number": self.invoice_number,
            "invoice_date": self.invoice_date.isoformat(),
            "shipment_date": self.shipment_date.isoformat(),
            "declaration_number": self.declaration_number,
            "buyer.name": self.buyer.name,
            "buyer.country": self.buyer.country,
            "buyer.registration_id": self.buyer.registration_id,
            "buyer.insurer_code": self.buyer.insurer_code,
            "buyer.address": self.buyer.address,
            "currency": self.currency,
            "amount": format(self.amount, "f"),
            "amount_minor": self.amount_minor,
            "payment_method": self.payment_method.value,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "tenor_days": self.tenor_days,
            "maturity_date": maturity.isoformat(),
            "credit_days": (maturity - self.shipment_date).days,
            "incoterms": self.incoterms.value if self.incoterms else None,
            "hs_code": self.hs_code,
            "description": self.description,
            "line_items": [
                {
                    "description": li.description,
                    "quantity": format(li.quantity, "f"),
                    "unit_price": format(li.unit_price, "f"),
                }
                for li in self.line_items
            ],
            "origin": self.origin.value,
            # Days the buyer's oldest unpaid invoice was overdue on the shipment date, when the
            # continuing-export guard fires; set by the pipeline, never by the ERP.
            "guard.max_days_overdue": None,
        }


#: Field names the policy can name actions for (keys of :meth:`ExportRecord.policy_input`).
POLICY_FIELDS: tuple[str, ...] = (
    "source_ref",
    "invoice_number",
    "invoice_date",
    "shipment_date",
    "declaration_number",
    "buyer.name",
    "buyer.country",
    "buyer.registration_id",
    "buyer.insurer_code",
    "buyer.address",
    "currency",
    "amount",
    "amount_minor",
    "payment_method",
    "due_date",
    "tenor_days",
    "maturity_date",
    "credit_days",
    "incoterms",
    "hs_code",
    "description",
    "line_items",
    "origin",
    "guard.max_days_overdue",
)

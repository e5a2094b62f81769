"""The canonical customs export declaration (Korea Customs Service 수출신고 data elements).

A declaration is the ground truth that a shipment left: reconciliation matches declarations to
ERP invoices so that no cleared export goes unnotified. Adapters in ``gateway.adapters.customs``
read declarations from a broker's CSV download, JSON, and UNI-PASS export-performance XML.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.model.currency import to_minor
from gateway.model.record import Country, CurrencyCode, HsCode, PaymentMethod, Text

_DECL = re.compile(r"^[0-9A-Z]{10,20}$")


def normalise_declaration_number(value: str) -> str:
    """Declaration numbers compare without dashes, spaces or case ("43017-26-8362112" and
    "43017268362112" are the same declaration)."""
    return re.sub(r"[\s-]", "", value).upper()


class ExportDeclaration(BaseModel):
    """One export declaration as accepted by customs.

    Ingest builds declarations of clean rows without validating them again, once its own
    checks have passed (``gateway/ingest/_customs_fast.py``): a constraint added here must be
    checked there too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    source_ref: Text
    declaration_number: str = Field(description="수출신고번호, normalised without dashes.")
    acceptance_date: date = Field(description="수리일자: date customs accepted it.")
    loading_date: date | None = Field(default=None, description="선적일자 / 출항일자 when shipped.")
    shipped: bool = Field(description="선적여부: whether the goods have been loaded and left.")
    exporter_id: Text | None = Field(default=None, description="수출자 통관고유부호.")
    buyer_name: Text = Field(description="해외거래처 상호 (overseas buyer).")
    buyer_code: Text | None = Field(default=None, description="해외거래처부호.")
    destination_country: Country = Field(description="목적국, ISO 3166-1 alpha-2.")
    hs_code: HsCode = Field(description="세번부호 (HSK, 10 digits).")
    payment_method: PaymentMethod | None = Field(default=None, description="결제방법, mapped.")
    currency: CurrencyCode = Field(description="결제통화.")
    amount: Decimal = Field(gt=0, max_digits=24, description="결제금액 in the payment currency.")
    fob_krw: int | None = Field(default=None, ge=0, description="FOB 원화금액 (KRW, whole won).")
    invoice_number: Text | None = Field(default=None, description="송품장번호, when declared.")
    bl_number: Text | None = Field(default=None, description="B/L (or AWB) number, when shipped.")

    @field_validator("declaration_number", mode="before")
    @classmethod
    def _decl(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = normalise_declaration_number(value)
            if not _DECL.match(value):
                raise ValueError("declaration number must be 10-20 letters or digits")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.amount.is_finite():
            raise ValueError("amount must be a finite number")
        try:
            to_minor(self.amount, self.currency)
        except ValueError as exc:
            raise ValueError(f"amount: {exc}") from None
        if self.loading_date is not None and self.loading_date < self.acceptance_date:
            raise ValueError("loading_date is before acceptance_date")
        return self

    @property
    def amount_minor(self) -> int:
        return to_minor(self.amount, self.currency)

    @property
    def shipment_date(self) -> date:
        """The loading date when shipped, else the acceptance date (the best known date)."""
        return self.loading_date or self.acceptance_date

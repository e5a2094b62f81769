"""Factories for real ERP records and customs declarations (validated pydantic models)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gateway.model import Buyer, ExportDeclaration, ExportRecord, PaymentMethod

AS_OF = date(2026, 3, 31)
SHIP = date(2026, 3, 20)

MakeErp = Callable[..., ExportRecord]
MakeDecl = Callable[..., ExportDeclaration]


def _erp(
    invoice: str = "INV-001",
    *,
    amount: str = "10000.00",
    currency: str = "USD",
    buyer: str = "Acme Trading GmbH",
    country: str = "DE",
    shipped: date = SHIP,
    declaration: str | None = None,
    ref: str | None = None,
    **extra: Any,
) -> ExportRecord:
    return ExportRecord(
        source_ref=ref or f"erp.csv:{invoice}",
        invoice_number=invoice,
        invoice_date=shipped,
        shipment_date=shipped,
        declaration_number=declaration,
        buyer=Buyer(name=buyer, country=country),
        currency=currency,
        amount=Decimal(amount),
        payment_method=PaymentMethod.OA,
        tenor_days=60,
        hs_code="8703239000",
        **extra,
    )


def _decl(
    number: str = "43017268362112",
    *,
    amount: str = "10000.00",
    currency: str = "USD",
    buyer: str = "ACME TRADING G.M.B.H.",
    country: str = "DE",
    loaded: date | None = SHIP,
    accepted: date | None = None,
    invoice: str | None = None,
    fob_krw: int | None = None,
    ref: str | None = None,
    **extra: Any,
) -> ExportDeclaration:
    return ExportDeclaration(
        source_ref=ref or f"customs.csv:{number}",
        declaration_number=number,
        acceptance_date=accepted or loaded or SHIP,
        loading_date=loaded,
        shipped=loaded is not None,
        buyer_name=buyer,
        destination_country=country,
        hs_code="8703239000",
        currency=currency,
        amount=Decimal(amount),
        fob_krw=fob_krw,
        invoice_number=invoice,
        **extra,
    )


@pytest.fixture
def erp() -> MakeErp:
    """Build an ERP record: ``erp("INV-1", amount="5.00", declaration=...)``."""
    return _erp


@pytest.fixture
def decl() -> MakeDecl:
    """Build a customs declaration: ``decl("43017268362112", invoice="INV-1")``."""
    return _decl

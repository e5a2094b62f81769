"""Records for customs-only shipments, and matched ERP records given their declaration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from gateway.errors import RecordError
from gateway.model import ExportDeclaration, ExportRecord, PaymentMethod
from gateway.reconcile import ReconcileConfig, enrich, record_from_declaration

Erp = Callable[..., ExportRecord]
Decl = Callable[..., ExportDeclaration]
SHIP = date(2026, 3, 20)


def test_a_customs_only_record_carries_the_declaration_facts(decl: Decl) -> None:
    declared = decl("43017268362112", amount="1234.56", currency="EUR", country="VN",
                    buyer="Hanoi Steel JSC", invoice="INV-77",
                    accepted=SHIP - timedelta(days=2), payment_method=PaymentMethod.LC)
    record = record_from_declaration(declared, ReconcileConfig(customs_only_tenor_days=120))
    assert record.source_ref == declared.source_ref
    assert record.invoice_number == "INV-77"
    assert record.invoice_date == SHIP - timedelta(days=2)
    assert record.shipment_date == SHIP
    assert record.declaration_number == "43017268362112"
    assert (record.buyer.name, record.buyer.country) == ("Hanoi Steel JSC", "VN")
    assert record.buyer.insurer_code is None
    assert (record.currency, record.amount) == ("EUR", Decimal("1234.56"))
    assert record.payment_method is PaymentMethod.LC
    assert (record.tenor_days, record.due_date) == (120, None)
    assert record.maturity == SHIP + timedelta(days=120)
    assert record.hs_code == declared.hs_code


def test_without_invoice_or_payment_method_customs_fills_in(decl: Decl) -> None:
    unshipped = decl("43017268362112", loaded=None, accepted=SHIP)
    record = record_from_declaration(unshipped, ReconcileConfig())
    assert record.invoice_number == "CUSTOMS-43017268362112"
    assert record.payment_method is PaymentMethod.OTHER
    assert record.tenor_days == 90
    assert record.shipment_date == SHIP  # the acceptance date when not loaded yet


def test_an_impossible_declaration_raises_a_record_error_without_its_values(
    decl: Decl,
) -> None:
    """``model_construct`` skips validation: the only way to hold a declaration this broken."""
    fields = decl().model_dump()
    fields["hs_code"] = "12"
    fields["buyer_name"] = "Qwerty Secret Buyer"
    broken = ExportDeclaration.model_construct(**fields)
    with pytest.raises(RecordError) as caught:
        record_from_declaration(broken, ReconcileConfig())
    assert caught.value.source == broken.source_ref
    assert caught.value.field == "hs_code"
    assert "Qwerty" not in str(caught.value) and "'12'" not in str(caught.value)


def test_enrich_gives_a_matched_record_its_declaration_number(erp: Erp, decl: Decl) -> None:
    record = erp()
    enriched = enrich(record, [decl("43017268362112")])
    assert enriched.declaration_number == "43017268362112"
    assert enriched.model_dump(exclude={"declaration_number"}) == record.model_dump(
        exclude={"declaration_number"})
    assert record.declaration_number is None


def test_enrich_takes_the_earliest_part_of_a_split(erp: Erp, decl: Decl) -> None:
    parts = [decl("43017260000009", loaded=SHIP), decl("43017260000005", loaded=SHIP),
             decl("43017260000001", loaded=SHIP + timedelta(days=1))]
    assert enrich(erp(), parts).declaration_number == "43017260000005"


def test_enrich_keeps_what_the_erp_already_said(erp: Erp, decl: Decl) -> None:
    record = erp(declaration="43017-26-8362112")
    assert enrich(record, [decl("43017260000001")]) is record
    bare = erp()
    assert enrich(bare, []) is bare

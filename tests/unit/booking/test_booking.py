"""Booking reconciled groups: every ERP record and declaration is counted exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from gateway.account import ReconcileSummary, SourceAccount
from gateway.booking import Booking, ReconcileSetup
from gateway.deadlines import DeadlineSettings
from gateway.model import Buyer, ExportDeclaration, ExportRecord, RecordOrigin
from gateway.reconcile import NOT_SHIPPED, Match, MatchKind, ReconcileConfig

SHIP = date(2026, 3, 3)


def _decl(n: int, *, shipped: bool = True, hs: str = "8504401000") -> ExportDeclaration:
    return ExportDeclaration(
        source_ref=f"decl.csv:{n + 1}",
        declaration_number=f"4301726{n:07d}",
        acceptance_date=SHIP,
        loading_date=SHIP if shipped else None,
        shipped=shipped,
        buyer_name="Canary Buyer Ltd",
        destination_country="US",
        hs_code=hs,
        currency="USD",
        amount=Decimal("1000.00"),
    )


def _record(n: int) -> ExportRecord:
    return ExportRecord(
        source_ref=f"erp.csv:{n + 1}",
        invoice_number=f"INV-{n}",
        invoice_date=SHIP,
        shipment_date=SHIP,
        buyer=Buyer(name="Canary Buyer Ltd", country="US"),
        currency="USD",
        amount=Decimal("1000.00"),
        payment_method="OA",
        due_date=SHIP + timedelta(days=60),
        hs_code="850440",
    )


def _booking() -> Booking:
    rule, calendar = DeadlineSettings().build()
    setup = ReconcileSetup(config=ReconcileConfig(), rule=rule, calendar=calendar)
    return Booking(setup, ReconcileSummary(as_of=SHIP + timedelta(days=5)))


def test_a_split_customs_only_shipment_attaches_what_left_and_holds_the_rest() -> None:
    customs = SourceAccount(read=2)
    booking = _booking()
    shipped, unshipped = _decl(1), _decl(2, shipped=False)
    match = Match(MatchKind.CUSTOMS_ONLY, (), (shipped, unshipped), flags=frozenset({NOT_SHIPPED}))
    booking.route(match, ((customs, 1), (customs, 1)), ())
    [(record, attribution)] = booking.attachable
    assert (
        record.origin is RecordOrigin.CUSTOMS
        and record.declaration_number == shipped.declaration_number
    )
    assert attribution == ((customs, 1),)
    assert customs.pending == 1
    assert [p["declarations"] for p in booking.summary.pending] == [[unshipped.declaration_number]]
    assert booking.summary.pending[0]["not_shipped"] is True
    assert [a["declaration_number"] for a in booking.summary.auto_attached] == [
        shipped.declaration_number
    ]


def test_a_declaration_the_record_model_refuses_is_quarantined_not_fatal() -> None:
    """model_construct stands in for a declaration from a future, looser source that validation
    let through: the record model refuses its 2-digit HS code."""
    customs = SourceAccount(read=1)
    booking = _booking()
    bad = ExportDeclaration.model_construct(**{**_decl(3).__dict__, "hs_code": "85"})
    booking.route(Match(MatchKind.CUSTOMS_ONLY, (), (bad,)), ((customs, 1),), ())
    assert booking.attachable == [] and customs.quarantined == 1 and customs.balanced()
    [q] = booking.quarantined
    assert (q.source, q.row, q.field) == ("decl.csv", 4, "hs_code")
    assert "85" not in q.reason and "Canary" not in q.reason


def test_a_matched_group_not_shipped_yet_is_pending_with_its_deadline_clock() -> None:
    erp, customs = SourceAccount(read=1), SourceAccount(read=1)
    booking = _booking()
    record, decl = _record(1), _decl(4, shipped=False)
    match = Match(MatchKind.MATCHED, (record,), (decl,), flags=frozenset({NOT_SHIPPED}))
    booking.route(match, ((customs, 1),), ((erp, 1),))
    assert booking.attachable == [] and erp.pending == 1 and customs.pending == 1
    booking.deadlines(SHIP + timedelta(days=12))
    assert booking.summary.deadlines and booking.summary.deadlines[0]["ref"] == record.source_ref


def test_a_conflict_withholds_both_sides_with_its_reason() -> None:
    erp, customs = SourceAccount(read=1), SourceAccount(read=2)
    booking = _booking()
    record = _record(2)
    match = Match(
        MatchKind.CONFLICT, (record,), (_decl(5), _decl(6)), reason="reconcile.conflict.amount"
    )
    booking.route(match, ((customs, 1), (customs, 1)), ((erp, 1),))
    assert dict(erp.withheld) == {"reconcile.conflict.amount": 1}
    assert dict(customs.withheld) == {"reconcile.conflict.amount": 2}
    assert booking.summary.conflicts[0]["erp"] == [record.source_ref]

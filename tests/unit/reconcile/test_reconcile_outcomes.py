"""Every outcome kind, every conflict reason, tolerances, FX and the pending window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile import (
    CONFLICT_AMOUNT,
    CONFLICT_BUYER,
    CONFLICT_COUNTRY,
    CONFLICT_CURRENCY,
    CONFLICT_DUPLICATE,
    CONSOLIDATED,
    DECLARATION_NOT_FOUND,
    DUPLICATE_DECLARATION,
    DUPLICATE_INVOICE,
    FUZZY,
    FX,
    NOT_SHIPPED,
    STALE,
    Match,
    MatchKind,
    ReconcileConfig,
    Reconciliation,
    reconcile,
)
from gateway.reconcile.compare import within_tolerance

Erp = Callable[..., ExportRecord]
Decl = Callable[..., ExportDeclaration]
AS_OF = date(2026, 3, 31)
SHIP = date(2026, 3, 20)
DEFAULT = ReconcileConfig()
FX_CONFIG = ReconcileConfig.model_validate({"fx": {"USD": "1350.50", "EUR": "1480"}})


def _run(
    erp: list[ExportRecord],
    decls: list[ExportDeclaration],
    config: ReconcileConfig = DEFAULT,
    as_of: date = AS_OF,
) -> Reconciliation:
    return reconcile(erp, decls, config, as_of=as_of)


def _one(result: Reconciliation) -> Match:
    assert len(result) == 1, [m.detail for m in result]
    return result.matches[0]


def test_matched_by_declaration_number_written_with_dashes(erp: Erp, decl: Decl) -> None:
    match = _one(_run([erp(declaration="43017-26-8362112")], [decl("43017268362112")]))
    assert match.kind is MatchKind.MATCHED
    assert match.reason is None
    assert match.flags == frozenset()
    assert "declaration_number" in match.detail


def test_matched_by_invoice_number_spelled_differently(erp: Erp, decl: Decl) -> None:
    match = _one(_run([erp("INV-2026-0001")], [decl(invoice="inv 2026 0001")]))
    assert match.kind is MatchKind.MATCHED
    assert FUZZY not in match.flags
    assert "invoice_number" in match.detail


def test_matched_without_numbers_by_buyer_date_and_amount(erp: Erp, decl: Decl) -> None:
    match = _one(_run([erp(shipped=SHIP)], [decl(loaded=SHIP + timedelta(days=2))]))
    assert match.kind is MatchKind.MATCHED
    assert FUZZY in match.flags
    assert "2 days apart" in match.detail


@pytest.mark.parametrize(
    ("erp_amount", "decl_amount", "agree"),
    [
        ("10000.00", "10049.00", True),  # 0.49 %: relative tolerance
        ("10000.00", "10051.00", False),
        ("100.00", "100.99", True),  # 0.99 < 1.00: absolute tolerance (100 minor units)
        ("100.00", "101.01", False),
    ],
)
def test_fuzzy_amount_tolerance_is_the_larger_of_relative_and_absolute(
    erp: Erp, decl: Decl, erp_amount: str, decl_amount: str, agree: bool
) -> None:
    result = _run([erp(amount=erp_amount)], [decl(amount=decl_amount)])
    if agree:
        assert [m.kind for m in result] == [MatchKind.MATCHED]
    else:
        assert sorted(m.kind for m in result) == [MatchKind.CUSTOMS_ONLY, MatchKind.ERP_ONLY]


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        (10_000, 10_100, True),
        (10_000, 10_101, False),
        (2_000_000, 2_010_000, True),
        (2_000_000, 2_010_100, False),
        (2_010_000, 2_000_000, True),
    ],
)
def test_tolerance_boundaries_in_minor_units(a: int, b: int, agree: bool) -> None:
    assert within_tolerance(a, b, DEFAULT) is agree


def test_tolerance_settings_are_honoured() -> None:
    strict = ReconcileConfig(amount_tolerance_pct=Decimal(0), amount_tolerance_minor=0)
    assert within_tolerance(5, 5, strict)
    assert not within_tolerance(5, 6, strict)
    loose = ReconcileConfig(amount_tolerance_pct=Decimal(10))
    assert within_tolerance(1000, 1100, loose)


def test_customs_only_is_a_declaration_no_erp_record_claims(decl: Decl) -> None:
    match = _one(_run([], [decl()]))
    assert match.kind is MatchKind.CUSTOMS_ONLY
    assert match.flags == frozenset()
    assert match.erp == ()


def test_an_unshipped_declaration_without_erp_record_is_customs_only_not_shipped(
    decl: Decl,
) -> None:
    match = _one(_run([], [decl(loaded=None, accepted=SHIP)]))
    assert match.kind is MatchKind.CUSTOMS_ONLY
    assert match.flags == {NOT_SHIPPED}


def test_an_unshipped_declaration_still_matches_its_invoice(erp: Erp, decl: Decl) -> None:
    match = _one(_run([erp(declaration="43017268362112")], [decl(loaded=None)]))
    assert match.kind is MatchKind.MATCHED
    assert NOT_SHIPPED in match.flags


@pytest.mark.parametrize(
    ("as_of", "stale"),
    [(SHIP + timedelta(days=7), False), (SHIP + timedelta(days=8), True), (SHIP, False)],
)
def test_erp_only_turns_stale_after_the_pending_window(
    erp: Erp, as_of: date, stale: bool
) -> None:
    match = _one(_run([erp()], [], as_of=as_of))
    assert match.kind is MatchKind.ERP_ONLY
    assert (STALE in match.flags) is stale


def test_the_pending_window_is_configurable(erp: Erp) -> None:
    config = ReconcileConfig(pending_window_days=30)
    assert STALE not in _one(_run([erp()], [], config, as_of=SHIP + timedelta(days=30))).flags
    assert STALE in _one(_run([erp()], [], config, as_of=SHIP + timedelta(days=31))).flags


def test_an_erp_record_naming_an_unknown_declaration_never_takes_another(
    erp: Erp, decl: Decl
) -> None:
    result = _run([erp(declaration="43017268362112")], [decl("43017269999999")])
    assert sorted(m.kind for m in result) == [MatchKind.CUSTOMS_ONLY, MatchKind.ERP_ONLY]
    pending = result.of_kind("erp_only")[0]
    assert DECLARATION_NOT_FOUND in pending.flags
    assert "43017268362112" in pending.detail


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        ({"amount": "12000.00"}, CONFLICT_AMOUNT, "amount"),
        ({"buyer": "Zenith Foods Inc"}, CONFLICT_BUYER, "buyer"),
        ({"country": "FR"}, CONFLICT_COUNTRY, "country"),
        ({"currency": "EUR"}, CONFLICT_CURRENCY, "currency"),
    ],
)
def test_linked_records_that_disagree_are_conflicts(
    erp: Erp, decl: Decl, change: dict[str, str], reason: str, field: str
) -> None:
    match = _one(_run([erp(declaration="43017268362112")], [decl(**change)]))
    assert match.kind is MatchKind.CONFLICT
    assert match.reason == reason
    assert match.detail.endswith(f"differing: {field}")


def test_several_differences_report_all_fields_and_the_first_reason(
    erp: Erp, decl: Decl
) -> None:
    match = _one(_run([erp("INV-9")], [decl(invoice="INV-9", currency="EUR", country="FR")]))
    assert match.reason == CONFLICT_CURRENCY
    assert match.detail.endswith("differing: currency, country")


def test_unlinked_records_that_disagree_are_not_paired(erp: Erp, decl: Decl) -> None:
    for change in ({"country": "FR"}, {"currency": "EUR"}, {"buyer": "Zenith Foods"}):
        result = _run([erp()], [decl(**change)])
        assert sorted(m.kind for m in result) == [MatchKind.CUSTOMS_ONLY, MatchKind.ERP_ONLY]


def test_currencies_differ_but_fob_in_krw_agrees_through_fx(erp: Erp, decl: Decl) -> None:
    record = erp(declaration="43017268362112", currency="USD", amount="10000.00")
    declared = decl(currency="EUR", amount="9125.00", fob_krw=13_505_000)
    match = _one(_run([record], [declared], FX_CONFIG))
    assert match.kind is MatchKind.MATCHED
    assert FX in match.flags


def test_krw_invoices_compare_with_fob_once_fx_is_configured(erp: Erp, decl: Decl) -> None:
    record = erp(declaration="43017268362112", currency="KRW", amount="13505000")
    declared = decl(currency="USD", fob_krw=13_480_000)  # 0.19 % apart
    assert _one(_run([record], [declared], FX_CONFIG)).kind is MatchKind.MATCHED
    assert _one(_run([record], [declared])).reason == CONFLICT_CURRENCY


def test_fx_beyond_tolerance_is_an_amount_conflict(erp: Erp, decl: Decl) -> None:
    record = erp(declaration="43017268362112", currency="USD", amount="10000.00")
    declared = decl(currency="EUR", amount="9125.00", fob_krw=12_000_000)
    match = _one(_run([record], [declared], FX_CONFIG))
    assert match.reason == CONFLICT_AMOUNT
    assert FX in match.flags


@pytest.mark.parametrize(
    ("erp_currency", "erp_amount", "fob"),
    [("USD", "10000.00", None), ("JPY", "1500000", 13_505_000)],
)
def test_currency_difference_without_fob_or_rate_is_a_conflict(
    erp: Erp, decl: Decl, erp_currency: str, erp_amount: str, fob: int | None
) -> None:
    record = erp(declaration="43017268362112", currency=erp_currency, amount=erp_amount)
    declared = decl(currency="EUR", amount="9125.00", fob_krw=fob)
    match = _one(_run([record], [declared], FX_CONFIG))
    assert match.reason == CONFLICT_CURRENCY
    assert FX not in match.flags


def test_one_declaration_number_twice_is_held_as_a_duplicate(erp: Erp, decl: Decl) -> None:
    twice = [decl(ref="customs.csv:2"), decl(ref="uni-pass.xml:1")]
    alone = _one(_run([], twice))
    assert (alone.kind, alone.reason) == (MatchKind.CONFLICT, CONFLICT_DUPLICATE)
    assert DUPLICATE_DECLARATION in alone.flags
    assert len(alone.declarations) == 2
    linked = _one(_run([erp(declaration="43017268362112", amount="20000.00")], twice))
    assert linked.reason == CONFLICT_DUPLICATE


def test_one_invoice_number_on_two_erp_records_is_flagged(erp: Erp, decl: Decl) -> None:
    records = [erp("INV-7", ref="erp.csv:2"), erp("INV-7", ref="erp.csv:9")]
    match = _one(_run(records, [decl(invoice="INV-7")]))
    assert match.reason == CONFLICT_AMOUNT
    assert {CONSOLIDATED, DUPLICATE_INVOICE} <= match.flags


def test_matches_refuse_inconsistent_reasons_and_emptiness(erp: Erp) -> None:
    with pytest.raises(ValueError, match="reason"):
        Match(MatchKind.CONFLICT, (erp(),), ())
    with pytest.raises(ValueError, match="reason"):
        Match(MatchKind.MATCHED, (erp(),), (), reason=CONFLICT_AMOUNT)
    with pytest.raises(ValueError, match="at least one"):
        Match(MatchKind.CUSTOMS_ONLY, (), ())


def test_counts_cover_every_kind_and_every_input_appears_once(erp: Erp, decl: Decl) -> None:
    records = [erp("INV-1", declaration="43017268362112"), erp("INV-2", amount="777.00"),
               erp("INV-3", declaration="43017260000003", amount="5.00")]
    decls = [decl("43017268362112"), decl("43017260000003"), decl("43017260000004", amount="1.00")]
    result = _run(records, decls)
    assert result.counts() == {"matched": 1, "customs_only": 1, "erp_only": 1, "conflict": 1}
    assert sorted(r.invoice_number for m in result for r in m.erp) == ["INV-1", "INV-2", "INV-3"]
    assert sorted(d.declaration_number for m in result for d in m.declarations) == [
        "43017260000003", "43017260000004", "43017268362112"]
    assert _run([], []).counts() == dict.fromkeys(MatchKind, 0)
    assert [m.kind for m in result.of_kind(MatchKind.CONFLICT)] == [MatchKind.CONFLICT]


def test_details_name_references_never_buyers_or_amounts(erp: Erp, decl: Decl) -> None:
    secret_buyer, secret_amount = "Zyxwv Secretive Holdings", "98765.43"
    records = [
        erp("INV-1", buyer=secret_buyer, amount=secret_amount, declaration="43017268362112"),
        erp("INV-2", buyer=secret_buyer, amount=secret_amount),
        erp("INV-3", buyer=secret_buyer, amount=secret_amount),
    ]
    decls = [decl("43017268362112", buyer=secret_buyer, amount="12345.67"),
             decl("43017260000009", buyer=secret_buyer, amount=secret_amount, country="FR")]
    result = _run(records, decls)
    assert {m.kind for m in result} == {MatchKind.CONFLICT, MatchKind.ERP_ONLY,
                                        MatchKind.CUSTOMS_ONLY}
    for match in result:
        text = match.detail.casefold()
        assert "zyxwv" not in text and "secretive" not in text
        assert "98765" not in text and "12345" not in text

"""Split and consolidated shipments, near-duplicate invoices, late declarations, tie-breaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile import (
    CONFLICT_AMOUNT,
    CONSOLIDATED,
    DATE_GAP,
    FUZZY,
    LATE_DECLARATION,
    NEAR_DUPLICATE,
    SPLIT,
    MatchKind,
    ReconcileConfig,
    Reconciliation,
    reconcile,
)

Erp = Callable[..., ExportRecord]
Decl = Callable[..., ExportDeclaration]
AS_OF = date(2026, 3, 31)
SHIP = date(2026, 3, 20)
DEFAULT = ReconcileConfig()


def _run(erp: list[ExportRecord], decls: list[ExportDeclaration],
         config: ReconcileConfig = DEFAULT) -> Reconciliation:
    return reconcile(erp, decls, config, as_of=AS_OF)


def _numbers(decls: tuple[ExportDeclaration, ...]) -> list[str]:
    return sorted(d.declaration_number for d in decls)


def test_split_by_declarations_carrying_the_invoice_number(erp: Erp, decl: Decl) -> None:
    parts = [decl("43017260000001", amount="6000.00", invoice="INV-5"),
             decl("43017260000002", amount="2500.00", invoice="inv 5"),
             decl("43017260000003", amount="1500.00", invoice="INV5")]
    (match,) = _run([erp("INV-5")], parts)
    assert match.kind is MatchKind.MATCHED
    assert SPLIT in match.flags and CONSOLIDATED not in match.flags
    assert _numbers(match.declarations) == ["43017260000001", "43017260000002", "43017260000003"]


def test_split_where_the_erp_lists_one_declaration_and_others_share_the_invoice(
    erp: Erp, decl: Decl
) -> None:
    parts = [decl("43017260000001", amount="6000.00"),
             decl("43017260000002", amount="4000.00", invoice="INV-5")]
    (match,) = _run([erp("INV-5", declaration="43017260000001")], parts)
    assert match.kind is MatchKind.MATCHED
    assert SPLIT in match.flags
    assert "declaration_number, invoice_number" in match.detail


def test_a_split_whose_parts_do_not_add_up_is_an_amount_conflict(erp: Erp, decl: Decl) -> None:
    parts = [decl("43017260000001", amount="6000.00", invoice="INV-5"),
             decl("43017260000002", amount="3000.00", invoice="INV-5")]
    (match,) = _run([erp("INV-5")], parts)
    assert (match.kind, match.reason) == (MatchKind.CONFLICT, CONFLICT_AMOUNT)
    assert SPLIT in match.flags


def test_consolidated_invoices_that_name_one_declaration(erp: Erp, decl: Decl) -> None:
    invoices = [erp("INV-1", amount="4000.00", declaration="43017260000001"),
                erp("INV-2", amount="3500.50", declaration="43017260000001"),
                erp("INV-3", amount="2500.00", declaration="43017-26-0000001")]
    (match,) = _run(invoices, [decl("43017260000001", amount="10000.50")])
    assert match.kind is MatchKind.MATCHED
    assert CONSOLIDATED in match.flags and SPLIT not in match.flags
    assert sorted(r.invoice_number for r in match.erp) == ["INV-1", "INV-2", "INV-3"]


def test_a_consolidated_declaration_missing_one_invoice_is_held(erp: Erp, decl: Decl) -> None:
    invoices = [erp("INV-1", amount="4000.00", declaration="43017260000001")]
    (match,) = _run(invoices, [decl("43017260000001", amount="10000.00")])
    assert match.reason == CONFLICT_AMOUNT


def test_near_duplicate_invoices_do_not_both_take_one_declaration(erp: Erp, decl: Decl) -> None:
    twins = [erp("INV-1"), erp("INV-2")]  # same buyer, amount and date
    result = _run(twins, [decl()])
    assert sorted(m.kind for m in result) == [MatchKind.ERP_ONLY, MatchKind.MATCHED]
    assert all(NEAR_DUPLICATE in m.flags for m in result)
    (matched,) = result.of_kind("matched")
    assert [r.invoice_number for r in matched.erp] == ["INV-1"]  # canonical order decides


def test_near_duplicates_with_one_declaration_by_number_leave_the_twin_pending(
    erp: Erp, decl: Decl
) -> None:
    twins = [erp("INV-1"), erp("INV-2")]
    result = _run(twins, [decl(invoice="INV-2")])
    (matched,) = result.of_kind("matched")
    assert [r.invoice_number for r in matched.erp] == ["INV-2"]
    (pending,) = result.of_kind("erp_only")
    assert [r.invoice_number for r in pending.erp] == ["INV-1"]


def test_two_near_duplicates_and_two_declarations_pair_one_to_one(erp: Erp, decl: Decl) -> None:
    result = _run([erp("INV-1"), erp("INV-2")], [decl("43017260000001"), decl("43017260000002")])
    assert [m.kind for m in result] == [MatchKind.MATCHED, MatchKind.MATCHED]
    assert {len(m.erp) for m in result} == {1}
    assert len({m.declarations[0].declaration_number for m in result}) == 2


@pytest.mark.parametrize(("days_late", "matches"), [(4, True), (10, True), (11, False)])
def test_a_declaration_dated_after_the_erp_record_matches_within_the_window(
    erp: Erp, decl: Decl, days_late: int, matches: bool
) -> None:
    loaded = SHIP + timedelta(days=days_late)
    result = _run([erp()], [decl(loaded=loaded, accepted=loaded)])
    if matches:
        (match,) = result
        assert {FUZZY, LATE_DECLARATION} <= match.flags
    else:
        assert sorted(m.kind for m in result) == [MatchKind.CUSTOMS_ONLY, MatchKind.ERP_ONLY]


def test_the_window_applies_before_the_erp_date_too_and_is_configurable(
    erp: Erp, decl: Decl
) -> None:
    early = SHIP - timedelta(days=10)
    (match,) = _run([erp()], [decl(loaded=early, accepted=early)])
    assert match.kind is MatchKind.MATCHED
    assert LATE_DECLARATION not in match.flags
    narrow = ReconcileConfig(date_window_days=3)
    assert len(_run([erp()], [decl(loaded=early, accepted=early)], narrow)) == 2


def test_a_declaration_that_arrives_later_turns_pending_into_matched(
    erp: Erp, decl: Decl
) -> None:
    record = erp()
    (pending,) = _run([record], [])
    assert pending.kind is MatchKind.ERP_ONLY
    late = SHIP + timedelta(days=3)
    (match,) = _run([record], [decl(loaded=late, accepted=late)])
    assert match.kind is MatchKind.MATCHED and LATE_DECLARATION in match.flags


def test_numbers_link_beyond_the_window_but_say_so(erp: Erp, decl: Decl) -> None:
    far = SHIP + timedelta(days=40)
    (match,) = _run([erp(declaration="43017268362112")], [decl(loaded=far, accepted=far)])
    assert match.kind is MatchKind.MATCHED
    assert {DATE_GAP, LATE_DECLARATION} <= match.flags


def test_fuzzy_prefers_the_closest_date_then_the_closest_amount(erp: Erp, decl: Decl) -> None:
    decls = [
        decl("43017260000001", loaded=SHIP + timedelta(days=1), amount="10000.00"),
        decl("43017260000002", loaded=SHIP, amount="10040.00"),
        decl("43017260000003", loaded=SHIP, amount="10010.00"),
    ]
    result = _run([erp()], decls)
    (matched,) = result.of_kind("matched")
    assert matched.declarations[0].declaration_number == "43017260000003"


def test_fuzzy_matching_is_one_to_one_across_a_buyer_block(erp: Erp, decl: Decl) -> None:
    records = [erp("INV-1", shipped=SHIP), erp("INV-2", shipped=SHIP + timedelta(days=2))]
    decls = [decl("43017260000001", loaded=SHIP + timedelta(days=2)),
             decl("43017260000002", loaded=SHIP)]
    pairs = {
        m.erp[0].invoice_number: m.declarations[0].declaration_number
        for m in _run(records, decls)
    }
    assert pairs == {"INV-1": "43017260000002", "INV-2": "43017260000001"}


def test_details_of_large_groups_are_capped(erp: Erp, decl: Decl) -> None:
    parts = [decl(f"4301726000000{i}", amount="1000.00", invoice="INV-5") for i in range(7)]
    (match,) = _run([erp("INV-5", amount="7000.00")], parts)
    assert match.kind is MatchKind.MATCHED and len(match.declarations) == 7
    assert "and 2 more" in match.detail


def test_names_without_letters_or_digits_are_never_paired_by_buyer(
    erp: Erp, decl: Decl
) -> None:
    result = _run([erp(buyer="---")], [decl(buyer="***")])
    assert sorted(m.kind for m in result) == [MatchKind.CUSTOMS_ONLY, MatchKind.ERP_ONLY]

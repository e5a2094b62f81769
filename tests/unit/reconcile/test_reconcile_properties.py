"""Properties over generated data: nothing cleared is lost, input order is irrelevant, cost is
about linear."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.model import ExportRecord
from gateway.reconcile import (
    CONFLICT_CURRENCY,
    MatchKind,
    ReconcileConfig,
    Reconciliation,
    reconcile,
    record_from_declaration,
)
from gateway.reconcile.compare import Tolerance
from gateway.reconcile.synthetic import Synthetic, generate

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _config(data: Synthetic) -> ReconcileConfig:
    return ReconcileConfig(fx=dict(data.fx))


def _outcome_of_each_declaration(result: Reconciliation) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for match in result:
        for d in match.declarations:
            assert d.declaration_number not in seen, "a declaration in two outcomes"
            seen[d.declaration_number] = match
    return seen


@PROPERTY
@given(seed=SEEDS)
def test_every_cleared_shipment_is_matched_attached_or_held_with_a_reason(seed: int) -> None:
    data = generate(300, seed=seed, missing_pct=5)
    result = reconcile(data.erp, data.declarations, _config(data), as_of=data.as_of)
    outcome = _outcome_of_each_declaration(result)
    assert set(outcome) == {d.declaration_number for d in data.declarations}
    for d in data.declarations:
        match = outcome[d.declaration_number]
        if d.shipped:
            assert match.kind in {MatchKind.MATCHED, MatchKind.CUSTOMS_ONLY, MatchKind.CONFLICT}
        if match.kind is MatchKind.CONFLICT:
            assert match.reason is not None
        assert match.kind is data.expected[d.declaration_number], match.detail
    customs_only = {n for n, m in outcome.items() if m.kind is MatchKind.CUSTOMS_ONLY}
    forgotten = {n for n, kind in data.expected.items() if kind is MatchKind.CUSTOMS_ONLY}
    assert customs_only == forgotten
    assert forgotten, "5 % of 300 shipments: some must be missing"
    assert result.counts()[MatchKind.ERP_ONLY] == 0
    erp_seen = Counter(id(r) for m in result for r in m.erp)
    assert sorted(erp_seen.values()) == [1] * len(data.erp)


@PROPERTY
@given(seed=SEEDS)
def test_each_forgotten_shipment_becomes_a_record_to_attach(seed: int) -> None:
    data = generate(200, seed=seed, missing_pct=10)
    config = _config(data)
    result = reconcile(data.erp, data.declarations, config, as_of=data.as_of)
    attached = [
        record_from_declaration(d, config)
        for m in result.of_kind(MatchKind.CUSTOMS_ONLY) for d in m.declarations
    ]
    assert all(isinstance(r, ExportRecord) for r in attached)
    dropped_parts = sum(kind is MatchKind.CUSTOMS_ONLY for kind in data.expected.values())
    assert len(attached) == dropped_parts


def test_without_fx_the_krw_invoices_are_currency_conflicts() -> None:
    data = generate(400, seed=11, missing_pct=0)
    with_fx = reconcile(data.erp, data.declarations, _config(data), as_of=data.as_of)
    without = reconcile(data.erp, data.declarations, ReconcileConfig(), as_of=data.as_of)
    krw = [r for r in data.erp if r.currency == "KRW"]
    assert krw, "the generator makes some KRW invoices declared in USD"
    currency_conflicts = [m for m in without if m.reason == CONFLICT_CURRENCY]
    assert sorted(r.invoice_number for m in currency_conflicts for r in m.erp) == sorted(
        r.invoice_number for r in krw)
    assert with_fx.counts()[MatchKind.CONFLICT] == 0


def _signature(result: Reconciliation) -> list[tuple[Any, ...]]:
    return [
        (m.kind, tuple(r.source_ref for r in m.erp),
         tuple((d.declaration_number, d.source_ref) for d in m.declarations),
         m.reason, tuple(sorted(m.flags)), m.detail)
        for m in result
    ]


def _with_twins(data: Synthetic) -> tuple[list[ExportRecord], list[Any]]:
    """Add exact near-duplicates on both sides, so tie-breaks are exercised too."""
    erp = list(data.erp)
    erp += [r.model_copy(update={"invoice_number": f"{r.invoice_number}-B",
                                 "source_ref": f"{r.source_ref}b", "declaration_number": None})
            for r in erp[:15]]
    decls = list(data.declarations)
    decls += [d.model_copy(update={"source_ref": f"{d.source_ref}b"}) for d in decls[:3]]
    decls += [d.model_copy(update={"declaration_number": f"{d.declaration_number[:-1]}Z",
                                   "invoice_number": None,
                                   "shipped": True, "loading_date": d.shipment_date
                                   + timedelta(days=1)})
              for d in decls[3:12]]
    return erp, decls


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_input_order_does_not_change_any_outcome(data: st.DataObject) -> None:
    generated = generate(150, seed=5, missing_pct=5)
    erp, decls = _with_twins(generated)
    config = _config(generated)
    baseline = _signature(reconcile(erp, decls, config, as_of=generated.as_of))
    shuffled_erp = data.draw(st.permutations(erp))
    shuffled_decls = data.draw(st.permutations(decls))
    again = reconcile(shuffled_erp, shuffled_decls, config, as_of=generated.as_of)
    assert _signature(again) == baseline


def test_the_generator_is_deterministic_per_seed() -> None:
    one, same, other = generate(120, seed=3), generate(120, seed=3), generate(120, seed=4)
    assert one.erp == same.erp and one.declarations == same.declarations
    assert one.expected == same.expected and one.dropped == same.dropped
    assert one.declarations != other.declarations
    assert one.dropped and one.dropped.isdisjoint(r.invoice_number for r in one.erp)


def test_the_generator_covers_every_kind_of_shipment() -> None:
    data = generate(600, seed=21)
    result = reconcile(data.erp, data.declarations, _config(data), as_of=data.as_of)
    flags = Counter(flag for m in result for flag in m.flags)
    for flag in ("split", "consolidated", "fuzzy", "fx", "not_shipped", "late_declaration"):
        assert flags[flag] > 0, flag
    assert any(r.buyer.name != d.buyer_name for m in result.of_kind("matched")
               for r in m.erp for d in m.declarations)


def _comparisons(size: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Amount comparisons made while reconciling ``size`` generated shipments."""
    data = generate(size, seed=99)
    calls = 0
    real = Tolerance.agrees

    def counting(self: Tolerance, a: int, b: int) -> bool:
        nonlocal calls
        calls += 1
        return real(self, a, b)

    with monkeypatch.context() as patch:
        patch.setattr(Tolerance, "agrees", counting)
        reconcile(data.erp, data.declarations, _config(data), as_of=data.as_of)
    return calls


def test_fuzzy_candidate_comparisons_grow_linearly_not_quadratically(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = _comparisons(1000, monkeypatch), _comparisons(4000, monkeypatch)
    assert small > 0
    assert large < 6 * small  # 4x the data; an all-pairs scan would be 16x

"""The staged reconciliation yields exactly what ``reconcile`` returns, with each record's tag.

Everything runs over real SQLite staging files in ``tmp_path`` and compares, outcome by
outcome, with the in-memory engine on the same input: generated shipments (splits,
consolidations, FX, fuzzy pairs, missing invoices) shuffled, with duplicates and statuses
added, and hand-made edge cases (ties only the JSON form breaks, non-ASCII names, amounts
beyond 64 bits, competing fuzzy candidates).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import StoreError
from gateway.ingest.customs_status import DeclarationStatus, apply_statuses
from gateway.model import Buyer, ExportDeclaration, ExportRecord, PaymentMethod
from gateway.reconcile import MatchKind, ReconcileConfig, reconcile
from gateway.reconcile.synthetic import generate
from gateway.store.staging import ReconcileStaging, StagedMatch
from gateway.store.staging_rows import padded, tuple_key

AS_OF = date(2026, 3, 31)
SHIP = date(2026, 3, 20)
DECL_TAG = 100_000  # declaration i gets tag DECL_TAG + i, ERP record i gets tag i
PROPERTY = settings(
    max_examples=10, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def erp(invoice: str = "INV-001", *, amount: str = "10000.00", currency: str = "USD",
        buyer: str = "Acme Trading GmbH", country: str = "DE", shipped: date = SHIP,
        declaration: str | None = None, ref: str | None = None, **extra: Any) -> ExportRecord:
    return ExportRecord(
        source_ref=ref or f"erp.csv:{invoice}", invoice_number=invoice, invoice_date=shipped,
        shipment_date=shipped, declaration_number=declaration,
        buyer=Buyer(name=buyer, country=country), currency=currency, amount=Decimal(amount),
        payment_method=extra.pop("payment_method", PaymentMethod.OA),
        tenor_days=extra.pop("tenor_days", 60), hs_code=extra.pop("hs_code", "8703239000"),
        **extra,
    )


def decl(number: str = "43017268362112", *, amount: str = "10000.00", currency: str = "USD",
         buyer: str = "ACME TRADING G.M.B.H.", country: str = "DE", loaded: date | None = SHIP,
         invoice: str | None = None, fob_krw: int | None = None, ref: str | None = None,
         **extra: Any) -> ExportDeclaration:
    return ExportDeclaration(
        source_ref=ref or f"customs.csv:{number}", declaration_number=number,
        acceptance_date=loaded or SHIP, loading_date=loaded, shipped=loaded is not None,
        buyer_name=buyer, destination_country=country, hs_code="8703239000",
        currency=currency, amount=Decimal(amount), fob_krw=fob_krw, invoice_number=invoice,
        **extra,
    )


def staged(tmp_path: Path, records: Sequence[ExportRecord], decls: Sequence[ExportDeclaration],
           config: ReconcileConfig, *, as_of: date = AS_OF,
           before: Sequence[DeclarationStatus] = (), after: Sequence[DeclarationStatus] = (),
           cache_kib: int = 16384) -> list[StagedMatch]:
    with ReconcileStaging(config, directory=tmp_path, cache_kib=cache_kib) as staging:
        staging.add_statuses(before)
        for i, record in enumerate(records):
            staging.add_erp(record, i, f"key-{i}")
        for i, d in enumerate(decls):
            staging.add_declaration(d, DECL_TAG + i)
        staging.add_statuses(after)
        assert (staging.erp_count, staging.declaration_count) == (len(records), len(decls))
        return list(staging.matches(as_of=as_of))


def assert_same(tmp_path: Path, records: Sequence[ExportRecord],
                decls: Sequence[ExportDeclaration], config: ReconcileConfig, *,
                as_of: date = AS_OF, before: Sequence[DeclarationStatus] = (),
                after: Sequence[DeclarationStatus] = (), cache_kib: int = 16384,
                ) -> list[StagedMatch]:
    """Staged outcomes equal ``reconcile``'s, in order, and tags lead back to each record."""
    statuses = [*before, *after]
    refreshed = list(apply_statuses(decls, statuses)) if statuses else list(decls)
    expected = list(reconcile(records, refreshed, config, as_of=as_of))
    got = staged(tmp_path, records, decls, config, as_of=as_of, before=before, after=after,
                 cache_kib=cache_kib)
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        m = have.match
        assert (m.kind, m.reason, m.flags, m.detail) == (
            want.kind, want.reason, want.flags, want.detail)
        assert (m.erp, m.declarations) == (want.erp, want.declarations)
        assert m == want
        assert tuple(records[t] for t in have.erp_tags) == m.erp
        assert tuple(refreshed[t - DECL_TAG] for t in have.decl_tags) == m.declarations
    every = sorted(t for s in got for t in (*s.erp_tags, *s.decl_tags))
    assert every == [*range(len(records)), *range(DECL_TAG, DECL_TAG + len(decls))]
    return got


def _statuses(rng: random.Random, decls: Sequence[ExportDeclaration]) -> list[DeclarationStatus]:
    chosen = rng.sample(list(decls), min(len(decls), 25))
    statuses = []
    for d in chosen:
        shipped = rng.random() < 0.7
        accepted = d.acceptance_date + timedelta(days=rng.randrange(-2, 3))
        loaded = accepted + timedelta(days=rng.randrange(0, 15)) if shipped else None
        statuses.append(DeclarationStatus(declaration_number=d.declaration_number,
                                          acceptance_date=accepted, shipped=shipped,
                                          loading_date=loaded, bl_numbers=("BL1",)))
    return statuses


CONFIGS = st.sampled_from(["fx", "plain", "tight", "wide"])


def _config(name: str, fx: dict[str, Decimal]) -> ReconcileConfig:
    return {
        "fx": ReconcileConfig(fx=fx),
        "plain": ReconcileConfig(),
        "tight": ReconcileConfig(fx=fx, date_window_days=2, amount_tolerance_pct=Decimal("0.01"),
                                 amount_tolerance_minor=0),
        "wide": ReconcileConfig(date_window_days=40, amount_tolerance_pct=Decimal(5)),
    }[name]


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(20, 300),
       missing=st.integers(0, 30), config=CONFIGS, extras=st.booleans())
def test_property_staged_outcomes_equal_reconcile(
    tmp_path: Path, seed: int, size: int, missing: int, config: str, extras: bool
) -> None:
    data = generate(size, seed=seed, missing_pct=missing)
    rng = random.Random(seed)
    records, decls = list(data.erp), list(data.declarations)
    before: list[DeclarationStatus] = []
    after: list[DeclarationStatus] = []
    if extras:  # exact duplicates on both sides, near-duplicates and refreshed statuses
        records += rng.sample(records, min(len(records), 5))
        decls += rng.sample(decls, min(len(decls), 5))
        before, after = _statuses(rng, decls), _statuses(rng, decls)
    rng.shuffle(records)
    rng.shuffle(decls)
    got = assert_same(tmp_path, records, decls, _config(config, dict(data.fx)),
                      as_of=data.as_of, before=before, after=after)
    assert {s.match.kind for s in got} >= {MatchKind.MATCHED}


def test_thousands_of_shipments_across_buffer_chunks_and_a_tiny_cache(tmp_path: Path) -> None:
    data = generate(2500, seed=11)  # more than 2000 rows per side: several buffered writes
    records, decls = list(data.erp), list(data.declarations)
    random.Random(3).shuffle(records)
    got = assert_same(tmp_path, records, decls, ReconcileConfig(fx=dict(data.fx)),
                      as_of=data.as_of, cache_kib=64)
    flags = set().union(*(s.match.flags for s in got))
    assert {"split", "consolidated", "fuzzy", "fx"} <= flags


def test_input_order_changes_neither_outcomes_nor_which_tag_goes_where(tmp_path: Path) -> None:
    data = generate(200, seed=5)
    config = ReconcileConfig(fx=dict(data.fx))
    forward = staged(tmp_path, data.erp, data.declarations, config, as_of=data.as_of)
    backward = staged(tmp_path, data.erp[::-1], data.declarations[::-1], config,
                      as_of=data.as_of)
    assert [s.match for s in forward] == [s.match for s in backward]
    n, k = len(data.erp), len(data.declarations)
    assert [s.erp_tags for s in forward] == [
        tuple(n - 1 - t for t in s.erp_tags) for s in backward]
    assert [s.decl_tags for s in forward] == [
        tuple(DECL_TAG + k - 1 - (t - DECL_TAG) for t in s.decl_tags) for s in backward]


def test_empty_inputs_give_no_outcome(tmp_path: Path) -> None:
    assert staged(tmp_path, [], [], ReconcileConfig()) == []


def test_only_erp_records_are_pending_stale_or_missing_their_declaration(
    tmp_path: Path,
) -> None:
    records = [erp("INV-1"), erp("INV-2", shipped=SHIP - timedelta(days=30)),
               erp("INV-3", declaration="43017268362112", amount="2000.00")]
    got = assert_same(tmp_path, records, [], ReconcileConfig())
    assert [s.match.kind for s in got] == [MatchKind.ERP_ONLY] * 3
    assert {f for s in got for f in s.match.flags} == {"stale", "declaration_not_found"}


def test_only_declarations_are_customs_only_or_duplicate_conflicts(tmp_path: Path) -> None:
    decls = [decl("43017268362112"), decl("43017268362112", ref="other.csv:2"),
             decl("43017268369999", loaded=None), decl("43017268368888", invoice="INV-9"),
             decl("43017268367777", invoice="inv 9")]
    got = assert_same(tmp_path, [], decls, ReconcileConfig())
    kinds = sorted(s.match.kind.value for s in got)
    # declarations sharing only an invoice key are not joined without an ERP record
    assert kinds == ["conflict", "customs_only", "customs_only", "customs_only"]


def test_invoice_key_joins_declarations_only_through_an_erp_record(tmp_path: Path) -> None:
    records = [erp("INV-9", amount="30000.00")]
    decls = [decl("43017268368888", invoice="inv 9"), decl("43017268367777", invoice="INV-9",
                                                           amount="20000.00")]
    got = assert_same(tmp_path, records, decls, ReconcileConfig())
    assert len(got) == 1 and "split" in got[0].match.flags


NAMES = ["Zürich Maschinen AG", "삼성물산 주식회사", "株式会社トヨタ",
         "\uff21\uff43\uff4d\uff45 Trading",  # full-width "Acme"
         "Acme \U0001f600 Trading", "Ódin Ltd", "acme trading",
         "\u0410\u0446\u043c\u0435 \u041e\u041e\u041e"]  # Cyrillic


def test_non_ascii_names_sort_by_code_point_as_python_does(tmp_path: Path) -> None:
    # U+FF21 sorts before U+1F600 by code point (and in UTF-8), after it in UTF-16
    records = [erp(f"INV-{i % 3}", buyer=name, ref="erp.csv:1", amount="500.00")
               for i, name in enumerate(NAMES)]
    decls = [decl(f"4301726836{i:04d}", buyer=name, ref="customs.csv:1", amount="700.00")
             for i, name in enumerate(NAMES)]
    assert_same(tmp_path, records, decls, ReconcileConfig())
    assert_same(tmp_path, records[::-1], decls[::-1], ReconcileConfig())


def test_ties_that_only_the_json_form_breaks(tmp_path: Path) -> None:
    # equal sort keys (date, invoice, reference, numbers, currency, amount, country, name):
    # only fields outside the key (tenor, HS code, payment method) order them
    twins = [erp("INV-7", ref="erp.csv:7", tenor_days=t, hs_code=h, payment_method=p)
             for t, h, p in [(90, "8703239000", PaymentMethod.OA),
                             (30, "8703239000", PaymentMethod.OA),
                             (60, "7208510000", PaymentMethod.LC),
                             (60, "8703239000", PaymentMethod.DA)]]
    for order in (twins, twins[::-1], [twins[2], twins[0], twins[3], twins[1]]):
        got = assert_same(tmp_path, order, [], ReconcileConfig())
        assert all("near_duplicate" in s.match.flags for s in got)
        assert [s.match.erp[0] for s in got] == sorted(twins, key=lambda r: r.model_dump_json())


def test_identical_records_keep_the_order_they_were_added_in(tmp_path: Path) -> None:
    same = erp("INV-5")
    got = staged(tmp_path, [same, same, same], [decl(invoice="INV-5", amount="30000.00")],
                 ReconcileConfig())
    assert len(got) == 1 and got[0].erp_tags == (0, 1, 2)
    got = staged(tmp_path, [same, erp("INV-6"), same], [], ReconcileConfig())
    assert [s.erp_tags for s in got] == [(0,), (2,), (1,)]


def test_amounts_beyond_64_bits_order_and_compare_exactly(tmp_path: Path) -> None:
    # same sort key up to the amount: 999 minor units sort before 1000 (not as text), and
    # about 10**24 minor units (more than 2**63) still order and compare exactly
    amounts = ["9999999999999999999999.99", "10.00", "9.99", "9999999999999999999999.98"]
    records = [erp("INV-1", ref="erp.csv:1", amount=a) for a in amounts]
    decls = [decl("43017268360001", amount="9999999999999999999000.00")]
    for order in (records, records[::-1]):
        got = assert_same(tmp_path, order, decls, ReconcileConfig())
        assert [s.match.kind for s in got].count(MatchKind.MATCHED) == 1
        pending = [s.match.erp[0].amount for s in got if s.match.kind is MatchKind.ERP_ONLY]
        assert pending == [Decimal("9.99"), Decimal("10.00"), Decimal(amounts[0])]


def test_competing_fuzzy_candidates_are_taken_greedily_as_in_memory(tmp_path: Path) -> None:
    records = [erp("INV-1", shipped=SHIP, amount="1000.00"),
               erp("INV-2", shipped=SHIP + timedelta(days=1), amount="1000.00"),
               erp("INV-3", shipped=SHIP - timedelta(days=1), amount="1001.00"),
               erp("INV-4", shipped=SHIP, amount="1000.00", country="FR")]
    decls = [decl("43017268360001", loaded=SHIP, amount="1000.00"),
             decl("43017268360002", loaded=SHIP + timedelta(days=2), amount="1000.50")]
    got = assert_same(tmp_path, records, decls, ReconcileConfig())
    assert sum("fuzzy" in s.match.flags for s in got) == 2


def test_statuses_before_and_after_declarations_and_the_last_one_wins(tmp_path: Path) -> None:
    d = decl("43017268362112", loaded=None)
    later = SHIP + timedelta(days=20)
    first = DeclarationStatus(declaration_number="43017-26-8362112", acceptance_date=SHIP,
                              shipped=True, loading_date=SHIP + timedelta(days=1))
    last = DeclarationStatus(declaration_number="43017268362112", acceptance_date=SHIP,
                             shipped=True, loading_date=later)
    unknown = DeclarationStatus(declaration_number="99999999999999", acceptance_date=SHIP,
                                shipped=False)
    records = [erp(declaration="43017268362112")]
    for before, after in (([first, last], []), ([first], [last]), ([], [first, unknown, last])):
        got = assert_same(tmp_path, records, [d], ReconcileConfig(), before=before, after=after)
        (m,) = [s.match for s in got]
        assert m.declarations[0].loading_date == later and "date_outside_window" in m.flags


def test_has_erp_key_sees_every_added_key_including_unwritten_ones(tmp_path: Path) -> None:
    with ReconcileStaging(ReconcileConfig(), directory=tmp_path) as staging:
        assert not staging.has_erp_key("a")
        staging.add_erp(erp("INV-1"), 0, "a")
        assert staging.has_erp_key("a") and not staging.has_erp_key("b")
        for i in range(2500):
            staging.add_erp(erp(f"INV-{i}"), 0, f"k{i}")
        assert staging.has_erp_key("k0") and staging.has_erp_key("k2499")
        assert not staging.has_erp_key("k2500")
        outcomes = staging.matches(as_of=AS_OF)
        with pytest.raises(StoreError):
            staging.has_erp_key("a")
        assert sum(1 for _ in outcomes) == 2501


def test_matches_runs_once_and_nothing_can_be_added_afterwards(tmp_path: Path) -> None:
    with ReconcileStaging(ReconcileConfig(), directory=tmp_path) as staging:
        staging.add_erp(erp(), 0, "a")
        assert len(list(staging.matches(as_of=AS_OF))) == 1
        with pytest.raises(StoreError, match="not allowed"):
            staging.matches(as_of=AS_OF)
        with pytest.raises(StoreError):
            staging.add_erp(erp(), 1, "b")
        with pytest.raises(StoreError):
            staging.add_declaration(decl(), 1)
        with pytest.raises(StoreError):
            staging.add_statuses([])


def test_cache_size_must_be_a_sensible_integer(tmp_path: Path) -> None:
    for bad in (0, 63, -5, True):
        with pytest.raises(StoreError, match="cache_kib"):
            ReconcileStaging(ReconcileConfig(), directory=tmp_path, cache_kib=bad)
    assert list(tmp_path.iterdir()) == []


@given(st.lists(st.lists(st.text(max_size=4), max_size=3), max_size=12))
def test_tuple_keys_compare_as_the_tuples_do(tuples: list[list[str]]) -> None:
    as_python = sorted(tuple(t) for t in tuples)
    assert sorted((tuple(t) for t in tuples), key=tuple_key) == as_python
    for a in tuples:
        for b in tuples:
            assert (tuple_key(a) < tuple_key(b)) == (tuple(a) < tuple(b))


@given(st.integers(0, 10**30 - 1), st.integers(0, 10**30 - 1))
def test_padded_amounts_compare_as_the_integers_do(a: int, b: int) -> None:
    assert (padded(a) < padded(b)) == (a < b) and (padded(a) == padded(b)) == (a == b)
    with pytest.raises(StoreError):
        padded(-1)

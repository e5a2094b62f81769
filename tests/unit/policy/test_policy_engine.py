"""RegoEngine over the real embedded engine: the default policy, its operators, batching."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.model import ExportRecord
from gateway.policy import Decision, Outcome, PolicyBundle, PolicyEngine, PolicySettings, RegoEngine

Record = Callable[..., ExportRecord]

EXPECTED_FIELDS = {
    "invoice_number": ("invoice_token",),
    "invoice_date": ("month",),
    "shipment_date": ("keep",),
    "maturity_date": ("keep",),
    "buyer.name": ("buyer_token",),
    "buyer.country": ("keep",),
    "currency": ("keep",),
    "amount": ("amount_band", "exposure"),
    "payment_method": ("keep",),
    "hs_code": ("hs4",),
    "tenor_days": ("keep",),
    "incoterms": ("keep",),
    "origin": ("keep",),
}


def _count_queries(engine: RegoEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on the real interpreter's query method (the engine keeps one per instance)."""
    interpreter = engine._interpreter
    real = interpreter.query
    seen: list[str] = []

    def spy(query: str) -> Any:
        seen.append(query)
        return real(query)

    monkeypatch.setattr(interpreter, "query", spy)
    return seen


# -- the default policy over real records ------------------------------------------------------


def test_default_policy_attaches_an_ordinary_export_with_the_allowlisted_fields(
    default_engine: RegoEngine, record: Record
) -> None:
    [decision] = default_engine.decide([record().policy_input()])
    assert decision.outcome is Outcome.ATTACH
    assert dict(decision.fields) == EXPECTED_FIELDS


def test_default_policy_keeps_the_insurer_code_only_when_present(
    default_engine: RegoEngine, record: Record
) -> None:
    with_code, without = default_engine.decide(
        [record(buyer={"insurer_code": "KS-000123"}).policy_input(), record().policy_input()]
    )
    assert with_code.fields["buyer.insurer_code"] == ("keep",)
    assert "buyer.insurer_code" not in without.fields


@pytest.mark.parametrize(
    ("changes", "outcome", "reason"),
    [
        ({"buyer": {"country": "KR"}}, Outcome.QUARANTINE, "buyer.domestic"),
        (
            {"payment_method": "TT", "due_date": "2026-01-07", "tenor_days": 0},
            Outcome.WITHHOLD,
            "payment.cash_in_advance",
        ),
        ({"due_date": None, "tenor_days": 721}, Outcome.WITHHOLD, "tenor.beyond_short_term"),
        ({"currency": "CHF"}, Outcome.WITHHOLD, "currency.not_banded"),
    ],
    ids=["domestic", "cash-in-advance", "long-tenor", "unbanded-currency"],
)
def test_default_policy_holds_back_what_the_insurer_does_not_cover(
    default_engine: RegoEngine,
    record: Record,
    changes: dict[str, Any],
    outcome: Outcome,
    reason: str,
) -> None:
    buyer = changes.pop("buyer", None)
    [decision] = default_engine.decide([record(buyer=buyer, **changes).policy_input()])
    assert (decision.outcome, decision.reason, dict(decision.fields)) == (outcome, reason, {})


def test_default_policy_operators_and_settings(default_engine: RegoEngine) -> None:
    operators = default_engine.operators()
    assert operators["hs4"] == {"type": "truncate", "digits": 4}
    assert operators["buyer_token"] == {"type": "pseudonymise", "domain": "buyer"}
    assert operators["invoice_token"] == {"type": "pseudonymise", "domain": "invoice"}
    assert operators["exposure"] == {"type": "encrypt"}
    edges = operators["amount_band"]["edges"]
    assert set(edges) == {"USD", "EUR", "GBP", "JPY", "KRW", "CNY"}
    assert edges["USD"] == ["0", "10000", "50000", "100000", "500000", "1000000"]
    assert default_engine.settings() == PolicySettings(
        k=3, bucket=("buyer", "country", "currency", "maturity_month")
    )


def test_operators_are_a_copy(default_engine: RegoEngine) -> None:
    default_engine.operators()["hs4"]["digits"] = 2
    assert default_engine.operators()["hs4"]["digits"] == 4


def test_engine_satisfies_the_protocol_and_reports_the_bundle_version(
    default_engine: RegoEngine, default_bundle: PolicyBundle
) -> None:
    engine: PolicyEngine = default_engine
    assert engine.version == default_bundle.version


# -- batching ----------------------------------------------------------------------------------


def test_one_query_per_batch_in_input_order(
    default_bundle: PolicyBundle, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RegoEngine(default_bundle, batch_size=2)
    queries = _count_queries(engine, monkeypatch)
    countries = ["DE", "KR", "US", "KR", "FR"]
    inputs = [record(buyer={"country": c}).policy_input() for c in countries]
    decisions = engine.decide(inputs)
    # Four distinct projections (the second KR record looks the same as the first): 2 + 2.
    assert queries == ["data.redaction.export_record.decisions"] * 2
    assert [d.outcome for d in decisions] == [
        Outcome.ATTACH,
        Outcome.QUARANTINE,
        Outcome.ATTACH,
        Outcome.QUARANTINE,
        Outcome.ATTACH,
    ]


def test_a_whole_batch_is_one_query(
    default_bundle: PolicyBundle, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RegoEngine(default_bundle, batch_size=250)
    queries = _count_queries(engine, monkeypatch)
    inputs = [record(invoice_number=f"INV-{i}").policy_input() for i in range(120)]
    decisions = engine.decide(inputs)
    assert len(queries) == 1
    assert len(decisions) == 120
    assert all(d.outcome is Outcome.ATTACH for d in decisions)


def test_no_input_means_no_query(
    default_engine: RegoEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = _count_queries(default_engine, monkeypatch)
    assert default_engine.decide([]) == []
    assert queries == []


@pytest.mark.parametrize("size", [0, -1, 100_001, True])
def test_batch_size_is_bounded(default_bundle: PolicyBundle, size: int) -> None:
    with pytest.raises(ConfigError, match="batch size"):
        RegoEngine(default_bundle, batch_size=size)


def test_concurrent_callers_get_their_own_answers(
    default_engine: RegoEngine, record: Record
) -> None:
    domestic = [record(buyer={"country": "KR"}).policy_input()] * 20
    foreign = [record().policy_input()] * 20
    results: dict[str, list[Decision]] = {}

    def run(name: str, inputs: list[dict[str, Any]]) -> None:
        for _ in range(10):
            results[name] = default_engine.decide(inputs)

    threads = [threading.Thread(target=run, args=a) for a in (("kr", domestic), ("de", foreign))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {d.reason for d in results["kr"]} == {"buyer.domestic"}
    assert {d.outcome for d in results["de"]} == {Outcome.ATTACH}

"""Declared projections and the decision cache, over the real embedded engine.

The default policy declares what it reads; these tests show that deciding on the projection
gives the same decisions as deciding on whole records, that each distinct projection is
evaluated once, and that the cache never outlives a policy version or remembers a failure.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.adapters.policy_files import builtin_policy
from gateway.errors import PolicyError
from gateway.policy import Outcome, PolicyBundle, RegoEngine
from gateway.policy import _regopy as regopy_glue
from gateway.policy.projection import Projection
from tests.unit.policy.conftest import make_minimal_policy, make_record
from tests.unit.policy.test_policy_engine import _count_queries

RULE = "redaction/export_record.rego"
DECISIONS = "data.redaction.export_record.decisions"


def _without_projection() -> PolicyBundle:
    """The shipped policy with its projection removed: it sees every field of every record."""
    modules = dict(builtin_policy().modules)
    text, count = re.subn(r"\nprojection := \{.*?\n\}\n", "\n", modules[RULE], flags=re.S)
    assert count == 1
    modules[RULE] = text
    return PolicyBundle(modules, name="whole-records")


@pytest.fixture(scope="module")
def whole() -> RegoEngine:
    return RegoEngine(_without_projection(), batch_size=64)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    shipped = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    due = draw(st.one_of(st.none(), st.integers(0, 800)))
    changes: dict[str, Any] = {
        "invoice_number": f"INV-{draw(st.integers(0, 10**6))}",
        "shipment_date": shipped.isoformat(),
        "invoice_date": (shipped - timedelta(days=2)).isoformat(),
        "currency": draw(st.sampled_from(["USD", "EUR", "JPY", "KRW", "CHF"])),
        "amount": str(draw(st.integers(1, 10**9))),
        "payment_method": draw(st.sampled_from(["LC", "DP", "DA", "OA", "TT", "CAD"])),
        "due_date": None if due is None else (shipped + timedelta(days=due)).isoformat(),
        "tenor_days": draw(st.integers(0, 800)) if due is None else None,
        "incoterms": draw(st.sampled_from(["FOB", "CIF", None])),
        "origin": draw(st.sampled_from(["erp", "erp+customs", "customs"])),
    }
    buyer = {
        "name": draw(st.sampled_from(["Atlas GmbH", "Vega Ltd", "Orion JSC"])),
        "country": draw(st.sampled_from(["DE", "US", "KR", "VN"])),
        "insurer_code": draw(st.sampled_from([None, "DE-1180442"])),
    }
    return make_record(buyer=buyer, **changes).policy_input()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=25))
def test_the_shipped_projection_decides_exactly_as_whole_records_do(
    whole: RegoEngine, batch: list[dict[str, Any]]
) -> None:
    projected = RegoEngine(builtin_policy())
    assert projected.projection is not None
    assert projected.decide(batch) == whole.decide(batch)


def test_each_distinct_projection_is_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = RegoEngine(builtin_policy(), batch_size=250)
    queries = _count_queries(engine, monkeypatch)
    inputs = [
        make_record(invoice_number=f"INV-{i}", buyer={"name": f"Buyer {i}"}).policy_input()
        for i in range(300)
    ]
    first = engine.decide(inputs)
    assert queries == [DECISIONS]  # 300 records, one projection, one query
    assert all(d.outcome is Outcome.ATTACH for d in first)
    again = engine.decide([make_record(buyer={"country": "US"}).policy_input()])
    assert len(queries) == 2  # a new projection
    engine.decide(inputs)
    assert len(queries) == 2  # served from the cache
    assert engine.cache is not None and engine.cache.hits == 599 and engine.cache.misses == 2
    assert again[0].outcome is Outcome.ATTACH


def test_a_new_policy_version_starts_with_an_empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [make_record().policy_input()]
    first = RegoEngine(builtin_policy())
    first.decide(inputs)
    second = RegoEngine(builtin_policy())
    queries = _count_queries(second, monkeypatch)
    second.decide(inputs)
    assert queries == [DECISIONS]


def test_an_engine_failure_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = RegoEngine(builtin_policy())
    inputs = [make_record().policy_input()]
    real = regopy_glue.evaluate
    calls = {"n": 0}

    def failing_once(interpreter: Any, query: str, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise regopy_glue.EvaluationError("engine failed")
        return real(interpreter, query, **kwargs)

    monkeypatch.setattr("gateway.policy.engine.evaluate", failing_once)
    [failed] = engine.decide(inputs)
    assert (failed.outcome, failed.reason) == (Outcome.WITHHOLD, "policy.error")
    [decided] = engine.decide(inputs)
    assert decided.outcome is Outcome.ATTACH


_READS_NAME = """
projection := {"values": ["currency"], "present": ["buyer.name"]}

decision(record) := {"outcome": "quarantine", "reason": "name.seen"} if {
	is_string(record["buyer.name"])
} else := {"outcome": "withhold", "reason": "amount.seen"} if {
	record.amount != null
} else := {"outcome": "attach", "fields": {"currency": ["keep"]}}
"""


def test_a_field_outside_the_projection_is_invisible_to_the_policy() -> None:
    engine = RegoEngine(make_minimal_policy(_READS_NAME))
    [decision] = engine.decide([make_record().policy_input()])
    # buyer.name arrives as `true` (present), never as the name; amount arrives as null.
    assert (decision.outcome, dict(decision.fields)) == (Outcome.ATTACH, {"currency": ("keep",)})


def test_a_policy_reading_the_clock_is_projected_but_never_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = _READS_NAME.replace(
        'record.amount != null', 'record.amount != null\n\ttime.now_ns() < 0'
    )
    engine = RegoEngine(make_minimal_policy(rules))
    queries = _count_queries(engine, monkeypatch)
    inputs = [make_record().policy_input()]
    engine.decide(inputs)
    engine.decide(inputs)
    assert queries == [DECISIONS, DECISIONS]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ('["currency"]', "must be an object"),
        ('{"values": ["line_items"]}', "not a field it can hold: line_items"),
        ('{"values": ["buyer.secret"]}', "not a field it can hold: buyer.secret"),
        ('{"values": ["currency"], "present": ["currency"]}', "in both values and present"),
        ('{"values": "currency"}', "must be a list of field names"),
        ('{"keys": ["currency"]}', "must be an object"),
    ],
)
def test_a_malformed_projection_stops_the_policy_loading(declared: str, message: str) -> None:
    withhold = '{"outcome": "withhold", "reason": "x.y"}'
    rules = f"projection := {declared}\n\ndecision(_) := {withhold}\n"
    with pytest.raises(PolicyError, match=re.escape(message)):
        RegoEngine(make_minimal_policy(rules))


def test_projection_key_and_input_agree() -> None:
    projection = Projection(values=("currency",), present=("buyer.name", "line_items"))
    record = make_record().policy_input()
    seen = projection.project(record)
    assert seen["currency"] == "USD" and seen["buyer.name"] is True and seen["line_items"] is True
    assert seen["amount"] is None and seen["source_ref"] is None
    assert set(seen) == set(record)
    assert projection.key(record) == ("USD", True, True)
    assert projection.key({**record, "buyer.name": None}) == ("USD", False, True)


def test_an_inexact_value_the_policy_sees_is_withheld_and_one_it_does_not_see_is_not() -> None:
    engine = RegoEngine(builtin_policy())
    good = make_record().policy_input()
    seen = {**good, "currency": "US\x00D"}  # a projected value rego-cpp cannot hold exactly
    unseen = {**good, "amount_minor": 2**63}  # outside the projection: never sent
    decisions = engine.decide([seen, unseen, good])
    assert [d.reason for d in decisions] == ["policy.input", None, None]
    assert decisions[1] == decisions[2]

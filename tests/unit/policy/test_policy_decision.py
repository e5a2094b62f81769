"""parse_decision accepts exactly the documented shapes; everything else withholds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.model import POLICY_FIELDS
from gateway.policy import Decision, Outcome, parse_decision

MALFORMED = Decision(outcome=Outcome.WITHHOLD, reason="policy.malformed")


def test_attach_with_fields_parses_to_tuples() -> None:
    decision = parse_decision(
        {
            "outcome": "attach",
            "fields": {"buyer.country": ["keep"], "amount": ["amount_band", "exposure"]},
        }
    )
    assert decision.outcome is Outcome.ATTACH
    assert decision.reason is None
    assert dict(decision.fields) == {
        "buyer.country": ("keep",),
        "amount": ("amount_band", "exposure"),
    }


@pytest.mark.parametrize("outcome", ["withhold", "quarantine"])
def test_withhold_and_quarantine_keep_the_policy_reason(outcome: str) -> None:
    decision = parse_decision({"outcome": outcome, "reason": "tenor.beyond_short_term"})
    assert decision.outcome == outcome
    assert decision.reason == "tenor.beyond_short_term"
    assert dict(decision.fields) == {}


def test_explicit_null_reason_and_empty_fields_are_accepted_where_meaningless() -> None:
    attach = parse_decision({"outcome": "attach", "reason": None, "fields": {"currency": ["keep"]}})
    withhold = parse_decision({"outcome": "withhold", "reason": "buyer.domestic", "fields": {}})
    assert attach.outcome is Outcome.ATTACH
    assert withhold.reason == "buyer.domestic"


def test_unknown_operator_names_are_left_to_the_transform_stage() -> None:
    decision = parse_decision({"outcome": "attach", "fields": {"currency": ["no_such_operator"]}})
    assert decision.outcome is Outcome.ATTACH
    assert decision.fields["currency"] == ("no_such_operator",)


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="array"),
        pytest.param("attach", id="bare-string"),
        pytest.param({}, id="empty-object"),
        pytest.param({"outcome": "approve", "reason": "x.y"}, id="unknown-outcome"),
        pytest.param({"outcome": "ATTACH", "fields": {"currency": ["keep"]}}, id="wrong-case"),
        pytest.param({"outcome": "attach"}, id="attach-without-fields"),
        pytest.param({"outcome": "attach", "fields": {}}, id="attach-with-empty-fields"),
        pytest.param(
            {"outcome": "attach", "fields": {"buyer.secret": ["keep"]}}, id="unknown-field"
        ),
        pytest.param({"outcome": "attach", "fields": {"buyer": ["keep"]}}, id="nested-name"),
        pytest.param(
            {"outcome": "attach", "fields": {"currency": ["keep", 1]}}, id="operator-not-string"
        ),
        pytest.param(
            {"outcome": "attach", "fields": {"currency": "keep"}}, id="operators-not-list"
        ),
        pytest.param({"outcome": "attach", "fields": {"currency": []}}, id="no-operators"),
        pytest.param({"outcome": "attach", "fields": {"currency": ["keep", "keep"]}}, id="repeat"),
        pytest.param({"outcome": "attach", "fields": {"currency": ["Keep It"]}}, id="bad-op-name"),
        pytest.param({"outcome": "attach", "fields": [["currency", ["keep"]]]}, id="fields-array"),
        pytest.param(
            {"outcome": "attach", "reason": "why.not", "fields": {"currency": ["keep"]}},
            id="attach-with-reason",
        ),
        pytest.param({"outcome": "withhold"}, id="withhold-without-reason"),
        pytest.param({"outcome": "quarantine", "reason": None}, id="quarantine-null-reason"),
        pytest.param({"outcome": "withhold", "reason": "Tenor too long"}, id="reason-not-a-code"),
        pytest.param({"outcome": "withhold", "reason": "tenor"}, id="reason-undotted"),
        pytest.param({"outcome": "withhold", "reason": "a." + "b" * 80}, id="reason-too-long"),
        pytest.param({"outcome": "withhold", "reason": 7}, id="reason-number"),
        pytest.param(
            {"outcome": "withhold", "reason": "x.y", "fields": {"currency": ["keep"]}},
            id="withhold-with-fields",
        ),
        pytest.param({"outcome": "withhold", "reason": "x.y", "note": "hi"}, id="extra-key"),
    ],
)
def test_anything_else_is_withheld_as_malformed(obj: Any) -> None:
    assert parse_decision(obj) == MALFORMED


def test_every_policy_field_is_accepted() -> None:
    decision = parse_decision(
        {"outcome": "attach", "fields": {name: ["keep"] for name in POLICY_FIELDS}}
    )
    assert decision.outcome is Outcome.ATTACH
    assert set(decision.fields) == set(POLICY_FIELDS)


def test_decision_model_refuses_inconsistent_construction() -> None:
    with pytest.raises(ValidationError):
        Decision(outcome=Outcome.ATTACH, fields={})
    with pytest.raises(ValidationError):
        Decision(outcome=Outcome.QUARANTINE)
    with pytest.raises(ValidationError):
        Decision(outcome=Outcome.ATTACH, fields={"not.a.field": ("keep",)})


def test_decision_is_frozen() -> None:
    decision = Decision.withhold("policy.error")
    with pytest.raises(ValidationError):
        decision.reason = "other.reason"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_shaped = st.fixed_dictionaries(
    {"outcome": st.sampled_from(["attach", "withhold", "quarantine", "other"])},
    optional={
        "reason": st.none() | st.sampled_from(["tenor.beyond_short_term", "bad", ""]) | _json,
        "fields": st.dictionaries(
            st.sampled_from([*POLICY_FIELDS[:5], "nope"]),
            st.lists(st.sampled_from(["keep", "hs4", 3]) | _json, max_size=3),
            max_size=3,
        )
        | _json,
    },
)


@given(st.one_of(_json, _shaped))
def test_parse_never_raises_and_only_returns_consistent_decisions(obj: Any) -> None:
    decision = parse_decision(obj)
    if decision.outcome is Outcome.ATTACH:
        assert decision.fields and decision.reason is None
        assert set(decision.fields) <= set(POLICY_FIELDS)
    else:
        assert decision.reason is not None and not decision.fields

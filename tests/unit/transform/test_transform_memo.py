"""The transform stage's memos: compiled plans per decision, tokens per value.

They must never change a result (the fast-path property test compares whole transforms); here:
their bounds, that a plan is compiled once per decision, that a memo never outlives or mixes up
keys, that refusals are not memoised, and that the ASCII shortcut of the canonical form is the
documented one. Keys are real, generated per test.
"""

from __future__ import annotations

import gc
import secrets
import weakref
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.model import POLICY_FIELDS
from gateway.policy import Decision, Outcome, parse_decision
from gateway.transform import OperatorContext, OperatorError, OperatorSet, build_operators
from gateway.transform.operators.pseudonymise import MEMO_SIZE, Pseudonymise
from gateway.transform.plan import PLAN_MEMO_SIZE, plan_for, run
from gateway.transform.pseudonyms import cached_pseudonym, canonicalise, pseudonym
from tests.unit.transform.transform_reference import canonical, reference_transform


def _key(kid: str = "memo-k1") -> PseudonymKey:
    return PseudonymKey(kid, secrets.token_bytes(32))


def _operators(key: PseudonymKey) -> OperatorSet:
    config: dict[str, dict[str, Any]] = {
        "buyer_token": {"type": "pseudonymise", "domain": "buyer"},
        "buyer_cc": {"type": "pseudonymise", "domain": "buyer", "with_fields": ["buyer.country"]},
    }
    return build_operators(config, OperatorContext(key))


@given(st.text())
def test_canonical_form_equals_the_documented_steps(text: str) -> None:
    assert canonicalise(text) == canonical(text)


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_shortcut_equals_the_documented_steps(text: str) -> None:
    """ASCII takes the shortcut; its whitespace includes U+001C..U+001F (str.isspace)."""
    assert canonicalise(text) == canonical(text)
    assert canonicalise(text + "\x1c\x1f\x0b") == canonical(text + "\x1c\x1f\x0b")


@given(st.text(max_size=20), st.text(max_size=4))
def test_cached_pseudonym_equals_pseudonym(name: str, country: str) -> None:
    key = _key()
    first = cached_pseudonym(key, "hub_buyer", name, country)
    assert first == pseudonym(key, "hub_buyer", name, country)
    assert cached_pseudonym(key, "hub_buyer", name, country) == first


def test_the_memo_does_not_keep_a_key_alive_or_serve_it_to_its_successor() -> None:
    old = _key("memo-rot")
    released = weakref.ref(old)
    old_token = cached_pseudonym(old, "buyer", "Acme")
    del old
    gc.collect()
    assert released() is None
    for _ in range(20):  # new keys may reuse the old key's memory address
        new = _key("memo-rot")
        assert cached_pseudonym(new, "buyer", "Acme") == pseudonym(new, "buyer", "Acme")
        assert cached_pseudonym(new, "buyer", "Acme") != old_token


def test_cached_pseudonym_refuses_a_malformed_domain() -> None:
    with pytest.raises(ValueError, match="domain"):
        cached_pseudonym(_key(), "Bad Domain", "Acme")


def test_token_memo_is_bounded_and_per_key() -> None:
    key, other = _key(), _key("memo-k2")
    operator = _operators(key).get("buyer_token")
    other_operator = _operators(other).get("buyer_token")
    assert isinstance(operator, Pseudonymise) and isinstance(other_operator, Pseudonymise)
    record: dict[str, Any] = {}
    for n in range(MEMO_SIZE + 50):
        assert operator.apply_to(f"Buyer {n}", record, "buyer.name") == pseudonym(
            key, "buyer", f"Buyer {n}"
        )
    assert cast(Any, operator._token).cache_info().currsize <= MEMO_SIZE
    assert other_operator.apply_to("Buyer 1", record, "buyer.name") == pseudonym(
        other, "buyer", "Buyer 1"
    )


@pytest.mark.parametrize(
    ("name", "country"),
    [("", None), ("  ", 5), ("\u200b", ["DE"]), ("Acme", None), ("Acme", "  "), ("", "")],
)
def test_refusals_are_the_same_each_time_and_in_check_order(name: str, country: Any) -> None:
    ops = _operators(_key())
    record: dict[str, Any] = dict.fromkeys(POLICY_FIELDS)
    record.update({"buyer.name": name, "buyer.country": country})
    fields = {"buyer.name": ("buyer_cc",)}
    with pytest.raises(OperatorError) as expected:
        reference_transform(record, fields, ops)
    for _ in range(3):
        decision = parse_decision({"outcome": "attach", "fields": {"buyer.name": ["buyer_cc"]}})
        with pytest.raises(OperatorError) as info:
            run(plan_for(decision, ops), record)
        assert (info.value.reason_code, info.value.reason) == (
            expected.value.reason_code,
            expected.value.reason,
        )


def test_a_decision_is_compiled_once_and_equal_decisions_share_the_plan() -> None:
    ops = _operators(_key())
    obj = {"outcome": "attach", "fields": {"buyer.name": ["buyer_token"], "currency": ["keep"]}}
    decision = parse_decision(obj)
    plan = plan_for(decision, ops)
    assert plan_for(decision, ops) is plan
    copy = decision.model_copy(deep=True)
    assert copy is not decision and plan_for(copy, ops) is plan
    other_set = _operators(_key())
    assert plan_for(decision, other_set) is not plan  # memos are per operator set


def test_plan_memo_is_bounded() -> None:
    ops = _operators(_key())
    fields = [f for f in POLICY_FIELDS if f not in ("buyer.name", "invoice_number", "line_items")]
    seen = set()
    for a in fields:
        for b in fields:
            for c in ("keep", "drop", "month"):
                actions = {a: (c,), b: ("drop", "keep")}
                plan_for(_Fields(actions), ops)
                seen.add(tuple(actions.items()))
    assert len(seen) > PLAN_MEMO_SIZE
    assert len(ops.plans.by_content) <= PLAN_MEMO_SIZE


class _Fields:
    def __init__(self, fields: dict[str, tuple[str, ...]]) -> None:
        self.fields = fields


@pytest.mark.parametrize("operators", [["keep"], [1], ["keep", "keep"]])
def test_a_decision_built_without_validation_is_checked_like_any_object(operators: Any) -> None:
    """``Decision.model_construct`` skips validation (lists, non-text names): the plan memo
    must not trust such a decision's shape."""
    ops = _operators(_key())
    decision = Decision.model_construct(outcome=Outcome.ATTACH, fields={"currency": operators})
    record = {"currency": "USD"}
    expected = _outcome(lambda: reference_transform(record, decision.fields, ops))
    for _ in range(2):
        assert _outcome(lambda: run(plan_for(decision, ops), record)) == expected


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except OperatorError as exc:
        return ("error", exc.reason_code, exc.reason)

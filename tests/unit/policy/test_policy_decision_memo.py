"""parse_decision's memo: equal JSON gives one shared decision, anything else a fresh parse.

Objects are drawn from a small alphabet so the same and nearly the same decisions (operators in
another order, a reason added, a list where a string was, an integer where a name was) recur
within one example; every answer must equal an unmemoised parse, field order included.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.policy import Decision, Outcome, parse_decision
from gateway.policy import decision as decision_module
from gateway.policy.decision import MEMO_SIZE, _parse

MALFORMED = Decision(outcome=Outcome.WITHHOLD, reason="policy.malformed")

_ops = st.lists(st.sampled_from(["keep", "hs4", "drop", "Keep"]) | st.just(1), max_size=3)
_fields = st.dictionaries(
    st.sampled_from(["currency", "hs_code", "buyer.country", "nope"]),
    _ops | st.sampled_from(["keep", ("keep",), None]),
    max_size=3,
)
_objects = st.fixed_dictionaries(
    {"outcome": st.sampled_from(["attach", "withhold", "quarantine", "other", 1])},
    optional={
        "reason": st.sampled_from([None, "tenor.beyond_short_term", "x.y", "bad", 2, True]),
        "fields": _fields | st.sampled_from([None, [], "x"]),
        "note": st.just("extra"),
    },
)


def _fresh(obj: Any) -> Decision:
    return _parse(obj) or MALFORMED


@settings(max_examples=300, deadline=None)
@given(st.lists(_objects, min_size=1, max_size=8))
@example([{"outcome": "attach", "fields": {"hs_code": ["keep", "hs4"]}},
          {"outcome": "attach", "fields": {"hs_code": ["hs4", "keep"]}}])
@example([{"outcome": "withhold", "reason": "x.y"}, {"outcome": "withhold", "reason": "a.b"}])
@example([{"outcome": "attach", "fields": {"currency": ["keep"]}},
          {"outcome": "attach", "fields": {"currency": "keep"}}])
@example([{"outcome": "attach", "fields": {"currency": ["keep"], "hs_code": ["hs4"]}},
          {"outcome": "attach", "fields": {"hs_code": ["hs4"], "currency": ["keep"]}}])
def test_memoised_parse_equals_a_fresh_parse(objects: list[dict[str, Any]]) -> None:
    for obj in [*objects, *objects, *json.loads(json.dumps(objects))]:
        decision, expected = parse_decision(obj), _fresh(obj)
        assert decision == expected
        assert decision.model_dump_json() == expected.model_dump_json()  # field order too


def test_equal_json_shares_one_decision_object() -> None:
    obj = {"outcome": "attach", "fields": {"currency": ["keep"], "hs_code": ["hs4"]}}
    first = parse_decision(obj)
    assert parse_decision(json.loads(json.dumps(obj))) is first
    assert parse_decision({**obj, "fields": {"currency": ["keep"]}}) is not first


def test_the_memo_is_bounded() -> None:
    for n in range(MEMO_SIZE + 10):
        parse_decision({"outcome": "withhold", "reason": f"memo.r{n}"})
    assert len(decision_module._MEMO) <= MEMO_SIZE

"""The compiled, memoised transform equals the straightforward one (hypothesis).

Records and decisions are generated, the good and the broken alike: unknown fields and
operators, protected fields in clear with and without a justified exception, conflicting
operators, values of the wrong type, bad dates, amounts that disagree with ``amount_minor``,
text that canonicalises to nothing. For every pair the attachment (values, types and order),
the exposure, or the error (reason code, field and reason) must equal what
``transform_reference.reference_transform`` gives. Decisions are applied both as fresh objects
and as one shared :class:`~gateway.policy.Decision`, to many records, so the plan and token
memos are exercised warm as well as cold. Keys are real; ``Shout`` and ``Loud`` are real
operator classes outside the registry (the plan must fall back to their own ``apply``).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.model import POLICY_FIELDS
from gateway.model.currency import from_minor
from gateway.policy import Decision, Outcome, parse_decision
from gateway.policy.decision import _parse
from gateway.transform import (
    DROP,
    Exposure,
    JSONValue,
    OperatorContext,
    OperatorError,
    OperatorSet,
    RecordContext,
    build_operators,
    transform,
)
from gateway.transform.operators import Keep, NoParams, Operator, OperatorParams
from tests.unit.transform.transform_reference import reference_transform

KEY = PseudonymKey("fast-k1", secrets.token_bytes(32))
CONFIG: dict[str, dict[str, Any]] = {
    "hs4": {"type": "truncate", "digits": 4},
    "hs2": {"type": "truncate", "digits": 2},
    "buyer_token": {"type": "pseudonymise", "domain": "buyer"},
    "buyer_cc": {"type": "pseudonymise", "domain": "buyer", "with_fields": ["buyer.country"]},
    "invoice_token": {"type": "pseudonymise", "domain": "invoice"},
    "amount_band": {
        "type": "band",
        "edges": {"USD": ["0", "10000", "50000.5"], "KRW": ["100", "10000000"], "JPY": ["0"]},
    },
    "exposure": {"type": "encrypt"},
    "wipe": {"type": "drop"},
    "hold": {"type": "keep"},
}


class Shout(Operator):
    """Upper-cases text, drops ``None``, turns integers into an exposure (any result kind)."""

    type_name = "shout"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Shout:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> Any:
        if isinstance(value, str):
            return value.upper() + str(ctx.get("currency"))
        if value is None:
            return DROP
        if type(value) is int:
            return Exposure(abs(value))
        self.fail(ctx, "cannot shout this")


class Loud(Keep):
    """A subclass of a built-in that overrides only ``apply``: its override must be used."""

    def apply(self, value: JSONValue, ctx: RecordContext) -> Any:
        return f"!{value}" if isinstance(value, str) else super().apply(value, ctx)


def _with_custom(ops: OperatorSet) -> OperatorSet:
    extra = {"shout": Shout("shout"), "loud": Loud("loud")}
    return OperatorSet(MappingProxyType({**ops.operators, **extra}), ops.clear_allowed)


_BASE = build_operators(CONFIG, OperatorContext(KEY))
OPERATOR_SETS = (
    _with_custom(_BASE),
    _with_custom(dataclasses.replace(_BASE, clear_allowed=frozenset({"buyer.name", "line_items"}))),
)
NAMES = sorted({*CONFIG, "keep", "drop", "month", "encrypt", "shout", "loud", "rot13", "band"})
FIELDS = (*POLICY_FIELDS, "buyer.secret_margin")  # decisions may name any of these

FULL_WIDTH_ACME = "\uff21\uff43\uff4d\uff45"
FULL_WIDTH_DATE = "\uff12\uff10\uff12\uff16-01-01"
_junk = st.one_of(
    st.none(), st.integers(-5, 10**6), st.booleans(), st.floats(allow_nan=False),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
_texts = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(max_codepoint=127), max_size=12),
    st.sampled_from(["Acme", " ACME\tGmbH ", "\u200bAcme", FULL_WIDTH_ACME, "", "  ", "\x1f", "ß"]),
)
_real_dates = st.dates().map(lambda d: d.isoformat())
_mostly_real_dates = _real_dates | _real_dates | st.sampled_from(["2026-02-30", "2025-02-29"])
_dates = st.one_of(
    _real_dates,
    st.sampled_from(["2026-02-30", "2026-13-01", "2026-06", "20260101", FULL_WIDTH_DATE]),
)
_amounts = st.one_of(
    st.decimals(min_value=-10, max_value=10**8, places=2).map(str),
    st.sampled_from(["NaN", "Infinity", "1e3", " 12.5 ", "1_000", "abc", "0.001", "50000.5"]),
)
_currencies = st.sampled_from(["USD", "KRW", "JPY", "EUR", "usd", "", "XXX"]) | _junk
_BY_FIELD: dict[str, st.SearchStrategy[Any]] = {
    "amount": _amounts,
    "currency": _currencies,
    "hs_code": st.from_regex(r"[0-9]{0,8}", fullmatch=True) | st.sampled_from(["84a1", "٨٤٧١"]),
    "line_items": st.lists(st.fixed_dictionaries({"unit_price": _amounts}), max_size=2),
    "buyer.country": st.sampled_from(["DE", "US", "  ", ""]) | _texts,
}


#: Fields drawn per record; the others keep the base record's values.
DRAWN = (
    "invoice_number", "invoice_date", "due_date", "buyer.name", "buyer.country", "currency",
    "amount", "hs_code", "line_items", "tenor_days",
)
_BASE_RECORD: dict[str, Any] = {field: f"base {field}" for field in POLICY_FIELDS}


_VALUES = {
    field: (_dates if field.endswith("_date") else _BY_FIELD.get(field, _texts)) | _junk
    for field in DRAWN
}
_MINOR = st.integers(-1, 10**10) | st.just("amount") | _junk
_DROPPED = st.lists(st.sampled_from(DRAWN), max_size=2)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = dict(_BASE_RECORD)
    for field, values in _VALUES.items():
        record[field] = draw(values)
    minor = draw(_MINOR)
    if minor == "amount":  # a consistent pair, when the amount allows one
        try:
            minor = int(float(record["amount"]) * 100)
        except (TypeError, ValueError, OverflowError):
            minor = None
    record["amount_minor"] = minor
    for field in draw(_DROPPED):
        record.pop(field, None)
    return record


@st.composite
def good_records(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly well-formed records: consistent amounts, real dates, digit HS codes."""
    record = draw(records())
    currency = draw(st.sampled_from(["USD", "KRW", "JPY"]))
    minor = draw(st.integers(0, 10**9))
    record.update(
        currency=currency,
        amount=format(from_minor(minor, currency), "f"),
        amount_minor=minor,
        invoice_date=draw(_mostly_real_dates),
        due_date=draw(_mostly_real_dates),
        hs_code=draw(st.from_regex(r"[0-9]{6,8}", fullmatch=True)),
        **{"buyer.name": draw(_texts), "buyer.country": draw(st.sampled_from(["DE", "US"]))},
    )
    return record


_SUITABLE: dict[str, list[list[str]]] = {
    "buyer.name": [["buyer_token"], ["buyer_cc"], ["keep"], ["shout"], ["hold"]],
    "invoice_number": [["invoice_token"], ["wipe"], ["drop", "exposure"]],
    "amount": [["amount_band", "exposure"], ["exposure"], ["encrypt", "amount_band"],
               ["amount_band"], ["loud", "encrypt"], ["exposure", "encrypt"]],
    "invoice_date": [["month"], ["keep"]],
    "due_date": [["month"], ["loud"]],
    "hs_code": [["hs4"], ["hs2"], ["shout"]],
    "currency": [["keep"], ["hold"], ["shout"]],
    "buyer.country": [["keep"], ["loud"], ["buyer_token"]],
    "line_items": [["keep"], ["drop"]],
    "tenor_days": [["keep"], ["shout"]],
}
good_decisions = st.fixed_dictionaries(
    {"amount": st.sampled_from(_SUITABLE["amount"])},
    optional={field: st.sampled_from(ops) for field, ops in _SUITABLE.items() if field != "amount"},
)
decisions = st.dictionaries(
    st.sampled_from(FIELDS) | st.sampled_from(DRAWN),
    st.lists(st.sampled_from(NAMES), max_size=3),
    max_size=7,
)


@dataclasses.dataclass(frozen=True)
class Actions:
    """A decision-shaped object (``transform`` reads ``fields`` only)."""

    fields: Mapping[str, Sequence[str]]


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        attachment, exposure = call()
    except OperatorError as exc:
        return ("error", exc.reason_code, exc.field, exc.reason)
    return ("ok", attachment, json.dumps(attachment, default=repr), exposure)


def _fast(record: dict[str, Any], decision: Any, ops: OperatorSet) -> tuple[Any, ...]:
    def call() -> tuple[dict[str, Any], int | None]:
        out = transform(record, decision, ops)
        return out.attachment, out.exposure_minor

    return _outcome(call)


def _reference(
    record: dict[str, Any], fields: Mapping[str, Sequence[str]], ops: OperatorSet
) -> tuple[Any, ...]:
    return _outcome(lambda: reference_transform(record, fields, ops))


def _shared_decision(fields: dict[str, list[str]]) -> Decision | None:
    """The policy's JSON for ``fields`` through ``parse_decision`` (memoised), which must equal
    a fresh parse; ``None`` when it is not a valid attach decision."""
    obj = {"outcome": "attach", "fields": fields}
    decision = parse_decision(obj)
    assert decision == parse_decision(json.loads(json.dumps(obj)))
    assert decision == (_parse(obj) or Decision.withhold("policy.malformed"))
    return decision if decision.outcome is Outcome.ATTACH else None


_LIST_RECORD = {**_BASE_RECORD, "line_items": [{"unit_price": "1"}], "tenor_days": {"d": 1}}


@settings(max_examples=250, deadline=None)
@given(
    st.lists(records() | good_records(), min_size=1, max_size=4),
    decisions | good_decisions,
    st.sampled_from(OPERATOR_SETS),
)
@example([_BASE_RECORD], {"buyer.secret_margin": ["rot13"]}, OPERATOR_SETS[0])  # unknown field
@example([_BASE_RECORD], {"buyer.secret_margin": ["keep", "hs4"]}, OPERATOR_SETS[0])
@example([_LIST_RECORD], {"line_items": ["keep"], "tenor_days": ["hold"]}, OPERATOR_SETS[1])
def test_fast_path_equals_reference(
    batch: list[dict[str, Any]], fields: dict[str, list[str]], ops: OperatorSet
) -> None:
    shared = _shared_decision(fields)
    for record in batch:
        before = json.dumps(record, default=repr)
        expected = _reference(record, fields, ops)
        event(f"{expected[0]} {expected[1] if expected[0] == 'error' else bool(expected[3])}")
        assert _fast(record, Actions(fields), ops) == expected
        assert _fast(record, Actions({f: tuple(v) for f, v in fields.items()}), ops) == expected
        if shared is not None:
            assert _fast(record, shared, ops) == expected
            assert _fast(record, shared, ops) == expected  # the memoised plan, warm
        assert json.dumps(record, default=repr) == before  # the record is left as it was
        if expected[0] == "ok":
            out = transform(record, Actions(fields), ops).attachment
            for field, value in out.items():
                if isinstance(value, (list, dict)) and field in record:
                    assert value is not record[field]  # never aliases the record


@settings(max_examples=150, deadline=None)
@given(st.lists(good_records(), min_size=1, max_size=4), good_decisions)
def test_fast_path_equals_reference_on_well_formed_input(
    batch: list[dict[str, Any]], fields: dict[str, list[str]]
) -> None:
    """Mostly successful transforms: tokens, bands, months and exposures all compared."""
    ops = OPERATOR_SETS[1]
    shared = _shared_decision(fields)
    for record in batch:
        expected = _reference(record, fields, ops)
        event(f"{expected[0]} {expected[1] if expected[0] == 'error' else bool(expected[3])}")
        assert _fast(record, Actions(fields), ops) == expected
        if shared is not None:
            assert _fast(record, shared, ops) == expected


@settings(max_examples=60, deadline=None)
@given(records(), st.sampled_from(["buyer.name", "invoice_number", "line_items"]))
def test_protected_fields_follow_each_operator_sets_exceptions(
    record: dict[str, Any], field: str
) -> None:
    """One decision, memoised on two operator sets: each keeps its own verdict."""
    decision = Actions({field: ("keep",), "currency": ("keep",)})
    strict, lenient = OPERATOR_SETS
    for _ in range(2):
        for ops in (strict, lenient, strict):
            assert _fast(record, decision, ops) == _reference(record, decision.fields, ops)
    record.setdefault(field, "x")
    record.setdefault("currency", "USD")
    assert _fast(record, decision, strict)[1] == "transform.protected"


def test_operator_params_are_untouched_by_the_fast_path() -> None:
    """The no-parameter model still validates (start-up behaviour is unchanged)."""
    assert NoParams.model_validate({}) == NoParams()

"""What the policy decided about one record, and the strict parser that gets it there.

The policy returns plain JSON per record. :func:`parse_decision` accepts exactly one shape and
turns anything else into ``withhold`` with reason ``policy.malformed``: silence and confusion both
mean no. The shapes it accepts::

    {"outcome": "attach", "fields":
        {"buyer.country": ["keep"], "amount": ["amount_band", "exposure"]}}
    {"outcome": "withhold", "reason": "tenor.beyond_short_term"}
    {"outcome": "quarantine", "reason": "buyer.domestic"}

Field names must be :data:`gateway.model.POLICY_FIELDS`; operator names must be short lower-case
identifiers (whether the operator exists is checked by the transform stage, which knows the
registry). An ``attach`` that names no field is malformed: a record that would leave with nothing
in it is a policy mistake, not a disclosure.

A policy gives many records the same decision, so :func:`parse_decision` memoises what it
parsed, keyed by the exact JSON (plain ``str``, ``list`` and ``dict`` values only; anything
else is parsed afresh), in a bounded in-memory dict: equal decisions then share one immutable
:class:`Decision` object, which later stages can memoise their own work on.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.model import POLICY_FIELDS

#: Reason codes: dotted lower-case identifiers, e.g. ``tenor.beyond_short_term``.
REASON_PATTERN: Final = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
#: Operator names as the policy's ``operators`` object and its decisions spell them.
OPERATOR_NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
MAX_REASON_CHARS: Final = 64

# Stable reasons the engine itself assigns (fail closed).
POLICY_UNDEFINED: Final = "policy.undefined"  # the policy said nothing about the record
POLICY_MALFORMED: Final = "policy.malformed"  # the policy said something that is not a decision
POLICY_ERROR: Final = "policy.error"  # evaluation of the batch failed
POLICY_TIMEOUT: Final = "policy.timeout"  # evaluation took longer than allowed (remote engines)
POLICY_INPUT: Final = "policy.input"  # the record cannot be given to the engine exactly

_REASON_RE: Final = re.compile(REASON_PATTERN)
_OPERATOR_RE: Final = re.compile(OPERATOR_NAME_PATTERN)
_FIELD_SET: Final = frozenset(POLICY_FIELDS)
_KEYS: Final = frozenset({"outcome", "reason", "fields"})
#: Parsed decisions memoised by their exact JSON (in memory only).
MEMO_SIZE: Final = 4096


class Outcome(StrEnum):
    """What happens to a record."""

    ATTACH = "attach"  # sent to the insurer, with the named field actions
    WITHHOLD = "withhold"  # kept back on purpose; counted, with a reason
    QUARANTINE = "quarantine"  # kept back for a person to look at; counted, with a reason


class Decision(BaseModel):
    """The policy's decision for one record.

    Invariants: ``attach`` has no reason and at least one field; ``withhold`` and ``quarantine``
    have a reason and no fields.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    outcome: Outcome
    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS, pattern=REASON_PATTERN)
    fields: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.outcome is Outcome.ATTACH:
            if self.reason is not None:
                raise ValueError("an attach decision carries no reason")
            if not self.fields:
                raise ValueError("an attach decision must name at least one field")
        else:
            if self.reason is None:
                raise ValueError(f"a {self.outcome.value} decision needs a reason")
            if self.fields:
                raise ValueError(f"a {self.outcome.value} decision names no fields")
        for name, operators in self.fields.items():
            if name not in _FIELD_SET:
                raise ValueError("unknown field name")
            if not operators or len(set(operators)) != len(operators):
                raise ValueError("operator lists are non-empty and without repeats")
            if not all(_OPERATOR_RE.match(op) for op in operators):
                raise ValueError("operator names are short lower-case identifiers")
        return self

    @classmethod
    def withhold(cls, reason: str) -> Decision:
        """A ``withhold`` decision with ``reason`` (usually one of the ``policy.*`` codes)."""
        return cls(outcome=Outcome.WITHHOLD, reason=reason)


def _is_reason(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_REASON_CHARS:
        return False
    return bool(_REASON_RE.match(value))


def _parse_fields(raw: object) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(raw, dict):
        return None
    fields: dict[str, tuple[str, ...]] = {}
    for name, operators in raw.items():
        if not isinstance(name, str) or name not in _FIELD_SET:
            return None
        if not isinstance(operators, list) or not operators:
            return None
        if not all(isinstance(op, str) and _OPERATOR_RE.match(op) for op in operators):
            return None
        if len(set(operators)) != len(operators):
            return None
        fields[name] = tuple(operators)
    return fields


def _parse(obj: Any) -> Decision | None:
    if not isinstance(obj, dict) or not set(obj) <= _KEYS:
        return None
    outcome = obj.get("outcome")
    if not isinstance(outcome, str) or outcome not in set(Outcome):
        return None
    reason = obj.get("reason")
    fields = _parse_fields(obj.get("fields", {}))
    if fields is None or (reason is not None and not _is_reason(reason)):
        return None
    try:
        return Decision(outcome=Outcome(outcome), reason=reason, fields=fields)
    except ValidationError:
        return None


_MemoKey = tuple[str, str | None, tuple[tuple[str, tuple[str, ...]], ...]]
_MEMO: Final[OrderedDict[_MemoKey, Decision]] = OrderedDict()
_MEMO_LOCK: Final = threading.Lock()


def _memo_key(obj: Any) -> _MemoKey | None:
    """``obj`` as a hashable key when it is a dict of the three keys holding only plain
    ``str``, ``list`` and ``dict`` values (so key equality is JSON equality), else ``None``.
    An absent ``reason`` or ``fields`` means the same as ``null`` or ``{}`` to the parser."""
    if type(obj) is not dict or not obj.keys() <= _KEYS:
        return None
    outcome, reason, raw = obj.get("outcome"), obj.get("reason"), obj.get("fields", {})
    if type(outcome) is not str or (reason is not None and type(reason) is not str):
        return None
    if type(raw) is not dict:
        return None
    fields = []
    for name, operators in raw.items():
        if type(name) is not str or type(operators) is not list:
            return None
        for op in operators:
            if type(op) is not str:
                return None
        fields.append((name, tuple(operators)))
    return outcome, reason, tuple(fields)


def _remember(key: _MemoKey, decision: Decision) -> None:
    with _MEMO_LOCK:
        _MEMO[key] = decision
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)


def parse_decision(obj: Any) -> Decision:
    """The :class:`Decision` that ``obj`` (a policy's JSON output) spells, or a ``withhold``
    with reason ``policy.malformed`` if it spells anything else. Never raises.

    Equal JSON decisions may return the same (immutable) object.
    """
    key = _memo_key(obj)
    if key is not None:
        known = _MEMO.get(key)
        if known is not None:
            return known
    decision = _parse(obj)
    if decision is None:
        decision = Decision.withhold(POLICY_MALFORMED)
    if key is not None:
        _remember(key, decision)
    return decision

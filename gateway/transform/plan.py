"""Compiled plans: what one decision does to a record, worked out once per distinct decision.

Everything :func:`gateway.transform.apply.transform` needs that depends on the decision alone is
derived once: the fields in sorted order; each field's operators in the decision's order,
repeats removed; whether one is unknown, lets a protected field leave in clear without a
justified exception (:mod:`gateway.policy.protected`, :attr:`OperatorSet.clear_allowed`) or
competes with another for the field; which results are attached and which is the exposure.
Plans are kept per operator set in a :class:`PlanMemo`, by the decision object (an engine that
caches decisions hands one object to many records; a :class:`~gateway.policy.Decision` is
immutable) and by content (equal decisions parsed apart). Both memos are bounded.

:func:`run` then applies a plan to one record in one loop. A structural problem found at
compile time is raised at its field's turn, after the earlier fields were applied and after the
field itself was found in the record, so every record fails (or succeeds) exactly as if the
decision were applied field by field.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeAlias, TypeVar

from gateway.policy.decision import Decision
from gateway.policy.protected import in_clear
from gateway.transform.context import Dropped, Exposure, JSONValue, RecordContext
from gateway.transform.errors import (
    OPERATOR_CONFLICT,
    PROTECTED,
    UNKNOWN_FIELD,
    UNKNOWN_OPERATOR,
    OperatorError,
)
from gateway.transform.operators import (
    Band,
    Drop,
    Encrypt,
    Keep,
    Month,
    Operator,
    Pseudonymise,
    Truncate,
)

if TYPE_CHECKING:
    from gateway.transform.registry import OperatorSet

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Plans memoised per operator set, by content and by decision object.
PLAN_MEMO_SIZE: Final = 1024
DECISION_MEMO_SIZE: Final = 4096

# What a step does with its field (the second item of a step).
_KEEP: Final = 0  # the built-in keep alone: scalars leave as they are
_VALUE: Final = 1  # one operator whose result is always attached
_MIXED: Final = 2  # several operators (or an unknown kind), each result dispatched by its tag
_NOTHING: Final = 3  # only drop: the field must exist, nothing leaves
_ERROR: Final = 4  # a structural error: (operator code, reason)
# Tags of the operators of a _MIXED step.
_EXPOSE: Final = 5  # Encrypt.minor: the integer exposure
_ANY: Final = 6  # any result: Exposure, DROP or an attached value

#: Value types ``keep`` passes through uncopied (it deep-copies lists and dicts).
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
#: Built-in operators whose ``apply_to`` returns an attachable value or raises.
_VALUE_TYPES: Final = frozenset({Band, Month, Pseudonymise, Truncate})

FieldFn: TypeAlias = Callable[[JSONValue, Mapping[str, Any], str], Any]
Step: TypeAlias = tuple[str, int, Any]
Plan: TypeAlias = tuple[Step, ...]


class BoundedMemo(Generic[K, V]):
    """At most ``size`` entries; when full, the oldest goes first. Lookups are plain dict reads;
    writers take a lock. In memory only."""

    __slots__ = ("_data", "_lock", "_size")

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The entry for ``key``, or ``None``."""
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, dropping the oldest entries beyond the bound."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class PlanMemo:
    """The compiled plans of one operator set."""

    __slots__ = ("by_content", "by_decision")

    def __init__(self) -> None:
        self.by_content: BoundedMemo[Hashable, Plan] = BoundedMemo(PLAN_MEMO_SIZE)
        # id(decision) -> (decision, plan); holding the decision keeps its id from being reused
        self.by_decision: BoundedMemo[int, tuple[Decision, Plan]] = BoundedMemo(DECISION_MEMO_SIZE)


def _resolve(field: str, names: Sequence[str], operators: OperatorSet) -> list[Operator]:
    resolved: list[Operator] = []
    for name in dict.fromkeys(names):  # duplicates of one name are harmless
        operator = operators.get(name) if isinstance(name, str) else None
        if operator is None:
            raise OperatorError(UNKNOWN_OPERATOR, field, "the decision names an unknown operator")
        if in_clear(field, operator.type_name) and field not in operators.clear_allowed:
            raise OperatorError(
                PROTECTED, field, "a protected field would leave in clear without an exception"
            )
        resolved.append(operator)
    if sum(not isinstance(op, Encrypt) for op in resolved) > 1:
        raise OperatorError(OPERATOR_CONFLICT, field, "more than one operator for one field")
    return resolved


def _via_apply(operator: Operator) -> FieldFn:
    """``operator.apply`` with a read-only record context (any operator class)."""

    def call(value: JSONValue, record: Mapping[str, Any], field: str) -> Any:
        return operator.apply(value, RecordContext(MappingProxyType(record), field))

    return call


def _tagged(operator: Operator) -> tuple[int, FieldFn]:
    kind = type(operator)
    if kind is Encrypt:
        assert isinstance(operator, Encrypt)
        return _EXPOSE, operator.minor
    if kind in _VALUE_TYPES:
        return _VALUE, operator.apply_to
    if kind is Keep:
        return _ANY, operator.apply_to
    return _ANY, _via_apply(operator)


def _step(field: str, names: Sequence[str], operators: OperatorSet) -> Step:
    try:
        resolved = _resolve(field, names, operators)
    except OperatorError as exc:
        return field, _ERROR, (exc.operator, exc.reason)
    effective = [op for op in resolved if type(op) is not Drop]  # drop has no effect
    if not effective:
        return field, _NOTHING, None
    if len(effective) == 1:
        kind = type(effective[0])
        if kind is Keep:
            return field, _KEEP, effective[0].apply_to
        if kind in _VALUE_TYPES:
            return field, _VALUE, effective[0].apply_to
    return field, _MIXED, tuple(_tagged(op) for op in effective)


def compile_plan(fields: Mapping[str, Sequence[str]], operators: OperatorSet) -> Plan:
    """The plan of a decision's field actions under ``operators`` (not memoised)."""
    return tuple(_step(field, fields[field], operators) for field in sorted(fields))


def _content_key(fields: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The field actions as a hashable key, or ``()`` when a name is not exactly ``str``."""
    items = []
    for field, names in fields.items():
        ops = tuple(names)
        if type(field) is not str or not all(type(op) is str for op in ops):
            return ()
        items.append((field, ops))
    return tuple(items)


def plan_for(decision: Any, operators: OperatorSet) -> Plan:
    """The plan of ``decision`` (anything with ``fields``), memoised on ``operators``."""
    memo = operators.plans
    is_decision = type(decision) is Decision
    if is_decision:
        seen = memo.by_decision.get(id(decision))
        if seen is not None and seen[0] is decision:
            return seen[1]
    fields = decision.fields
    # a validated Decision has str names and tuples of str operator names: its items are a key
    key: tuple[Any, ...] = tuple(fields.items()) if is_decision else _content_key(fields)
    try:
        plan = memo.by_content.get(key) if key else None
    except TypeError:  # a Decision built without validation: checked like any other object
        key = _content_key(fields)
        plan = memo.by_content.get(key) if key else None
    if not key:
        return compile_plan(fields, operators)
    if plan is None:
        plan = compile_plan(dict(key), operators)
        memo.by_content.put(key, plan)
    if is_decision:
        memo.by_decision.put(id(decision), (decision, plan))
    return plan


def _put(attachment: dict[str, JSONValue], field: str, result: Any, exposure: int | None) -> Any:
    """Dispatch an operator result of any kind; returns the exposure."""
    if isinstance(result, Exposure):
        return result.minor
    if not isinstance(result, Dropped):
        attachment[field] = result
    return exposure


def run(plan: Plan, record: Mapping[str, Any]) -> tuple[dict[str, JSONValue], int | None]:
    """The attachment and exposure of ``record`` (read, never modified) under ``plan``."""
    attachment: dict[str, JSONValue] = {}
    exposure: int | None = None
    for field, kind, payload in plan:
        if field not in record:
            raise OperatorError(UNKNOWN_FIELD, field, "the decision names an unknown field")
        if kind == _KEEP:
            value = record[field]
            if type(value) in _SCALARS:
                attachment[field] = value
            else:
                exposure = _put(attachment, field, payload(value, record, field), exposure)
        elif kind == _VALUE:
            attachment[field] = payload(record[field], record, field)
        elif kind == _MIXED:
            value = record[field]
            for tag, fn in payload:
                result = fn(value, record, field)
                if tag == _EXPOSE:
                    exposure = result
                elif tag == _VALUE:
                    attachment[field] = result
                else:
                    exposure = _put(attachment, field, result, exposure)
        elif kind == _ERROR:
            raise OperatorError(payload[0], field, payload[1])
    return attachment, exposure

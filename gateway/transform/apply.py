"""Apply a decision's field actions to one record: the allowlist.

Only fields the decision names appear in the attachment; every other field of the record is
absent, whatever it holds. Each field takes at most one non-``encrypt`` operator; ``encrypt``
(only on ``amount``) routes the integer minor amount to aggregation and may accompany one other
operator (``"amount": ["band", "encrypt"]`` attaches the band and aggregates the exact amount).
A protected field (:mod:`gateway.policy.protected`) named with an operator that lets it leave in
clear is refused unless the policy justified that exception. Any failure raises
:class:`~gateway.transform.errors.OperatorError`; the caller withholds the
record with ``error.reason_code``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from gateway.policy.protected import in_clear
from gateway.transform.context import Dropped, Exposure, JSONValue, RecordContext
from gateway.transform.errors import (
    OPERATOR_CONFLICT,
    PROTECTED,
    UNKNOWN_FIELD,
    UNKNOWN_OPERATOR,
    OperatorError,
)
from gateway.transform.operators import Encrypt, Operator
from gateway.transform.registry import OperatorSet


class FieldActions(Protocol):
    """What :func:`transform` reads from a policy decision."""

    @property
    def fields(self) -> Mapping[str, Sequence[str]]: ...


@dataclass(frozen=True)
class Transformed:
    """What leaves the building for one record, and its exposure for aggregation."""

    attachment: dict[str, JSONValue]
    exposure_minor: int | None


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


def transform(
    policy_input: Mapping[str, Any], decision: FieldActions, operators: OperatorSet
) -> Transformed:
    """The attachment and exposure of one record under ``decision``."""
    record = MappingProxyType(dict(policy_input))
    attachment: dict[str, JSONValue] = {}
    exposure: int | None = None
    for field in sorted(decision.fields):
        if field not in record:
            raise OperatorError(UNKNOWN_FIELD, field, "the decision names an unknown field")
        ctx = RecordContext(record, field)
        for operator in _resolve(field, decision.fields[field], operators):
            result = operator.apply(record[field], ctx)
            if isinstance(result, Exposure):
                exposure = result.minor
            elif not isinstance(result, Dropped):
                attachment[field] = result
    return Transformed(attachment, exposure)

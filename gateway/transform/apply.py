"""Apply a decision's field actions to one record: the allowlist.

Only fields the decision names appear in the attachment; every other field of the record is
absent, whatever it holds. Each field takes at most one non-``encrypt`` operator; ``encrypt``
(only on ``amount``) routes the integer minor amount to aggregation and may accompany one other
operator (``"amount": ["band", "encrypt"]`` attaches the band and aggregates the exact amount).
A protected field (:mod:`gateway.policy.protected`) named with an operator that lets it leave in
clear is refused unless the policy justified that exception. Any failure raises
:class:`~gateway.transform.errors.OperatorError`; the caller withholds the
record with ``error.reason_code``.

What depends on the decision alone is compiled once per distinct decision and memoised on the
operator set (:mod:`gateway.transform.plan`); each record then costs one pass over its fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.transform.context import JSONValue
from gateway.transform.plan import plan_for, run
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


def transform(
    policy_input: Mapping[str, Any], decision: FieldActions, operators: OperatorSet
) -> Transformed:
    """The attachment and exposure of one record under ``decision``."""
    record = policy_input if type(policy_input) is dict else dict(policy_input)
    attachment, exposure = run(plan_for(decision, operators), record)
    return Transformed(attachment, exposure)

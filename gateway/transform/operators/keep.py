"""``keep``: the value goes to the insurer unchanged."""

from __future__ import annotations

import copy

from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.operators.base import Operator, OperatorParams


class Keep(Operator):
    """Pass the value through (a copy, so the attachment never aliases the record)."""

    type_name = "keep"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Keep:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        if isinstance(value, (list, dict)):
            return copy.deepcopy(value)
        return value

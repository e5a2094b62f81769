"""``keep``: the value goes to the insurer unchanged."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.operators.base import Operator, OperatorParams


class Keep(Operator):
    """Pass the value through (a copy, so the attachment never aliases the record)."""

    type_name = "keep"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Keep:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return self.apply_to(value, ctx.policy_input, ctx.field)

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        if isinstance(value, (list, dict)):
            return copy.deepcopy(value)
        return value

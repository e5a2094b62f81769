"""``month``: an ISO date ``YYYY-MM-DD`` is generalised to its month ``YYYY-MM``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.operators.base import Operator, OperatorParams

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class Month(Operator):
    """Keep year and month of a date; an absent date stays absent (``None``)."""

    type_name = "month"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Month:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return self.apply_to(value, ctx.policy_input, ctx.field)

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            self.refuse(field, "not an ISO date (YYYY-MM-DD)")
        try:
            date.fromisoformat(value)
        except ValueError:
            self.refuse(field, "not a valid calendar date")
        return value[:7]

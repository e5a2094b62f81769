"""``truncate``: keep the first ``digits`` digits of a digit string (an HS code's chapter,
heading or subheading)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.operators.base import Operator, OperatorParams


class TruncateParams(OperatorParams):
    """``digits``: how many leading digits are kept (2 = chapter, 4 = heading, 6 = subheading)."""

    digits: int = Field(strict=True, ge=2, le=10)


class Truncate(Operator):
    """Keep a prefix of a digit string; shorter values are an error, not padded."""

    type_name = "truncate"
    Params = TruncateParams

    def __init__(self, name: str, digits: int) -> None:
        super().__init__(name)
        self.digits = digits

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Truncate:
        assert isinstance(params, TruncateParams)
        return cls(name, params.digits)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return self.apply_to(value, ctx.policy_input, ctx.field)

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        if value is None:
            return None
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            self.refuse(field, "not a digit string")
        if len(value) < self.digits:
            self.refuse(field, f"fewer than {self.digits} digits")
        return value[: self.digits]

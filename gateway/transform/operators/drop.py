"""``drop``: the field is left out of the attachment (same as naming no action)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.transform.context import (
    DROP,
    JSONValue,
    OperatorContext,
    OperatorResult,
    RecordContext,
)
from gateway.transform.operators.base import Operator, OperatorParams


class Drop(Operator):
    """Leave the field out."""

    type_name = "drop"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Drop:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return DROP

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        return DROP

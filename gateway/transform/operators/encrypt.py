"""``encrypt``: the amount is routed into exposure aggregation instead of the attachment.

Only the ``amount`` field can be encrypted. The operator takes the record's integer minor
amount (``amount_minor``), checks it against the decimal ``amount`` it replaces, and returns an
:class:`~gateway.transform.context.Exposure`; the aggregate stage sums it into a bucket whose
total is Paillier-encrypted. The field itself contributes nothing to the attachment.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from gateway.model.currency import MINOR_UNITS, from_minor
from gateway.transform.context import (
    Exposure,
    JSONValue,
    OperatorContext,
    OperatorResult,
    RecordContext,
)
from gateway.transform.operators.base import Operator, OperatorParams

ENCRYPTABLE_FIELD: Final = "amount"


class Encrypt(Operator):
    """Route the record's minor amount to aggregation."""

    type_name = "encrypt"

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Encrypt:
        return cls(name)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return Exposure(self.minor(value, ctx.policy_input, ctx.field))

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        return Exposure(self.minor(value, record, field))

    def minor(self, value: JSONValue, record: Mapping[str, Any], field: str) -> int:
        """The exposure :meth:`apply_to` returns, as the bare integer minor amount."""
        if field != ENCRYPTABLE_FIELD:
            self.refuse(field, f"only the {ENCRYPTABLE_FIELD} field can be encrypted")
        minor = record.get("amount_minor")
        if type(minor) is not int or minor < 0:
            self.refuse(field, "amount_minor must be a non-negative integer")
        currency = record.get("currency")
        if not isinstance(currency, str) or currency not in MINOR_UNITS:
            self.refuse(field, "record has no valid currency")
        try:
            consistent = isinstance(value, str) and Decimal(value) == from_minor(minor, currency)
        except InvalidOperation:
            consistent = False
        if not consistent:
            self.refuse(field, "amount and amount_minor disagree")
        return minor

"""Errors of the transform stage.

An :class:`OperatorError` turns one record into a withheld record; the pipeline records its
:attr:`OperatorError.reason_code` (``transform.<operator type>`` or ``transform.<structural
problem>``). The message names the field and the operator, never the value: values are record
content (buyer names, prices) and errors end up in logs.
"""

from __future__ import annotations

from gateway.errors import GatewayError

#: Structural reason codes (the decision itself cannot be applied), beside the operator types.
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_OPERATOR = "unknown_operator"
OPERATOR_CONFLICT = "operator_conflict"
PROTECTED = "protected"  # a protected field would leave in clear without a justified exception


class OperatorError(GatewayError):
    """A field operator could not be applied to one record's field."""

    def __init__(self, operator: str, field: str, reason: str) -> None:
        self.operator = operator
        self.field = field
        self.reason = reason
        super().__init__(f"field {field}: {operator}: {reason}")

    @property
    def reason_code(self) -> str:
        """Stable withhold reason for the ledger, e.g. ``transform.band``."""
        return f"transform.{self.operator}"

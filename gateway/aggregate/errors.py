"""Errors of the aggregate stage.

An :class:`AggregationError` raised for one record (for example, no disclosed currency) makes
the caller withhold that record with :attr:`AggregationError.reason_code`. Messages never hold
record values.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class AggregationError(GatewayError):
    """A record or amount cannot be put into an exposure bucket."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")

    @property
    def reason_code(self) -> str:
        """Stable withhold reason for the ledger, e.g. ``aggregate.currency``."""
        return f"aggregate.{self.code}"

"""The hub's own refusals, as subclasses of the gateway's exception tree (gateway/errors.py).

::

    GatewayError
    ├── HubConflict          (409) replayed contribution, second contribution of an exporter
    │                              for a period, contribution to a released period, second
    │                              release, exporter registered twice
    ├── NothingToRelease     (404) a period without any contribution
    └── VerificationError
        └── UnknownExporter  (401) the contribution's issuer is not registered at this hub

Messages name the period, the exporter id or the reason; never a ciphertext or key material.
"""

from __future__ import annotations

from typing import Literal

from gateway.errors import GatewayError, VerificationError

ConflictCode = Literal[
    "replayed", "already_contributed", "period_closed", "already_released", "already_registered"
]


class HubConflict(GatewayError):
    """A request that conflicts with what the hub already holds; ``code`` says which rule."""

    def __init__(self, code: ConflictCode, message: str) -> None:
        self.code: ConflictCode = code
        super().__init__(message)


class NothingToRelease(GatewayError):
    """A release was asked for a period that has no contribution."""


class UnknownExporter(VerificationError):
    """A contribution names an issuer that is not registered at this hub."""

"""What operators can see: the record being transformed, and start-up context.

:class:`RecordContext` is built per field by :func:`gateway.transform.apply.transform`; it gives
read-only access to the record's policy input (``band`` needs the currency, ``encrypt`` the
integer minor amount). :class:`OperatorContext` carries what operators need at build time (the
pseudonymisation key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, TypeAlias

from gateway.crypto.pseudonym_key import PseudonymKey

#: A JSON value as it may appear in an attachment.
JSONValue: TypeAlias = bool | int | str | list["JSONValue"] | dict[str, "JSONValue"] | None


class _Dropped(Enum):
    """Type of the :data:`DROP` sentinel."""

    DROP = "drop"


#: Returned by an operator to leave the field out of the attachment.
DROP: Final = _Dropped.DROP
Dropped: TypeAlias = _Dropped


@dataclass(frozen=True)
class Exposure:
    """Returned by ``encrypt``: an integer minor amount routed to aggregation, not attached."""

    minor: int


#: What :meth:`Operator.apply` may return.
OperatorResult: TypeAlias = JSONValue | Dropped | Exposure


@dataclass(frozen=True)
class RecordContext:
    """Read-only view of one record's policy input while ``field`` is transformed."""

    policy_input: Mapping[str, Any]
    field: str

    def get(self, name: str) -> Any:
        """The record's value for ``name`` (``None`` if absent)."""
        return self.policy_input.get(name)


@dataclass(frozen=True)
class OperatorContext:
    """Start-up context for :func:`gateway.transform.registry.build_operators`."""

    pseudonym_key: PseudonymKey | None = None

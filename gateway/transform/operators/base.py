"""The operator contract: one small class per field action.

Each operator has a ``type_name`` (what the policy's operators config names in ``"type"``), a
frozen, strictly validated ``Params`` model checked once at start-up, and ``apply``, which maps
one field value to what the insurer sees. ``apply`` never performs IO and raises
:class:`~gateway.transform.errors.OperatorError` (through :meth:`Operator.fail`) with a reason
that never contains the value.

:meth:`Operator.apply_to` is the same action without the :class:`RecordContext` wrapper (the
record mapping and the field name passed directly): the transform stage's compiled plans call
it once per field and record. The built-in operators implement ``apply_to`` and let ``apply``
delegate to it; an operator that only implements ``apply`` still works, through the default
``apply_to``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict

from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.errors import OperatorError


class OperatorParams(BaseModel):
    """Base of every operator's parameters: frozen, no unknown keys, inputs never echoed."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class NoParams(OperatorParams):
    """Parameters of operators that take none."""


class Operator(ABC):
    """A field action. Subclasses set ``type_name`` and, if they take parameters, ``Params``."""

    type_name: ClassVar[str]
    Params: ClassVar[type[OperatorParams]] = NoParams

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    @abstractmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Operator:
        """Build the operator called ``name`` from validated ``params`` (start-up only)."""

    @abstractmethod
    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        """Transform ``value`` of field ``ctx.field`` of one record."""

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        """:meth:`apply` for ``value`` of ``field`` in ``record`` (read, never modified)."""
        return self.apply(value, RecordContext(MappingProxyType(record), field))

    def fail(self, ctx: RecordContext, reason: str) -> NoReturn:
        """Raise :class:`OperatorError` for this operator and field; ``reason`` must not hold
        the value."""
        raise OperatorError(self.type_name, ctx.field, reason)

    def refuse(self, field: str, reason: str) -> NoReturn:
        """:meth:`fail` for ``field`` (used by :meth:`apply_to`)."""
        raise OperatorError(self.type_name, field, reason)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

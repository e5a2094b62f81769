"""The operator registry and start-up validation of the policy's operators config.

The policy returns ``{operator_name: {"type": <type>, ...params}}``. :func:`build_operators`
validates every entry once, before any record is read: an unknown type, a missing or extra
parameter, or a bad value raises :class:`~gateway.errors.ConfigError` naming the operator and
the parameter. The parameter-free types ``keep``, ``drop``, ``month`` and ``encrypt`` are also
available under their own names without configuration; a configured name equal to one of them
must have that type (so ``"keep"`` can never mean anything but keep).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from pydantic import ValidationError

from gateway.errors import ConfigError
from gateway.transform.context import OperatorContext
from gateway.transform.operators import (
    Band,
    Drop,
    Encrypt,
    Keep,
    Month,
    NoParams,
    Operator,
    Pseudonymise,
    Truncate,
)
from gateway.transform.plan import PlanMemo

REGISTRY: Final[Mapping[str, type[Operator]]] = MappingProxyType(
    {cls.type_name: cls for cls in (Keep, Drop, Pseudonymise, Band, Truncate, Month, Encrypt)}
)
#: Types usable by name without configuration.
BUILTIN_NAMES: Final = ("drop", "encrypt", "keep", "month")
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class OperatorSet:
    """Validated operators by name (read-only)."""

    operators: Mapping[str, Operator]
    #: Protected fields the policy justified leaving in clear (gateway.policy.protected).
    clear_allowed: frozenset[str] = frozenset()
    #: Compiled plans of the decisions applied with this set (gateway.transform.plan).
    plans: PlanMemo = field(default_factory=PlanMemo, init=False, repr=False, compare=False)

    def get(self, name: str) -> Operator | None:
        """The operator called ``name``, or ``None``."""
        return self.operators.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.operators

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.operators))


def _parameter_error(name: str, exc: ValidationError) -> ConfigError:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "parameters"
    return ConfigError(f"operator {name}: parameter {where}: {first['msg']}")


def _build_one(name: str, entry: Any, context: OperatorContext) -> Operator:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError("operator names must match [a-z][a-z0-9_]{0,63}")
    if not isinstance(entry, Mapping):
        raise ConfigError(f"operator {name}: configuration must be an object")
    type_name = entry.get("type")
    if not isinstance(type_name, str) or type_name not in REGISTRY:
        raise ConfigError(f"operator {name}: parameter type: unknown operator type")
    if name in BUILTIN_NAMES and type_name != name:
        raise ConfigError(f"operator {name}: parameter type: a built-in name must keep its type")
    cls = REGISTRY[type_name]
    raw = {key: value for key, value in entry.items() if key != "type"}
    try:
        params = cls.Params.model_validate(raw)
    except ValidationError as exc:
        raise _parameter_error(name, exc) from exc
    return cls.create(name, params, context)


def build_operators(
    config: Mapping[str, Mapping[str, Any]],
    context: OperatorContext,
    *,
    clear_allowed: Iterable[str] = (),
) -> OperatorSet:
    """Validate the policy's operators config and build every operator (start-up only).

    ``clear_allowed`` are the protected fields the policy's justified exceptions let leave in
    clear; any other protected field named with ``keep`` or ``truncate`` is refused per record.
    """
    if not isinstance(config, Mapping):
        raise ConfigError("operators config must be an object")
    built: dict[str, Operator] = {
        name: REGISTRY[name].create(name, NoParams(), context) for name in BUILTIN_NAMES
    }
    for name, entry in config.items():
        built[name] = _build_one(name, entry, context)
    return OperatorSet(MappingProxyType(built), frozenset(clear_allowed))

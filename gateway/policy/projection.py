"""A policy's declared projection, and the decision cache it makes sound.

A policy may declare, next to its ``decisions``, the parts of a record it reads::

    projection := {
        "values": ["buyer.country", "currency", "payment_method", "credit_days", "origin"],
        "present": ["invoice_number", "buyer.name", "amount", "hs_code"],
    }

The engine then never shows the policy anything else: each record is cut down to the
``values`` fields as they are, and the ``present`` fields as ``true`` when the record has a
value (``null`` when it does not); every other field is ``null``. Two records with the same
projection are the same input to the policy, so they get the same decision, and a decision can
be cached under the projection: a cached decision cannot be wrong, whatever the policy says.

Three things keep that true:

- the projection is read once from the policy version the engine runs, and the cache belongs
  to that engine (a new version is a new engine and an empty cache);
- a policy that calls a built-in whose answer changes between calls (the clock, randomness,
  HTTP, the runtime environment) is never cached: its projected records are decided each time;
- only scalar fields (strings, integers, booleans, null) can be ``values``; ``line_items`` can
  only be ``present``.

A policy without a ``projection`` sees every field and is not cached: each record is decided
as it is, in batches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gateway.errors import PolicyError
from gateway.model import POLICY_FIELDS
from gateway.policy.decision import Decision

PROJECTION_RULE: Final = "projection"
#: Fields a projection may pass with their value: every scalar field the policy input has.
VALUE_FIELDS: Final = frozenset(POLICY_FIELDS) - {"line_items"}
#: Decisions kept per engine; when full, the cache starts again empty.
CACHE_ENTRIES: Final = 65_536
#: Rego built-ins whose answer is not a function of the input and the policy alone.
_UNSTABLE: Final = re.compile(
    r"\b(?:time\.now_ns|rand\.intn|uuid\.rfc4122|uuid\.parse|http\.send|opa\.runtime|"
    r"net\.lookup_ip_addr|crypto\.x509\.parse_and_verify_certificates)\b"
)


@dataclass(frozen=True)
class Projection:
    """The fields the policy sees: ``values`` as they are, ``present`` as true/null."""

    values: tuple[str, ...]
    present: tuple[str, ...]

    @classmethod
    def parse(cls, value: object, *, where: str) -> Projection:
        """The projection a policy declares, or :class:`PolicyError` saying what is wrong."""
        if not isinstance(value, dict) or not set(value) <= {"values", "present"}:
            raise PolicyError(f'{where} must be an object with "values" and/or "present"')
        lists: dict[str, tuple[str, ...]] = {}
        for part, allowed in (("values", VALUE_FIELDS), ("present", frozenset(POLICY_FIELDS))):
            names = value.get(part, [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise PolicyError(f"{where}.{part} must be a list of field names")
            unknown = sorted(set(names) - allowed)
            if unknown:
                raise PolicyError(f"{where}.{part}: not a field it can hold: {unknown[0]}")
            lists[part] = tuple(sorted(set(names)))
        both = set(lists["values"]) & set(lists["present"])
        if both:
            raise PolicyError(f"{where}: {sorted(both)[0]} is in both values and present")
        return cls(values=lists["values"], present=lists["present"])

    def key(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """What the policy sees of ``record``, as a hashable key."""
        get = record.get
        return (
            *(get(name) for name in self.values),
            *(get(name) is not None for name in self.present),
        )

    def project(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The policy input for ``record``: every field, ``null`` unless projected."""
        seen = dict.fromkeys(POLICY_FIELDS)
        for name in self.values:
            seen[name] = record.get(name)
        for name in self.present:
            seen[name] = True if record.get(name) is not None else None
        return seen


def deterministic(modules: Mapping[str, str]) -> bool:
    """False when a module calls a built-in whose answer is not fixed by its input."""
    return not any(_UNSTABLE.search(source) for source in modules.values())


Decide = Callable[[Sequence[Mapping[str, Any]]], list[Decision]]


class DecisionCache:
    """Decisions of one engine by projection key, for the life of that engine.

    Only decisions the policy reached are kept; the engine's own withholds (reason codes
    ``policy.*``: an error, a timeout, an undefined or malformed answer) are never cached, so a
    transient failure of a remote engine is not remembered.
    """

    def __init__(self, projection: Projection, *, cacheable: bool,
                 entries: int = CACHE_ENTRIES) -> None:
        self._projection = projection
        self._cacheable = cacheable
        self._entries = entries
        self._cache: dict[tuple[Any, ...], Decision] = {}
        self.hits = 0
        self.misses = 0

    @property
    def projection(self) -> Projection:
        return self._projection

    def decide(
        self,
        decide: Decide,
        inputs: Sequence[Mapping[str, Any]],
    ) -> list[Decision]:
        """One decision per input: ``decide`` is asked once per distinct projection that is not
        cached yet, and only ever sees projected records."""
        projection = self._projection
        if not all(isinstance(record, Mapping) for record in inputs):
            return decide([_projected(projection, record) for record in inputs])  # type: ignore[misc]
        try:
            keys = [projection.key(record) for record in inputs]
            for key in keys:
                hash(key)  # a list or object where a scalar belongs: decide without the cache
        except TypeError:
            return decide([projection.project(record) for record in inputs])
        found: dict[tuple[Any, ...], Decision] = {}
        cache = self._cache if self._cacheable else {}
        todo: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        for key, record in zip(keys, inputs, strict=True):
            if key in found or key in todo:
                continue
            cached = cache.get(key)
            if cached is not None:
                found[key] = cached
            else:
                todo[key] = record
        self.hits += len(inputs) - len(todo)
        self.misses += len(todo)
        if todo:
            answers = decide([projection.project(r) for r in todo.values()])
            for key, decision in zip(todo, answers, strict=True):
                found[key] = decision
                if self._cacheable and not (decision.reason or "").startswith("policy."):
                    if len(self._cache) >= self._entries:
                        self._cache.clear()
                    self._cache[key] = decision
        return [found[key] for key in keys]


def _projected(projection: Projection, record: object) -> object:
    """A record projected; anything that is not a record is passed on for the engine to refuse."""
    return projection.project(record) if isinstance(record, Mapping) else record

"""Policy decisions for batches of records, evaluated by the embedded Rego engine.

One query per batch: the input document is ``{"records": [policy_input, ...]}`` and the query is
``data.redaction.export_record.decisions``, an object keyed by the record's index in the batch as
a string (``"0"``, ``"1"``, ...). Everything that is not a clean decision fails closed:

=====================================  ==================================
what happened                          every affected record becomes
=====================================  ==================================
no decision for an index               withhold ``policy.undefined``
a decision that does not parse         withhold ``policy.malformed``
the batch failed to evaluate           withhold ``policy.error``
the record cannot be passed exactly    withhold ``policy.input``
=====================================  ==================================

:meth:`RegoEngine.decide` never raises for data problems. Loading does raise: a module that does
not parse, or ``operators``/``settings``/``decisions`` of the wrong shape, is a
:class:`~gateway.errors.PolicyError` at start-up.
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import ConfigError, PolicyError
from gateway.policy._regopy import (
    Evaluated,
    EvaluationError,
    evaluate,
    exact_input,
    new_interpreter,
    set_input,
)
from gateway.policy.bundle import PolicyBundle
from gateway.policy.decision import (
    OPERATOR_NAME_PATTERN,
    POLICY_ERROR,
    POLICY_INPUT,
    POLICY_MALFORMED,
    POLICY_UNDEFINED,
    Decision,
    parse_decision,
)
from gateway.policy.projection import PROJECTION_RULE, DecisionCache, Projection, deterministic
from gateway.policy.protected import EXCEPTIONS_RULE, check_exceptions

ENTRYPOINT: Final = "data.redaction.export_record"
# rego-cpp builds result objects in time quadratic in their size: keep batches modest.
DEFAULT_BATCH_SIZE: Final = 250
MAX_BATCH_SIZE: Final = 100_000

BucketDimension = Literal["buyer", "country", "currency", "maturity_month"]
BUCKET_DIMENSIONS: Final[tuple[BucketDimension, ...]] = (
    "buyer",
    "country",
    "currency",
    "maturity_month",
)
_OPERATOR_RE: Final = re.compile(OPERATOR_NAME_PATTERN)


class PolicySettings(BaseModel):
    """Aggregation settings the policy chooses: the minimum bucket size ``k`` and the dimensions
    exposures are bucketed by."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    k: int = Field(default=3, ge=2, le=1_000_000, strict=True)
    bucket: tuple[BucketDimension, ...] = Field(default=BUCKET_DIMENSIONS, min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.bucket)) != len(self.bucket):
            raise ValueError("bucket dimensions must not repeat")
        return self


class PolicyEngine(Protocol):
    """What the pipeline needs from a policy engine (embedded Rego or a remote OPA)."""

    @property
    def version(self) -> str:
        """The policy version (:attr:`PolicyBundle.version`)."""
        ...

    def decide(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """One decision per input, in order; fails closed, never raises for data problems."""
        ...

    def operators(self) -> dict[str, dict[str, Any]]:
        """The policy's operator configuration: name → ``{"type": ..., params...}``."""
        ...

    def settings(self) -> PolicySettings:
        """The policy's aggregation settings."""
        ...

    def exceptions(self) -> dict[str, str]:
        """Protected fields the policy lets leave in clear, with their written justification."""
        ...


def _check_operators(result: Evaluated) -> dict[str, dict[str, Any]]:
    where = f"{ENTRYPOINT}.operators"
    if not result.defined or not isinstance(result.value, dict):
        raise PolicyError(f"{where} must be defined as an object")
    for name, spec in result.value.items():
        if not isinstance(name, str) or not _OPERATOR_RE.match(name):
            raise PolicyError(f"{where}: operator names are short lower-case identifiers")
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise PolicyError(f'{where}.{name}: must be an object with a string "type"')
    return result.value


def _check_settings(result: Evaluated) -> PolicySettings:
    if not result.defined:
        return PolicySettings()
    try:
        return PolicySettings.model_validate(result.value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"]) or "settings"
        raise PolicyError(f"{ENTRYPOINT}.settings: {loc}: {first['msg']}") from exc


def _pick(result: Evaluated, count: int) -> list[Decision]:
    """Per-index decisions from the batch result (an object keyed "0".."count-1")."""
    if not result.defined:
        return [Decision.withhold(POLICY_UNDEFINED)] * count
    value = result.value
    keys = {str(i) for i in range(count)}
    if not isinstance(value, dict) or not set(value) <= keys:
        return [Decision.withhold(POLICY_MALFORMED)] * count
    return [
        parse_decision(value[str(i)]) if str(i) in value else Decision.withhold(POLICY_UNDEFINED)
        for i in range(count)
    ]


class RegoEngine:
    """The embedded engine: ``regopy`` with the bundle's policy modules (not its tests).

    Modules are parsed once, here; ``operators`` and ``settings`` are read and checked once.
    One interpreter per engine, used under a lock (rego-cpp interpreters are not thread-safe).
    """

    def __init__(self, bundle: PolicyBundle, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if isinstance(batch_size, bool) or not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ConfigError(f"policy batch size must be between 1 and {MAX_BATCH_SIZE}")
        self._version = bundle.version
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._interpreter = new_interpreter(bundle.policy_modules)
        with self._lock:
            set_input(self._interpreter, {"records": []})
            empty = self._load(f"{ENTRYPOINT}.decisions")
            if not empty.defined or empty.value != {}:
                raise PolicyError(f"{ENTRYPOINT}.decisions must be an object ({{}} for no records)")
            self._operators = _check_operators(self._load(f"{ENTRYPOINT}.operators"))
            self._settings = _check_settings(self._load(f"{ENTRYPOINT}.settings"))
            rule = f"{ENTRYPOINT}.{EXCEPTIONS_RULE}"
            found = self._load(rule)
            self._exceptions = check_exceptions(found.value if found.defined else None, where=rule)
            rule = f"{ENTRYPOINT}.{PROJECTION_RULE}"
            found = self._load(rule)
            self._projection = Projection.parse(found.value, where=rule) if found.defined else None
        self._deterministic = deterministic(bundle.policy_modules)
        self._cache = self.new_cache()

    def _load(self, query: str) -> Evaluated:
        try:
            return evaluate(self._interpreter, query, detail=True)  # no records yet: safe
        except EvaluationError as exc:
            raise PolicyError(f"the policy cannot be evaluated: {exc}") from exc

    @property
    def version(self) -> str:
        """SHA-256 hex of the bundle the engine was built from."""
        return self._version

    @property
    def batch_size(self) -> int:
        """Records per query."""
        return self._batch_size

    def operators(self) -> dict[str, dict[str, Any]]:
        """A copy of the policy's ``operators`` object."""
        return copy.deepcopy(self._operators)

    def settings(self) -> PolicySettings:
        """The policy's ``settings`` (defaults if it defines none)."""
        return self._settings

    def exceptions(self) -> dict[str, str]:
        """The policy's justified ``disclosure_exceptions`` (empty if it declares none)."""
        return dict(self._exceptions)

    @property
    def projection(self) -> Projection | None:
        """The part of each record the policy declares it reads (None: all of it)."""
        return self._projection

    @property
    def cache(self) -> DecisionCache | None:
        """This engine's decision cache (None without a projection)."""
        return self._cache

    def new_cache(self) -> DecisionCache | None:
        """A decision cache for this policy version: None without a projection; one that only
        projects, never remembers, when the policy calls a built-in whose answer can change."""
        if self._projection is None:
            return None
        return DecisionCache(self._projection, cacheable=self._deterministic)

    def decide(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """One decision per input (``ExportRecord.policy_input()`` dicts), in order. With a
        declared projection the policy sees only that, and each distinct projection is
        evaluated once (:mod:`gateway.policy.projection`)."""
        if self._cache is not None:
            return self._cache.decide(self.decide_whole, inputs)
        return self.decide_whole(inputs)

    def decide_whole(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """Decisions on the records as given, ignoring any projection and cache (the
        activation check compares these with :meth:`decide` to catch a projection that hides
        a field the policy reads)."""
        decisions: list[Decision] = []
        for start in range(0, len(inputs), self._batch_size):
            decisions.extend(self._decide_batch(inputs[start : start + self._batch_size]))
        return decisions

    def _decide_batch(self, batch: Sequence[Mapping[str, Any]]) -> list[Decision]:
        decided: list[Decision | None] = [None] * len(batch)
        sendable: list[int] = []
        for pos, record in enumerate(batch):
            if isinstance(record, Mapping) and exact_input(dict(record)):
                sendable.append(pos)
            else:
                decided[pos] = Decision.withhold(POLICY_INPUT)
        if sendable:
            answers = self._query([dict(batch[p]) for p in sendable])
            for pos, decision in zip(sendable, answers, strict=True):
                decided[pos] = decision
        return [d if d is not None else Decision.withhold(POLICY_ERROR) for d in decided]

    def _query(self, records: list[dict[str, Any]]) -> list[Decision]:
        with self._lock:
            try:
                set_input(self._interpreter, {"records": records})
                result = evaluate(self._interpreter, f"{ENTRYPOINT}.decisions")
            except EvaluationError:
                return [Decision.withhold(POLICY_ERROR)] * len(records)
            finally:
                self._clear_input()
        return _pick(result, len(records))

    def _clear_input(self) -> None:
        """Drop the batch from the interpreter so record contents do not linger in it."""
        with contextlib.suppress(EvaluationError):  # an empty object is always accepted
            set_input(self._interpreter, {"records": []})

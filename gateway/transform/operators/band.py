"""``band``: an amount is generalised to the band of configured edges it falls in.

Edges are per currency, in major units, as decimal strings (or integers; floats are refused so
that an edge is exactly what the policy wrote). The result is
``{"currency": "USD", "lower": "10000", "upper": "50000"}`` with ``lower <= amount < upper``;
``upper`` is ``None`` for the top band. A currency without edges, or an amount below the lowest
edge, fails the record (withheld: fail closed).

Edges are ``Decimal`` from start-up on, and their texts are formatted once, when the operator is
built; each record costs one ``Decimal`` parse and a binary search.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, Field, field_validator

from gateway.model.currency import MINOR_UNITS, to_minor
from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.operators.base import Operator, OperatorParams

MAX_EDGES: Final = 64


def _exact_number(value: Any) -> Any:
    if isinstance(value, (bool, float)):
        raise ValueError("band edges must be decimal strings or integers, not floats")
    return value


Edge = Annotated[Decimal, BeforeValidator(_exact_number)]


def _check_edges(currency: str, edges: tuple[Decimal, ...]) -> None:
    if currency not in MINOR_UNITS:
        raise ValueError("edge currencies must be active ISO 4217 codes")
    if not edges or len(edges) > MAX_EDGES:
        raise ValueError(f"each currency needs 1 to {MAX_EDGES} edges")
    for edge in edges:
        if not edge.is_finite() or edge < 0:
            raise ValueError("edges must be finite and non-negative")
        to_minor(edge, currency)  # ValueError if finer than the currency's minor unit
    if any(b <= a for a, b in pairwise(edges)):
        raise ValueError("edges must be strictly ascending")


class BandParams(OperatorParams):
    """``edges``: currency code → ascending, non-negative band edges in major units."""

    edges: Mapping[str, tuple[Edge, ...]] = Field(min_length=1)

    @field_validator("edges")
    @classmethod
    def _valid(cls, edges: Mapping[str, tuple[Decimal, ...]]) -> Mapping[str, tuple[Decimal, ...]]:
        for currency, values in edges.items():
            _check_edges(currency, values)
        return edges


def _text(edge: Decimal) -> str:
    return format(edge, "f")


class Band(Operator):
    """Generalise an amount to ``{currency, lower, upper}``."""

    type_name = "band"
    Params = BandParams

    def __init__(self, name: str, edges: Mapping[str, tuple[Decimal, ...]]) -> None:
        super().__init__(name)
        self.edges = dict(edges)
        # currency -> (edges, their texts, each band's upper text), computed once
        self._bands: dict[str, tuple[tuple[Decimal, ...], tuple[str, ...], tuple[str | None, ...]]]
        self._bands = {}
        for currency, values in self.edges.items():
            texts = tuple(_text(edge) for edge in values)
            self._bands[currency] = (tuple(values), texts, (*texts[1:], None))

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Band:
        assert isinstance(params, BandParams)
        return cls(name, params.edges)

    def _amount(self, value: JSONValue, field: str) -> Decimal:
        if not isinstance(value, str):
            self.refuse(field, "amount must be a decimal string")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.refuse(field, "amount is not a decimal number")
        if not amount.is_finite():
            self.refuse(field, "amount is not finite")
        return amount

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return self.apply_to(value, ctx.policy_input, ctx.field)

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        if value is None:
            return None
        amount = self._amount(value, field)
        currency = record.get("currency")
        band = self._bands.get(currency) if isinstance(currency, str) else None
        if band is None:
            self.refuse(field, "no band edges for the record's currency")
        edges, lowers, uppers = band
        index = bisect_right(edges, amount) - 1
        if index < 0:
            self.refuse(field, "amount is below the lowest band edge")
        return {"currency": currency, "lower": lowers[index], "upper": uppers[index]}

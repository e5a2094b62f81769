"""Both inputs in a canonical order, with their match keys as columns.

Reconciliation sorts both inputs by content before it matches anything, so the order the
sources delivered them in cannot change an outcome; exact content ties fall back to the full
JSON form, so even records that differ only in a field the sort key ignores are ordered.

Keys live in plain lists of strings and integers (columns) rather than one object per record:
the cyclic garbage collector does not track strings and integers, so large inputs do not make
it walk an ever larger heap (the cost stays about linear; docs/reconciliation.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile.keys import buyer_key, declaration_key, invoice_key

M = TypeVar("M", ExportRecord, ExportDeclaration)


@dataclass(frozen=True, slots=True)
class Side(Generic[M]):
    """One side (ERP or customs) in canonical order; index ``i`` of every column is record i.

    ``declaration`` is the declaration number an ERP record names ("" if none), or a
    declaration's own number; ``ref`` is what ``Match.detail`` may show (ERP source reference
    or declaration number).
    """

    models: list[M]
    buyer: list[str]
    invoice: list[str]
    declaration: list[str]
    day: list[int]  # shipment date ordinal
    minor: list[int]
    currency: list[str]
    country: list[str]
    ref: list[str]

    def __len__(self) -> int:
        return len(self.models)


def _order(keys: list[tuple[Any, ...]], models: Sequence[BaseModel]) -> list[int]:
    """Positions sorted by ``keys``; runs of equal keys by the models' full JSON form."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    result: list[int] = []
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or keys[order[end]] != keys[order[start]]:
            run = order[start:end]
            if len(run) > 1:
                run.sort(key=lambda i: models[i].model_dump_json())
            result.extend(run)
            start = end
    return result


_T = TypeVar("_T")


def _permute(column: list[_T], order: Sequence[int]) -> list[_T]:
    return [column[i] for i in order]


def _buyers(names: Iterable[str]) -> list[str]:
    cache: dict[str, str] = {}
    result = []
    for name in names:
        key = cache.get(name)
        if key is None:
            key = cache[name] = buyer_key(name)
        result.append(key)
    return result


def erp_side(records: Iterable[ExportRecord]) -> Side[ExportRecord]:
    """ERP records in canonical order, with their keys."""
    given = list(records)
    minors = [r.amount_minor for r in given]
    keys = [
        (r.shipment_date, r.invoice_number, r.source_ref, r.declaration_number or "",
         r.currency, minor, r.buyer.country, r.buyer.name)
        for r, minor in zip(given, minors, strict=True)
    ]
    order = _order(keys, given)
    # Columns are computed in input order (records sit in memory in about that order), then
    # permuted: far fewer cache misses on large inputs than reading records in sorted order.
    return Side(
        models=_permute(given, order),
        buyer=_permute(_buyers(r.buyer.name for r in given), order),
        invoice=_permute([invoice_key(r.invoice_number) for r in given], order),
        declaration=_permute([declaration_key(r.declaration_number) for r in given], order),
        day=_permute([r.shipment_date.toordinal() for r in given], order),
        minor=_permute(minors, order),
        currency=_permute([r.currency for r in given], order),
        country=_permute([r.buyer.country for r in given], order),
        ref=_permute([r.source_ref for r in given], order),
    )


def decl_side(declarations: Iterable[ExportDeclaration]) -> Side[ExportDeclaration]:
    """Declarations in canonical order, with their keys."""
    given = list(declarations)
    minors = [d.amount_minor for d in given]
    keys = [
        (d.shipment_date, d.declaration_number, d.source_ref, d.invoice_number or "",
         d.currency, minor, d.destination_country, d.buyer_name)
        for d, minor in zip(given, minors, strict=True)
    ]
    order = _order(keys, given)
    numbers = _permute([d.declaration_number for d in given], order)
    return Side(
        models=_permute(given, order),
        buyer=_permute(_buyers(d.buyer_name for d in given), order),
        invoice=_permute([invoice_key(d.invoice_number) for d in given], order),
        declaration=numbers,
        day=_permute([d.shipment_date.toordinal() for d in given], order),
        minor=_permute(minors, order),
        currency=_permute([d.currency for d in given], order),
        country=_permute([d.destination_country for d in given], order),
        ref=numbers,
    )


def refs(side: Side[Any], indices: Sequence[int], limit: int = 5) -> str:
    """Loggable references of some records of one side, capped at ``limit``."""
    shown = ", ".join(side.ref[i] for i in indices[:limit])
    return shown if len(indices) <= limit else f"{shown} and {len(indices) - limit} more"

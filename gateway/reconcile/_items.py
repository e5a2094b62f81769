"""Both inputs in a canonical order, with their match keys as columns.

Reconciliation sorts both inputs by content before it matches anything, so the order the
sources delivered them in cannot change an outcome; exact content ties fall back to the full
JSON form, so even records that differ only in a field the sort key ignores are ordered.

Keys live in plain lists of strings and integers (columns) rather than one object per record:
the cyclic garbage collector does not track strings and integers, so large inputs do not make
it walk an ever larger heap (the cost stays about linear; docs/reconciliation.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile.keys import buyer_key, declaration_key, invoice_key

M = TypeVar("M", ExportRecord, ExportDeclaration)
#: Shipment date, own number, source reference, other number, currency, minor units,
#: country, buyer name.
SortKey = tuple[date, str, str, str, str, int, str, str]


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


def _buyers(names: Iterable[str], key_of: Callable[[str], str] = buyer_key) -> list[str]:
    cache: dict[str, str] = {}
    result = []
    for name in names:
        key = cache.get(name)
        if key is None:
            key = cache[name] = key_of(name)
        result.append(key)
    return result


def erp_sort_key(record: ExportRecord, minor: int) -> SortKey:
    """The canonical sort key of an ERP record (``minor``: its ``amount_minor``); records with
    equal keys are ordered by their JSON form, then as given."""
    return (record.shipment_date, record.invoice_number, record.source_ref,
            record.declaration_number or "", record.currency, minor, record.buyer.country,
            record.buyer.name)


def decl_sort_key(decl: ExportDeclaration, minor: int) -> SortKey:
    """The canonical sort key of a declaration (``minor``: its ``amount_minor``); ties as for
    :func:`erp_sort_key`."""
    return (decl.shipment_date, decl.declaration_number, decl.source_ref,
            decl.invoice_number or "", decl.currency, minor, decl.destination_country,
            decl.buyer_name)


def _erp_columns(
    given: list[ExportRecord], minors: list[int], order: Sequence[int] | None = None,
    key_of: Callable[[str], str] = buyer_key,
) -> Side[ExportRecord]:
    """The columns of ``given``, each permuted by ``order`` (if any) as soon as it is built."""

    def put(column: list[_T]) -> list[_T]:
        return column if order is None else _permute(column, order)

    return Side(
        models=put(given),
        buyer=put(_buyers((r.buyer.name for r in given), key_of)),
        invoice=put([invoice_key(r.invoice_number) for r in given]),
        declaration=put([declaration_key(r.declaration_number) for r in given]),
        day=put([r.shipment_date.toordinal() for r in given]),
        minor=put(minors),
        currency=put([r.currency for r in given]),
        country=put([r.buyer.country for r in given]),
        ref=put([r.source_ref for r in given]),
    )


def _decl_columns(
    given: list[ExportDeclaration], minors: list[int], order: Sequence[int] | None = None,
    key_of: Callable[[str], str] = buyer_key,
) -> Side[ExportDeclaration]:
    """As :func:`_erp_columns`; a declaration's own number is also its reference."""

    def put(column: list[_T]) -> list[_T]:
        return column if order is None else _permute(column, order)

    numbers = put([d.declaration_number for d in given])
    return Side(
        models=put(given),
        buyer=put(_buyers((d.buyer_name for d in given), key_of)),
        invoice=put([invoice_key(d.invoice_number) for d in given]),
        declaration=numbers,
        day=put([d.shipment_date.toordinal() for d in given]),
        minor=put(minors),
        currency=put([d.currency for d in given]),
        country=put([d.destination_country for d in given]),
        ref=numbers,
    )


def erp_side(records: Iterable[ExportRecord]) -> Side[ExportRecord]:
    """ERP records in canonical order, with their keys."""
    given = list(records)
    minors = [r.amount_minor for r in given]
    order = _order([erp_sort_key(r, m) for r, m in zip(given, minors, strict=True)], given)
    # Columns are computed in input order (records sit in memory in about that order), then
    # permuted: far fewer cache misses on large inputs than reading records in sorted order.
    return _erp_columns(given, minors, order)


def decl_side(declarations: Iterable[ExportDeclaration]) -> Side[ExportDeclaration]:
    """Declarations in canonical order, with their keys."""
    given = list(declarations)
    minors = [d.amount_minor for d in given]
    order = _order([decl_sort_key(d, m) for d, m in zip(given, minors, strict=True)], given)
    return _decl_columns(given, minors, order)


def erp_in_order(
    records: Sequence[ExportRecord], buyer: Callable[[str], str] = buyer_key
) -> Side[ExportRecord]:
    """ERP records already in canonical order (some of :func:`erp_side`'s), with their keys;
    ``buyer`` is ``buyer_key`` or a cache of it."""
    given = list(records)
    return _erp_columns(given, [r.amount_minor for r in given], None, buyer)


def decl_in_order(
    declarations: Sequence[ExportDeclaration], buyer: Callable[[str], str] = buyer_key
) -> Side[ExportDeclaration]:
    """Declarations already in canonical order (some of :func:`decl_side`'s), with their keys;
    ``buyer`` as for :func:`erp_in_order`."""
    given = list(declarations)
    return _decl_columns(given, [d.amount_minor for d in given], None, buyer)


def refs(side: Side[Any], indices: Sequence[int], limit: int = 5) -> str:
    """Loggable references of some records of one side, capped at ``limit``."""
    shown = ", ".join(side.ref[i] for i in indices[:limit])
    return shown if len(indices) <= limit else f"{shown} and {len(indices) - limit} more"

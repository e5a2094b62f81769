"""Records with their match keys computed once, in a canonical order.

Reconciliation sorts both inputs by content before it matches anything, so the order the
sources delivered them in cannot change an outcome; exact content ties fall back to the full
JSON form, so even records that differ only in a field the sort key ignores are ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile.keys import buyer_key, declaration_key, invoice_key

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ErpItem:
    """An ERP record, its position in canonical order and its keys."""

    index: int
    record: ExportRecord
    buyer: str
    invoice: str
    declaration: str
    day: int  # shipment date ordinal
    minor: int
    currency: str
    country: str


@dataclass(frozen=True, slots=True)
class DeclItem:
    """A declaration, its position in canonical order and its keys."""

    index: int
    declaration: ExportDeclaration
    buyer: str
    invoice: str
    day: int
    minor: int
    currency: str
    country: str


def _canonical(keyed: list[tuple[tuple[Any, ...], int, _M]]) -> list[tuple[int, _M]]:
    """Sort ``(content key, minor units, model)`` triples; exact key ties by full JSON form."""
    keyed.sort(key=lambda triple: triple[0])
    ordered: list[tuple[int, _M]] = []
    start = 0
    for end in range(1, len(keyed) + 1):
        if end == len(keyed) or keyed[end][0] != keyed[start][0]:
            run = keyed[start:end]
            if len(run) > 1:
                run.sort(key=lambda triple: triple[2].model_dump_json())
            ordered.extend((minor, model) for _, minor, model in run)
            start = end
    return ordered


def _buyer(cache: dict[str, str], name: str) -> str:
    key = cache.get(name)
    if key is None:
        key = cache[name] = buyer_key(name)
    return key


def erp_items(records: Iterable[ExportRecord]) -> list[ErpItem]:
    """ERP records in canonical order with their keys (buyer keys computed once per name)."""
    keyed = []
    for r in records:
        minor = r.amount_minor
        key = (r.shipment_date, r.invoice_number, r.source_ref, r.declaration_number or "",
               r.currency, minor, r.buyer.country, r.buyer.name)
        keyed.append((key, minor, r))
    names: dict[str, str] = {}
    return [
        ErpItem(
            index=i, record=r, buyer=_buyer(names, r.buyer.name),
            invoice=invoice_key(r.invoice_number),
            declaration=declaration_key(r.declaration_number),
            day=r.shipment_date.toordinal(), minor=minor,
            currency=r.currency, country=r.buyer.country,
        )
        for i, (minor, r) in enumerate(_canonical(keyed))
    ]


def decl_items(declarations: Iterable[ExportDeclaration]) -> list[DeclItem]:
    """Declarations in canonical order with their keys."""
    keyed = []
    for d in declarations:
        minor = d.amount_minor
        key = (d.shipment_date, d.declaration_number, d.source_ref, d.invoice_number or "",
               d.currency, minor, d.destination_country, d.buyer_name)
        keyed.append((key, minor, d))
    names: dict[str, str] = {}
    return [
        DeclItem(
            index=i, declaration=d, buyer=_buyer(names, d.buyer_name),
            invoice=invoice_key(d.invoice_number),
            day=d.shipment_date.toordinal(), minor=minor,
            currency=d.currency, country=d.destination_country,
        )
        for i, (minor, d) in enumerate(_canonical(keyed))
    ]


def refs(items: Sequence[ErpItem | DeclItem], limit: int = 5) -> str:
    """Loggable references of a group: ERP source refs or declaration numbers, capped."""
    names = [
        item.record.source_ref if isinstance(item, ErpItem)
        else item.declaration.declaration_number
        for item in items
    ]
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"

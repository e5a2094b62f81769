"""ERP-shaped records from reconciliation outcomes.

A customs-only shipment becomes an :class:`ExportRecord` built from its declaration, so the
rest of the pipeline attaches it like any notified shipment. Customs knows no due date: the
tenor is ``ReconcileConfig.customs_only_tenor_days``, an assumption the exporter must confirm.
A matched ERP record learns its declaration number when it lacked one.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from gateway.errors import RecordError
from gateway.model import Buyer, ExportDeclaration, ExportRecord, PaymentMethod
from gateway.reconcile.config import ReconcileConfig


def record_from_declaration(decl: ExportDeclaration, config: ReconcileConfig) -> ExportRecord:
    """The export record of a customs-only shipment.

    Raises ``RecordError`` (source = the declaration's ``source_ref``, row 0: the reference
    already locates it) if the declaration cannot make a valid record; never with its values.
    """
    try:
        return ExportRecord(
            source_ref=decl.source_ref,
            invoice_number=decl.invoice_number or f"CUSTOMS-{decl.declaration_number}",
            invoice_date=decl.acceptance_date,
            shipment_date=decl.shipment_date,
            declaration_number=decl.declaration_number,
            buyer=Buyer(name=decl.buyer_name, country=decl.destination_country),
            currency=decl.currency,
            amount=decl.amount,
            payment_method=decl.payment_method or PaymentMethod.OTHER,
            tenor_days=config.customs_only_tenor_days,
            hs_code=decl.hs_code,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "record"
        reason = f"invalid for an export record ({first['type']})"
        raise RecordError(decl.source_ref, 0, field, reason) from exc


def enrich(record: ExportRecord, declarations: Iterable[ExportDeclaration]) -> ExportRecord:
    """``record`` with the declaration number it lacked: the earliest matched declaration's (by
    shipment date, then number). Unchanged if it already had one or nothing matched."""
    if record.declaration_number is not None:
        return record
    ordered = sorted(declarations, key=lambda d: (d.shipment_date, d.declaration_number))
    if not ordered:
        return record
    return record.model_copy(update={"declaration_number": ordered[0].declaration_number})

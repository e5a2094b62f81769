"""Normalise one raw row (source column → text) into an :class:`~gateway.model.ExportRecord`.

IO-free. Fields are checked in the order of :data:`~gateway.ingest.mapping.CANONICAL_FIELDS`
and the first problem raises :class:`~gateway.errors.RecordError` naming the canonical field and
its source column, e.g. ``amount (column 'NETWR'): not a number``. The offending value is never
part of the error. Columns the mapping does not name are ignored and never carried forward.

Before any field is parsed, every mapped value is checked for text that was not faithfully
decoded (a U+FFFD replacement character, whether a lossy upstream produced it or it was typed
literally, or an unpaired surrogate from a JSON escape): such a row is quarantined naming the
field, and its raw columns are not kept (:func:`mapped_raw`), so no U+FFFD is ever stored or
forwarded.

Speed: :func:`normalise` first tries a fast path compiled once per mapping and limits
(:mod:`gateway.ingest._erp_fast`), which builds the record of a clean row without a second
validation; any row it cannot vouch for, and so every row that fails, goes through
:func:`normalise_full`, the field-by-field path above. Both give the same result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NoReturn

from pydantic import ValidationError

from gateway.errors import RecordError
from gateway.ingest._erp_fast import ErpPlan
from gateway.ingest._fast import Fallback
from gateway.ingest._row import RowReader, check_amount, check_currency, hide_values, refuse_lossy
from gateway.ingest.line_items import ParsedLine, line_from_text, lines_from_json
from gateway.ingest.mapping import CANONICAL_FIELDS, ColumnMapping
from gateway.ingest.parse import FieldValueError, lossy_reason, parse_whole
from gateway.limits import Limits
from gateway.model import ExportRecord, Incoterm, PaymentMethod
from gateway.model.country import is_country

_DEFAULT_LIMITS: Final = Limits()
_MAX_DIGITS: Final = 24
_MAX_TENOR: Final = 3650
_MAX_PLANS: Final = 32
#: Compiled fast paths by (mapping, limits) identity; each plan holds both, so no id is reused
#: while its entry lives.
_PLANS: dict[tuple[int, int], ErpPlan] = {}
_PAYMENT_CODES: Final = ", ".join(m.value for m in PaymentMethod)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row that could not become a record. ``raw`` (the mapped columns only) stays in the
    local store so the row can be retried; it is left out of ``repr`` so it never reaches a log."""

    source: str
    row: int
    field: str
    reason: str
    raw: dict[str, str | None] = dataclasses.field(default_factory=dict, repr=False)


SourceItem = ExportRecord | Quarantined


_COUNTRY_REASON: Final = "not an ISO 3166-1 alpha-2 country code (country names are not guessed)"
_PAYMENT: Final = frozenset(m.value for m in PaymentMethod)
_INCOTERMS: Final = frozenset(m.value for m in Incoterm)


def _country(row: RowReader) -> str:
    value = row.need("buyer.country").upper()
    if not is_country(value):
        row.fail("buyer.country", _COUNTRY_REASON)
    return value


def _amount(row: RowReader, currency: str) -> Decimal:
    return check_amount(row.decimal("amount"), currency, row.fail)


def _tenor(row: RowReader) -> int | None:
    value = row.get("tenor_days")
    if value is None:
        return None
    try:
        days = parse_whole(value)
    except FieldValueError as exc:
        row.fail("tenor_days", exc.reason)
    if days > _MAX_TENOR:
        row.fail("tenor_days", f"more than {_MAX_TENOR} days")
    return days


def _hs_code(row: RowReader) -> str:
    value = row.need("hs_code").replace(".", "").replace(" ", "").replace("-", "")
    if not (value.isascii() and value.isdigit() and 4 <= len(value) <= 12):
        row.fail("hs_code", "not an HS code (4 to 12 digits)")
    return value


def _lines(row: RowReader) -> tuple[ParsedLine, ...]:
    try:
        if "line_items" in row.mapping.fields or "line_items" in row.mapping.constants:
            text = row.get("line_items", max_chars=row.limits.max_row_bytes)
            if text is None:
                return ()
            return lines_from_json(
                text, max_items=row.limits.max_line_items, max_chars=row.limits.max_field_chars
            )
        quantity = row.get("line_item.quantity")
        if quantity is None:
            return ()
        line = line_from_text(
            row.get("line_item.description"),
            quantity,
            row.need("line_item.unit_price"),
            row.mapping.decimal,
            row.limits.max_field_chars,
        )
    except FieldValueError as exc:
        single = exc.part is not None and "line_items" not in row.mapping.fields
        row.fail(f"line_item.{exc.part}" if single else "line_items", exc.reason)
    return (line,)


def _fields(row: RowReader) -> dict[str, Any]:
    """Every canonical value, parsed in field order; the first problem raises."""
    refuse_lossy(CANONICAL_FIELDS, row.mapping.constants, row.mapping.fields.get, row.raw, row.fail)
    values: dict[str, Any] = {
        "source_ref": f"{row.source}:{row.row}",
        "invoice_number": row.text("invoice_number", required=True),
        "invoice_date": row.date("invoice_date", required=True),
        "shipment_date": row.date("shipment_date", required=True),
        "declaration_number": row.text("declaration_number"),
        "buyer": {
            "name": row.text("buyer.name", required=True),
            "country": _country(row),
            "registration_id": row.text("buyer.registration_id"),
            "insurer_code": row.text("buyer.insurer_code"),
            "address": row.text("buyer.address"),
        },
    }
    currency = check_currency(row.need("currency"), row.fail)
    values["currency"] = currency
    values["amount"] = _amount(row, currency)
    values["payment_method"] = row.code(
        "payment_method", _PAYMENT, f"not a payment method code ({_PAYMENT_CODES})", required=True
    )
    values["due_date"] = row.date("due_date")
    values["tenor_days"] = _tenor(row)
    values["incoterms"] = row.code("incoterms", _INCOTERMS, "not an Incoterms 2020 code")
    values["hs_code"] = _hs_code(row)
    values["description"] = row.text("description")
    values["line_items"] = tuple(line.as_dict() for line in _lines(row))
    return values


def _cross_checks(row: RowReader, values: Mapping[str, Any]) -> None:
    due, tenor = values["due_date"], values["tenor_days"]
    if due is None and tenor is None:
        row.fail("due_date", f"missing, and so is {row.label('tenor_days')}: one is required")
    if due is not None and due < values["shipment_date"]:
        row.fail("due_date", f"before {row.label('shipment_date')}")


def _validation_failure(row: RowReader, exc: ValidationError) -> NoReturn:
    """Map pydantic's first error to a RecordError without any input value."""
    err = exc.errors(include_input=False, include_url=False)[0]
    loc = [str(part) for part in err["loc"]]
    if not loc:
        name = "<record>"
    elif loc[0] == "buyer" and len(loc) > 1:
        name = f"buyer.{loc[1]}"
    else:
        name = loc[0]
    row.fail(name, hide_values(str(err["msg"]), row.raw))


def erp_plan(mapping: ColumnMapping, limits: Limits) -> ErpPlan:
    """The compiled fast path for ``mapping`` and ``limits`` (built once, then cached)."""
    key = (id(mapping), id(limits))
    plan = _PLANS.get(key)
    if plan is None or plan.mapping is not mapping or plan.limits is not limits:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = ErpPlan(mapping, limits)
    return plan


def normalise(
    raw: Mapping[str, str | None],
    mapping: ColumnMapping,
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> ExportRecord:
    """Turn one raw row into a record; :class:`RecordError` for the first problem found.

    A clean row takes the compiled fast path (:mod:`gateway.ingest._fast`); any other row, and
    every row that fails, is decided by :func:`normalise_full`.
    """
    try:
        return erp_plan(mapping, limits).record(raw, source, row)
    except Fallback:
        return normalise_full(raw, mapping, source=source, row=row, limits=limits)


def normalise_full(
    raw: Mapping[str, str | None],
    mapping: ColumnMapping,
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> ExportRecord:
    """:func:`normalise` without the fast path: every check made field by field, in field
    order, and the record validated by its model."""
    state = RowReader(raw, mapping, source, row, limits)
    values = _fields(state)
    _cross_checks(state, values)
    try:
        return ExportRecord.model_validate(values)
    except ValidationError as exc:
        _validation_failure(state, exc)


def storable(raw: dict[str, str | None]) -> dict[str, str | None]:
    """``raw`` if every value is faithfully decoded text, else ``{}``: a row holding U+FFFD or
    an unpaired surrogate is never stored (a retry could not repair it; the source must)."""
    lossy = any(value is not None and lossy_reason(value) for value in raw.values())
    return {} if lossy else raw


def mapped_raw(raw: Mapping[str, str | None], mapping: ColumnMapping) -> dict[str, str | None]:
    """Only the columns ``mapping`` reads (unknown columns are never carried forward), or ``{}``
    if one of them holds text that was not faithfully decoded (see :func:`storable`)."""
    columns = mapping.source_columns()
    return storable({key: value for key, value in raw.items() if key in columns})


def to_item(
    raw: Mapping[str, str | None],
    mapping: ColumnMapping,
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> SourceItem:
    """:func:`normalise`, with a bad row turned into :class:`Quarantined` instead of raising."""
    try:
        return normalise(raw, mapping, source=source, row=row, limits=limits)
    except RecordError as exc:
        return Quarantined(source, row, exc.field, exc.reason, mapped_raw(raw, mapping))

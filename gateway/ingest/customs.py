"""Normalise one raw customs declaration row into an :class:`~gateway.model.ExportDeclaration`.

IO-free: the sources in ``gateway.adapters.customs`` read broker CSV downloads, JSON and
UNI-PASS XML and hand each row here as a mapping of column to text. Fields are checked in the
order of :data:`~gateway.ingest.customs_mapping.DECLARATION_FIELDS`; the first problem raises
:class:`~gateway.errors.RecordError` naming the field and its column (``currency (column
'결제통화'): not an active ISO 4217 currency code``). The offending value is never part of the
error. :func:`declaration_item` turns that error into a :class:`~gateway.ingest.Quarantined`.
A row holding a U+FFFD replacement character or an unpaired surrogate in any mapped column is
quarantined naming that field, and its raw columns are not kept.

The UNI-PASS export-performance status of a declaration (:class:`DeclarationStatus`) and
:func:`apply_statuses`, which refreshes declarations with it, live in
:mod:`gateway.ingest.customs_status` and are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, NoReturn

from pydantic import ValidationError

from gateway.errors import RecordError
from gateway.ingest._customs_fast import CustomsPlan
from gateway.ingest._customs_row import DeclarationRow
from gateway.ingest._fast import Fallback
from gateway.ingest._row import check_amount, check_currency, hide_values, refuse_lossy
from gateway.ingest.customs_mapping import DECLARATION_FIELDS, CustomsMapping
from gateway.ingest.customs_status import DeclarationStatus, apply_statuses, status_from_lookup
from gateway.ingest.normalise import Quarantined, storable
from gateway.limits import Limits
from gateway.model import ExportDeclaration, PaymentMethod
from gateway.model.country import is_country
from gateway.model.declaration import normalise_declaration_number

__all__ = [
    "DeclarationItem",
    "DeclarationStatus",
    "apply_statuses",
    "declaration_item",
    "normalise_declaration",
    "status_from_lookup",
]

DeclarationItem = ExportDeclaration | Quarantined

_DEFAULT_LIMITS: Final = Limits()
_MAX_PLANS: Final = 32
#: Compiled fast paths by (mapping, limits) identity; each plan holds both, so no id is reused
#: while its entry lives.
_PLANS: dict[tuple[int, int], CustomsPlan] = {}
_DECLARATION: Final = re.compile(r"[0-9A-Z]{10,20}")
_DECLARATION_REASON: Final = (
    "not a declaration number (10 to 20 letters or digits; dashes and spaces are ignored)"
)
_COUNTRY_REASON: Final = "not an ISO 3166-1 alpha-2 country code (country names are not guessed)"
_PAYMENT: Final = frozenset(m.value for m in PaymentMethod)
_PAYMENT_REASON: Final = (
    "not a payment method code (map the customs code to one of "
    + ", ".join(m.value for m in PaymentMethod)
    + " in the mapping's value_maps)"
)
_SHIPPED: Final = {"Y": True, "N": False}
_MAX_DIGITS: Final = 24


def _declaration_number(row: DeclarationRow) -> str:
    value = normalise_declaration_number(row.need("declaration_number"))
    if not _DECLARATION.fullmatch(value):
        row.fail("declaration_number", _DECLARATION_REASON)
    return value


def _shipped(row: DeclarationRow) -> bool:
    value = row.need("shipped").upper()
    if value not in _SHIPPED:
        row.fail("shipped", "not a shipped flag (Y or N, after the mapping's value_maps)")
    return _SHIPPED[value]


def _country(row: DeclarationRow) -> str:
    value = row.need("destination_country").upper()
    if not is_country(value):
        row.fail("destination_country", _COUNTRY_REASON)
    return value


def _hs_code(row: DeclarationRow) -> str:
    value = row.need("hs_code").replace(".", "").replace(" ", "").replace("-", "")
    if not (value.isascii() and value.isdigit() and 4 <= len(value) <= 12):
        row.fail("hs_code", "not an HS code (4 to 12 digits)")
    return value


def _payment_method(row: DeclarationRow) -> str | None:
    value = row.get("payment_method")
    if value is None:
        return None
    if value.upper() not in _PAYMENT:
        row.fail("payment_method", _PAYMENT_REASON)
    return value.upper()


def _amount(row: DeclarationRow, currency: str) -> Decimal:
    amount = row.decimal("amount")
    assert amount is not None  # required=True
    return check_amount(amount, currency, row.fail)


def _fob_krw(row: DeclarationRow) -> int | None:
    value = row.decimal("fob_krw", required=False)
    if value is None:
        return None
    if value < 0 or value != value.to_integral_value() or len(value.as_tuple().digits) > 20:
        row.fail("fob_krw", "not a whole number of won (KRW has no minor unit)")
    return int(value)


def _fields(row: DeclarationRow) -> dict[str, Any]:
    """Every declaration value, parsed in field order; the first problem raises."""
    refuse_lossy(DECLARATION_FIELDS, row.mapping.constants, row.columns.get, row.raw, row.fail)
    values: dict[str, Any] = {
        "source_ref": f"{row.source}:{row.row}",
        "declaration_number": _declaration_number(row),
        "acceptance_date": row.date("acceptance_date", required=True),
        "loading_date": row.date("loading_date"),
        "shipped": _shipped(row),
        "exporter_id": row.text("exporter_id"),
        "buyer_name": row.text("buyer_name", required=True),
        "buyer_code": row.text("buyer_code"),
        "destination_country": _country(row),
        "hs_code": _hs_code(row),
        "payment_method": _payment_method(row),
    }
    currency = check_currency(row.need("currency"), row.fail)
    values["currency"] = currency
    values["amount"] = _amount(row, currency)
    values["fob_krw"] = _fob_krw(row)
    values["invoice_number"] = row.text("invoice_number")
    values["bl_number"] = row.text("bl_number")
    return values


def _cross_checks(row: DeclarationRow, values: Mapping[str, Any]) -> None:
    loading, accepted = values["loading_date"], values["acceptance_date"]
    if loading is not None and loading < accepted:
        row.fail("loading_date", f"before {row.label('acceptance_date')}")
    if loading is not None and not values["shipped"]:
        row.fail("loading_date", f"given although {row.label('shipped')} says not shipped")


def _validation_failure(row: DeclarationRow, exc: ValidationError) -> NoReturn:
    """Map pydantic's first error to a RecordError without any input value."""
    err = exc.errors(include_input=False, include_url=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "<declaration>"
    row.fail(name, hide_values(str(err["msg"]), row.raw))


def customs_plan(
    mapping: CustomsMapping, columns: Mapping[str, str], limits: Limits
) -> CustomsPlan:
    """The compiled fast path for ``mapping``, a file's ``columns`` and ``limits`` (cached)."""
    key = (id(mapping), id(limits))
    plan = _PLANS.get(key)
    if plan is None or not plan.serves(mapping, columns, limits):
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = CustomsPlan(mapping, columns, limits)
    return plan


def normalise_declaration(
    raw: Mapping[str, str | None],
    mapping: CustomsMapping,
    *,
    source: str,
    row: int,
    columns: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
) -> ExportDeclaration:
    """Turn one raw row into a declaration; :class:`RecordError` for the first problem found.

    ``columns`` maps each field to the column this file uses for it (see
    :meth:`CustomsMapping.resolve`); by default it is resolved against the row's own keys. A
    clean row takes the compiled fast path (:mod:`gateway.ingest._fast`); any other row, and
    every row that fails, is decided by :func:`normalise_declaration_full`.
    """
    if columns is None:
        columns = mapping.resolve(raw.keys())[0]
    try:
        return customs_plan(mapping, columns, limits).declaration(raw, source, row)
    except Fallback:
        return normalise_declaration_full(
            raw, mapping, source=source, row=row, columns=columns, limits=limits
        )


def normalise_declaration_full(
    raw: Mapping[str, str | None],
    mapping: CustomsMapping,
    *,
    source: str,
    row: int,
    columns: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
) -> ExportDeclaration:
    """:func:`normalise_declaration` without the fast path: every check made field by field,
    in field order, and the declaration validated by its model."""
    if columns is None:
        columns = mapping.resolve(raw.keys())[0]
    state = DeclarationRow(raw, mapping, columns, source=source, row=row, limits=limits)
    values = _fields(state)
    _cross_checks(state, values)
    try:
        return ExportDeclaration.model_validate(values)
    except ValidationError as exc:
        _validation_failure(state, exc)


def declaration_item(
    raw: Mapping[str, str | None],
    mapping: CustomsMapping,
    *,
    source: str,
    row: int,
    columns: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
) -> DeclarationItem:
    """:func:`normalise_declaration`, with a bad row turned into :class:`Quarantined`; its
    ``raw`` keeps only the columns the mapping reads."""
    try:
        return normalise_declaration(
            raw, mapping, source=source, row=row, columns=columns, limits=limits
        )
    except RecordError as exc:
        wanted = mapping.source_columns()
        kept = {key: value for key, value in raw.items() if key in wanted}
        return Quarantined(source, row, exc.field, exc.reason, storable(kept))

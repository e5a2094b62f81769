"""One raw receivables row (source column → text) into a :class:`~gateway.guard.Receivable`.

IO-free. The first problem raises :class:`~gateway.errors.RecordError` naming the field and its
source column, never the value; :func:`to_receivable_item` turns that into a
:class:`~gateway.ingest.Quarantined` row that keeps only the mapped columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final, NoReturn

from pydantic import ValidationError

from gateway.errors import RecordError
from gateway.guard.buyer import buyer_key
from gateway.guard.mapping import ReceivablesMapping
from gateway.guard.model import Receivable
from gateway.ingest import FieldValueError, Quarantined, parse_date, parse_decimal
from gateway.ingest._row import check_currency
from gateway.ingest.parse import check_text
from gateway.limits import Limits
from gateway.model import minor_units, to_minor

_TEXT_MAX: Final = 256
_DEFAULT_LIMITS: Final = Limits()


class _Row:
    def __init__(
        self,
        raw: Mapping[str, str | None],
        mapping: ReceivablesMapping,
        source: str,
        row: int,
        limits: Limits,
    ) -> None:
        self.raw, self.mapping, self.source, self.row = raw, mapping, source, row
        self.max_chars = min(_TEXT_MAX, limits.max_field_chars)

    def fail(self, name: str, reason: str) -> NoReturn:
        column = self.mapping.fields.get(name)
        label = f"{name} (column '{column}')" if column else name
        raise RecordError(self.source, self.row, name, f"{label}: {reason}")

    def get(self, name: str) -> str | None:
        column = self.mapping.fields.get(name)
        value = None if column is None else self.raw.get(column)
        if value is None or not value.strip() or value.strip() in self.mapping.null_values:
            return None
        try:
            return check_text(value, self.max_chars)
        except FieldValueError as exc:
            self.fail(name, exc.reason)

    def need(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            self.fail(name, "missing")
        return value

    def parse_day(self, name: str, value: str) -> date:
        try:
            return parse_date(value, self.mapping.date_format)
        except FieldValueError as exc:
            self.fail(name, exc.reason)


def _outstanding(row: _Row, currency: str) -> int:
    try:
        amount = parse_decimal(row.need("outstanding"), row.mapping.decimal)
    except FieldValueError as exc:
        row.fail("outstanding", exc.reason)
    if amount < 0:
        row.fail("outstanding", "must not be negative")
    try:
        return to_minor(amount, currency)
    except ValueError:
        row.fail("outstanding", f"more than {minor_units(currency)} decimal places for {currency}")


def normalise_receivable(
    raw: Mapping[str, str | None],
    mapping: ReceivablesMapping,
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> Receivable:
    """Turn one raw row into a receivable; :class:`RecordError` for the first problem."""
    state = _Row(raw, mapping, source, row, limits)
    invoice = state.need("invoice_number")
    name = state.need("buyer.name")
    code = state.get("buyer.code")
    currency = check_currency(state.need("currency"), state.fail)
    outstanding = _outstanding(state, currency)
    due = state.parse_day("due_date", state.need("due_date"))
    paid_text = state.get("paid_on")
    paid = None if paid_text is None else state.parse_day("paid_on", paid_text)
    try:
        return Receivable(
            buyer_key=buyer_key(name, code),
            invoice_number=invoice,
            currency=currency,
            outstanding_minor=outstanding,
            due_date=due,
            paid_on=paid,
            source_ref=f"{source}:{row}",
        )
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        field = "paid_on" if not err["loc"] else str(err["loc"][0])
        state.fail(field, str(err["msg"]).removeprefix("Value error, "))


def to_receivable_item(
    raw: Mapping[str, str | None],
    mapping: ReceivablesMapping,
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> Receivable | Quarantined:
    """:func:`normalise_receivable`, with a bad row quarantined instead of raising."""
    try:
        return normalise_receivable(raw, mapping, source=source, row=row, limits=limits)
    except RecordError as exc:
        columns = mapping.source_columns()
        kept = {key: value for key, value in raw.items() if key in columns}
        return Quarantined(source, row, exc.field, exc.reason, kept)

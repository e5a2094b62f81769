"""normalise(): one raw row to an ExportRecord, or a RecordError naming field, column, reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import RecordError
from gateway.ingest import ColumnMapping, Quarantined, normalise, to_item
from gateway.limits import Limits
from gateway.model import ExportRecord, Incoterm, PaymentMethod

Row = dict[str, str | None]
Make = Callable[..., ColumnMapping]
Columns = Mapping[str, str]


def fail(row: Row, mapping: ColumnMapping, **kwargs: Limits) -> RecordError:
    with pytest.raises(RecordError) as info:
        normalise(row, mapping, source="erp.csv", row=7, **kwargs)
    return info.value


def test_good_row_becomes_canonical_record(row: Row, mapping: ColumnMapping) -> None:
    record = normalise(row, mapping, source="erp.csv", row=7)
    assert record.source_ref == "erp.csv:7"
    assert record.invoice_number == "EX-1"
    assert record.invoice_date == date(2026, 3, 2) and record.shipment_date == date(2026, 3, 3)
    assert record.buyer.country == "VN"  # upper-cased
    assert record.amount == Decimal("12500.50") and record.amount_minor == 1_250_050
    assert record.payment_method is PaymentMethod.TT  # via the value map "T/T" -> "TT"
    assert record.incoterms is Incoterm.FOB
    assert record.hs_code == "854231"
    assert record.tenor_days is None and record.due_date == date(2026, 5, 2)


def test_unknown_columns_are_ignored_and_not_carried(row: Row, mapping: ColumnMapping) -> None:
    row["INTERNAL_MARGIN"] = "31.5%"
    record = normalise(row, mapping, source="erp.csv", row=7)
    assert "31.5%" not in record.model_dump_json()
    item = to_item({**row, "AMT": "x"}, mapping, source="erp.csv", row=7)
    assert isinstance(item, Quarantined)
    assert "INTERNAL_MARGIN" not in item.raw and item.raw["AMT"] == "x"


@pytest.mark.parametrize(
    ("column", "value", "field", "reason"),
    [
        ("INV", None, "invoice_number", "invoice_number (column 'INV'): missing"),
        ("INV", "   ", "invoice_number", "invoice_number (column 'INV'): missing"),
        ("AMT", "", "amount", "amount (column 'AMT'): missing"),
        ("AMT", "12.500,00", "amount", "amount (column 'AMT'): not a number"),
        ("AMT", "1e3", "amount", "amount (column 'AMT'): not a number"),
        ("AMT", "0", "amount", "amount (column 'AMT'): must be greater than zero"),
        ("AMT", "-15.00", "amount", "amount (column 'AMT'): must be greater than zero"),
        ("AMT", "10.005", "amount", "amount (column 'AMT'): more than 2 decimal places for USD"),
        ("AMT", "1" * 25, "amount", "amount (column 'AMT'): more than 24 digits"),
        ("CUR", "WON", "currency", "currency (column 'CUR'): not an active ISO 4217 currency code"),
        ("CUR", "XAU", "currency", "currency (column 'CUR'): not an active ISO 4217 currency code"),
        (
            "BCTRY",
            "Korea",
            "buyer.country",
            "buyer.country (column 'BCTRY'): not an ISO 3166-1 alpha-2 country code "
            "(country names are not guessed)",
        ),
        (
            "BCTRY",
            "XX",
            "buyer.country",
            "buyer.country (column 'BCTRY'): not an ISO 3166-1 alpha-2 country code "
            "(country names are not guessed)",
        ),
        (
            "IDATE",
            "2026-02-30",
            "invoice_date",
            "invoice_date (column 'IDATE'): not a date in the mapping's date_format",
        ),
        (
            "SDATE",
            "03/03/2026",
            "shipment_date",
            "shipment_date (column 'SDATE'): not a date in the mapping's date_format",
        ),
        (
            "DUE",
            "2026-03-01",
            "due_date",
            "due_date (column 'DUE'): before shipment_date (column 'SDATE')",
        ),
        (
            "PAY",
            "Net 30",
            "payment_method",
            "payment_method (column 'PAY'): not a payment method code "
            "(LC, DP, DA, OA, CAD, TT, CONSIGNMENT, OTHER)",
        ),
        ("INCO", "FOB Busan", "incoterms", "incoterms (column 'INCO'): not an Incoterms 2020 code"),
        ("HS", "84", "hs_code", "hs_code (column 'HS'): not an HS code (4 to 12 digits)"),
        ("TENOR", "30 days", "tenor_days", "tenor_days (column 'TENOR'): not a whole number"),
        ("TENOR", "4000", "tenor_days", "tenor_days (column 'TENOR'): more than 3650 days"),
        (
            "BNAME",
            "Acme\x07 Ltd",
            "buyer.name",
            "buyer.name (column 'BNAME'): contains control characters",
        ),
        (
            "BNAME",
            "Acme \ufffd Ltd",
            "buyer.name",
            "buyer.name (column 'BNAME'): contains U+FFFD "
            "(the text was decoded with replacement characters)",
        ),
        (
            "BNAME",
            "x" * 257,
            "buyer.name",
            "buyer.name (column 'BNAME'): longer than 256 characters",
        ),
        (
            "BADDR",
            "y" * 1025,
            "buyer.address",
            "buyer.address (column 'BADDR'): longer than 1024 characters",
        ),
    ],
)
def test_each_defect_names_field_column_and_reason(
    row: Row, mapping: ColumnMapping, column: str, value: str | None, field: str, reason: str
) -> None:
    row[column] = value
    error = fail(row, mapping)
    assert (error.source, error.row, error.field, error.reason) == ("erp.csv", 7, field, reason)
    if value and len(value.strip()) > 2:
        assert value.strip() not in str(error)


@pytest.mark.parametrize(
    ("currency", "amount", "ok"),
    [
        ("KRW", "15000", True),
        ("KRW", "15000.50", False),
        ("KRW", "15000.00", True),
        ("JPY", "0.5", False),
        ("BHD", "1.125", True),
        ("BHD", "1.1255", False),
        ("USD", "0.01", True),
    ],
)
def test_decimals_follow_the_currency(
    row: Row, mapping: ColumnMapping, currency: str, amount: str, ok: bool
) -> None:
    row.update(CUR=currency, AMT=amount)
    item = to_item(row, mapping, source="erp.csv", row=7)
    if ok:
        assert isinstance(item, ExportRecord) and item.amount == Decimal(amount)
    else:
        assert isinstance(item, Quarantined) and item.field == "amount"
        assert "decimal places for " + currency in item.reason


def test_field_limit_from_limits(row: Row, mapping: ColumnMapping) -> None:
    row["DESC"] = "z" * 40
    error = fail(row, mapping, limits=Limits(max_field_chars=32))
    assert error.reason == "description (column 'DESC'): longer than 32 characters"


def test_first_problem_in_field_order_is_reported(row: Row, mapping: ColumnMapping) -> None:
    row.update(AMT="abc", BCTRY="ZZ", HS="x")
    assert fail(row, mapping).field == "buyer.country"


def test_due_date_or_tenor_needed_per_row(row: Row, mapping: ColumnMapping) -> None:
    row.update(DUE="", TENOR="")
    error = fail(row, mapping)
    assert error.field == "due_date"
    assert (
        error.reason == "due_date (column 'DUE'): missing, and so is tenor_days (column 'TENOR'): "
        "one is required"
    )
    row["TENOR"] = "60"
    assert normalise(row, mapping, source="s", row=1).maturity == date(2026, 5, 2)


def test_constants_and_null_values(row: Row, make_mapping: Make, columns: Columns) -> None:
    fields = {k: v for k, v in columns.items() if k != "currency"}
    mapping = make_mapping(fields=fields, constants={"currency": "EUR"}, null_values=["00.00.0000"])
    row.update(CUR="USD", DUE="00.00.0000", TENOR="45")
    record = normalise(row, mapping, source="s", row=1)
    assert record.currency == "EUR" and record.due_date is None and record.tenor_days == 45
    bad = make_mapping(fields=fields, constants={"currency": "EURO"})
    assert fail(row, bad).reason == "currency (constant): not an active ISO 4217 currency code"


def test_json_line_items_column(row: Row, make_mapping: Make, columns: Columns) -> None:
    mapping = make_mapping(fields={**columns, "line_items": "LINES"})
    row["LINES"] = (
        '[{"description": "IC", "quantity": 100, "unit_price": "125.005"}, '
        '{"quantity": 2.5, "unit_price": 0}]'
    )
    record = normalise(row, mapping, source="s", row=1)
    assert [(li.quantity, li.unit_price) for li in record.line_items] == [
        (Decimal(100), Decimal("125.005")),
        (Decimal("2.5"), Decimal(0)),
    ]
    for text, reason in [
        ('{"quantity": 1}', "not a JSON array of line items"),
        ('[{"quantity": 1, "unit_price": NaN}]', "NaN and Infinity are not allowed"),
        ('[{"quantity": 1, "quantity": 2, "unit_price": 1}]', "duplicate key"),
        ('[{"quantity": 0, "unit_price": 1}]', "item 1: quantity: must be greater than zero"),
        ('[{"quantity": 1, "unit_prcie": 1}]', "item 1: unknown key"),
        ('[{"quantity": "x", "unit_price": 1}]', "item 1: quantity: not a number"),
        ("[1,", "not valid JSON"),
    ]:
        row["LINES"] = text
        error = fail(row, mapping)
        assert error.field == "line_items" and reason in error.reason, (text, error.reason)


def test_too_many_json_line_items(row: Row, make_mapping: Make, columns: Columns) -> None:
    mapping = make_mapping(fields={**columns, "line_items": "LINES"})
    row["LINES"] = "[" + ",".join(['{"quantity": 1, "unit_price": 1}'] * 3) + "]"
    error = fail(row, mapping, limits=Limits(max_line_items=2))
    assert error.reason == "line_items (column 'LINES'): more than 2 line items"


def test_single_line_item_columns(row: Row, make_mapping: Make, columns: Columns) -> None:
    fields = {
        **columns,
        "line_item.quantity": "QTY",
        "line_item.unit_price": "PRICE",
        "line_item.description": "DESC",
    }
    mapping = make_mapping(fields=fields)
    row.update(QTY="1,000", PRICE="12.5")
    (line,) = normalise(row, mapping, source="s", row=1).line_items
    assert (line.description, line.quantity, line.unit_price) == (
        "Integrated circuits",
        Decimal(1000),
        Decimal("12.5"),
    )
    row.update(QTY="", PRICE="")
    assert normalise(row, mapping, source="s", row=1).line_items == ()
    row.update(QTY="5", PRICE="")
    assert fail(row, mapping).reason == "line_item.unit_price (column 'PRICE'): missing"
    row.update(QTY="-5", PRICE="1")
    assert (
        fail(row, mapping).reason == "line_item.quantity (column 'QTY'): must be greater than zero"
    )
    row.update(QTY="5", PRICE="12,5")
    error = fail(row, mapping)
    assert (error.field, error.reason) == (
        "line_item.unit_price",
        "line_item.unit_price (column 'PRICE'): not a number",
    )


def test_quarantined_repr_never_shows_raw(row: Row, mapping: ColumnMapping) -> None:
    row.update(BNAME="Secret Buyer Co", AMT="not-a-price")
    item = to_item(row, mapping, source="erp.csv", row=9)
    assert isinstance(item, Quarantined)
    assert item.raw["BNAME"] == "Secret Buyer Co"
    assert "Secret Buyer" not in repr(item) and "not-a-price" not in repr(item)


SECRET = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=3, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), secret=SECRET)
def test_errors_never_echo_the_value(
    data: st.DataObject,
    secret: str,
    make_mapping: Make,
    columns: Columns,
    good_row: Mapping[str, str | None],
) -> None:
    """Whatever a single column holds, the error text does not contain it."""
    column = data.draw(st.sampled_from(sorted(good_row)))
    row = {**good_row, column: "\x01" + secret}  # a control character makes every column fail
    error = fail(row, make_mapping())
    assert error.field == next(f for f, c in columns.items() if c == column)
    label = error.reason.split(": ")[0]
    assert secret.strip() not in str(error) or secret.strip() in f"erp.csv row 7 field {label}"


def test_pydantic_errors_are_mapped_without_the_value(
    row: Row, make_mapping: Make, columns: Columns
) -> None:
    """A check only the model makes (LineItem.quantity max_digits) still yields a RecordError."""
    fields = {**columns, "line_item.quantity": "QTY", "line_item.unit_price": "PRICE"}
    mapping = make_mapping(fields=fields)
    row.update(QTY="987654321098765432109", PRICE="1")
    error = fail(row, mapping)
    assert error.field == "line_items"
    assert error.reason.startswith("line_items: ") and "20 digits" in error.reason
    assert "987654321098765432109" not in str(error)

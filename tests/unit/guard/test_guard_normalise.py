"""Receivables mappings and row normalisation: strict, and never echoing a value."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gateway.errors import ConfigError, RecordError
from gateway.guard import (
    Receivable,
    buyer_key,
    load_receivables_mapping,
    normalise_receivable,
    to_receivable_item,
)
from gateway.ingest import Quarantined
from gateway.limits import Limits

MAPPING = load_receivables_mapping(
    {
        "name": "test",
        "date_format": ["%Y-%m-%d", "%d.%m.%Y"],
        "null_values": ["-"],
        "fields": {
            "invoice_number": "Beleg",
            "currency": "Whrg",
            "outstanding": "Offen",
            "due_date": "Faellig",
            "paid_on": "Ausgleich",
            "buyer": {"name": "Kunde", "code": "KdNr"},
        },
        "decimal": {"decimal_separator": ",", "thousands_separator": "."},
    },
    origin="test.toml",
)
ROW = {
    "Beleg": "9000123",
    "Kunde": "Secretive Buyer GmbH",
    "KdNr": "-",
    "Whrg": "eur",
    "Offen": "12.345,67",
    "Faellig": "31.01.2026",
    "Ausgleich": "",
    "Unmapped": "never kept",
}


def normalise(**changes: str) -> Receivable:
    return normalise_receivable({**ROW, **changes}, MAPPING, source="open_items.csv", row=7)


def test_a_good_row() -> None:
    item = normalise()
    assert item == Receivable(
        buyer_key=buyer_key("Secretive Buyer GmbH"),
        invoice_number="9000123",
        currency="EUR",
        outstanding_minor=1_234_567,
        due_date=date(2026, 1, 31),
        paid_on=None,
        source_ref="open_items.csv:7",
    )


def test_a_settled_row() -> None:
    item = normalise(Offen="0,00", Ausgleich="2026-02-03")
    assert (item.outstanding_minor, item.paid_on) == (0, date(2026, 2, 3))


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"Beleg": " "}, "invoice_number", "invoice_number (column 'Beleg'): missing"),
        ({"Kunde": "-"}, "buyer.name", "buyer.name (column 'Kunde'): missing"),
        ({"Whrg": "EURO"}, "currency", "not an active ISO 4217 currency code"),
        ({"Offen": "12,3x"}, "outstanding", "outstanding (column 'Offen'): not a number"),
        ({"Offen": "-5,00"}, "outstanding", "must not be negative"),
        ({"Offen": "1,005"}, "outstanding", "more than 2 decimal places for EUR"),
        ({"Faellig": "31.02.2026"}, "due_date", "not a date in the mapping's date_format"),
        ({"Ausgleich": "yesterday"}, "paid_on", "not a date"),
        ({"Ausgleich": "2026-02-03"}, "paid_on", "still outstanding"),
        ({"Offen": "0"}, "paid_on", "no paid date"),
        ({"Kunde": "Secret\u202eBuyer"}, "buyer.name", "bidirectional"),
        ({"Beleg": "S" * 300}, "invoice_number", "longer than 256 characters"),
    ],
)
def test_bad_rows_name_the_field_and_never_the_value(
    changes: dict[str, str], field: str, reason: str
) -> None:
    with pytest.raises(RecordError) as caught:
        normalise(**changes)
    error = caught.value
    assert (error.source, error.row, error.field) == ("open_items.csv", 7, field)
    assert reason in error.reason
    for value in changes.values():
        if len(value.strip()) > 1:
            assert value not in str(error)
    assert "Secretive" not in str(error)


def test_limits_bound_field_length() -> None:
    with pytest.raises(RecordError, match="longer than 16 characters"):
        normalise_receivable(
            {**ROW, "Beleg": "9" * 17}, MAPPING, source="s", row=2,
            limits=Limits(max_field_chars=16),
        )


def test_bad_rows_are_quarantined_with_mapped_columns_only() -> None:
    item = to_receivable_item({**ROW, "Offen": "x"}, MAPPING, source="open_items.csv", row=9)
    assert isinstance(item, Quarantined)
    assert (item.row, item.field) == (9, "outstanding")
    assert "Unmapped" not in item.raw and item.raw["Offen"] == "x"
    assert "Secretive" not in repr(item)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields": {"invoice_number": "a"}}, "required receivable field"),
        ({"fields": {"amount": "a"}}, "'amount' is not a receivable field"),
        ({"date_format": ["%d.%m."]}, "needs %Y, %m and %d"),
        ({"kind": "records"}, "kind"),
        ({"colour": "blue"}, "colour"),
        ({"fields": {"invoice_number": " ", "buyer.name": "b", "currency": "c",
                     "outstanding": "o", "due_date": "d"}}, "names an empty column"),
    ],
)
def test_bad_mappings_are_config_errors(change: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "name": "m",
        "fields": {
            "invoice_number": "a", "buyer.name": "b", "currency": "c", "outstanding": "o",
            "due_date": "d",
        },
    }
    with pytest.raises(ConfigError, match=message) as caught:
        load_receivables_mapping({**base, **change}, origin="mine.toml")
    assert "mine.toml" in str(caught.value)


def test_mapping_columns() -> None:
    assert MAPPING.header_columns() == {"Beleg", "Kunde", "Whrg", "Offen", "Faellig"}
    assert MAPPING.source_columns() == MAPPING.header_columns() | {"KdNr", "Ausgleich"}

"""Properties of normalise() and the strict text checks (hypothesis).

Whatever text a source hands over (a valid row with any of its columns replaced by arbitrary
Unicode, including U+FFFD, unpaired surrogates, control and bidi characters, over-long text),
``to_item`` returns a record or a quarantined row and raises nothing; a record never holds a
float, a U+FFFD, a surrogate or a text field longer than ``limits.max_field_chars``; and a
quarantined row's kept columns never hold U+FFFD or a surrogate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ingest import ColumnMapping, Quarantined, load_mapping, to_item
from gateway.ingest.customs import declaration_item
from gateway.ingest.customs_mapping import json_mapping
from gateway.ingest.parse import FieldValueError, check_text, lossy_reason
from gateway.limits import Limits
from gateway.model import ExportDeclaration, ExportRecord

LIMITS = Limits(max_field_chars=20)
COLUMNS = {
    "invoice_number": "INV",
    "invoice_date": "IDATE",
    "shipment_date": "SDATE",
    "buyer.name": "BNAME",
    "buyer.country": "BCTRY",
    "buyer.address": "BADDR",
    "currency": "CUR",
    "amount": "AMT",
    "payment_method": "PAY",
    "due_date": "DUE",
    "hs_code": "HS",
    "description": "DESC",
    "line_item.description": "LDESC",
    "line_item.quantity": "QTY",
    "line_item.unit_price": "PRICE",
}
GOOD = {
    "INV": "EX-1",
    "IDATE": "2026-03-02",
    "SDATE": "2026-03-03",
    "BNAME": "Hanoi Parts JSC",
    "BCTRY": "VN",
    "BADDR": "Lot B4",
    "CUR": "USD",
    "AMT": "12,500.50",
    "PAY": "TT",
    "DUE": "2026-05-02",
    "HS": "8542.31",
    "DESC": "ICs",
    "LDESC": "ICs",
    "QTY": "10",
    "PRICE": "1250.05",
}
DECLARATION = {
    "declaration_number": "43017261984458",
    "acceptance_date": "2026-01-08",
    "loading_date": "2026-01-08",
    "shipped": "Y",
    "buyer_name": "Hanbit America",
    "destination_country": "US",
    "hs_code": "8708299000",
    "currency": "USD",
    "amount": "59958.36",
    "invoice_number": "EX26-36",
    "bl_number": "MAEU4032",
}
NASTY = ["\ufffd", "\ud800", "\udfff", "\u202e", "\x00", "\x1f", "\u200b", "=", "-", " ", "9"]
texts = st.text(st.characters() | st.sampled_from(NASTY), max_size=40)


@pytest.fixture(scope="module")
def mapping() -> ColumnMapping:
    return load_mapping(
        {"name": "prop", "fields": COLUMNS, "decimal": {"thousands_separator": ","}},
        origin="prop.toml",
    )


def _walk(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def _check_record(record: ExportRecord | ExportDeclaration) -> None:
    for value in _walk(record.model_dump()):
        assert not isinstance(value, float)
        assert value is None or isinstance(value, str | int | Decimal | date)
        if isinstance(value, str) and not value.startswith("src:"):
            assert lossy_reason(value) is None
            assert len(value) <= LIMITS.max_field_chars


def _check_quarantined(item: Quarantined) -> None:
    assert all(lossy_reason(v) is None for v in item.raw.values() if v is not None)


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(sorted(GOOD)), texts, max_size=4))
def test_normalise_never_returns_a_float_fffd_or_over_long_field(
    mapping: ColumnMapping, changes: dict[str, str]
) -> None:
    item = to_item({**GOOD, **changes}, mapping, source="src", row=2, limits=LIMITS)
    if isinstance(item, Quarantined):
        _check_quarantined(item)
        assert item.source == "src" and item.row == 2
    else:
        _check_record(item)


def test_the_unchanged_row_is_a_record(mapping: ColumnMapping) -> None:
    """The property above starts from a row that does parse (so records are reachable)."""
    assert isinstance(to_item(GOOD, mapping, source="src", row=2, limits=LIMITS), ExportRecord)
    declaration = declaration_item(
        DECLARATION, json_mapping(), source="src", row=2, columns=json_mapping().identity()
    )
    assert isinstance(declaration, ExportDeclaration)


@settings(max_examples=200, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(sorted(DECLARATION)), texts, max_size=4))
def test_declarations_never_hold_fffd_or_over_long_fields(changes: dict[str, str]) -> None:
    mapping = json_mapping()
    item = declaration_item(
        {**DECLARATION, **changes},
        mapping,
        source="src",
        row=2,
        columns=mapping.identity(),
        limits=LIMITS,
    )
    if isinstance(item, Quarantined):
        _check_quarantined(item)
    else:
        _check_record(item)


@given(texts, st.integers(min_value=1, max_value=40))
def test_check_text_returns_only_bounded_clean_text(value: str, limit: int) -> None:
    try:
        text = check_text(value, limit)
    except FieldValueError as exc:
        assert value.strip() not in exc.reason or len(value.strip()) < 2
        return
    assert len(text) <= limit and lossy_reason(text) is None and text == text.strip()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Acme \ud800", "contains unpaired surrogates (not valid Unicode text)"),
        ("Acme \udc80 Co", "contains unpaired surrogates (not valid Unicode text)"),
        ("Acme \ufffd", "contains U+FFFD (the text was decoded with replacement characters)"),
    ],
)
def test_check_text_names_lossy_text(value: str, reason: str) -> None:
    with pytest.raises(FieldValueError) as info:
        check_text(value, 100)
    assert info.value.reason == reason and lossy_reason(value) == reason

"""JsonLinesSource over real files: strict JSON, nesting, Decimal numbers, bad lines."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.erp import JsonLinesSource, builtin_mapping
from gateway.errors import SourceError
from gateway.ingest import Quarantined, SourceItem
from gateway.limits import Limits
from gateway.model import ExportRecord

GOOD: dict[str, Any] = {
    "invoice_number": "EX-1",
    "invoice_date": "2026-03-02",
    "shipment_date": "2026-03-03",
    "buyer": {"name": "Hanoi Precision Parts JSC", "country": "VN"},
    "currency": "USD",
    "amount": "@",
    "payment_method": "TT",
    "tenor_days": 60,
    "hs_code": "8542.31",
    "line_items": [{"description": "IC", "quantity": 3, "unit_price": 0.1}],
}


def good(amount: str = "0.30", **changes: Any) -> str:
    text = json.dumps({**GOOD, **changes}, ensure_ascii=False)
    return text.replace('"@"', amount)


def read(tmp_path: Path, *lines: str | bytes, **kwargs: Any) -> list[SourceItem]:
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join(x.encode() if isinstance(x, str) else x for x in lines) + b"\n")
    return list(JsonLinesSource(path, builtin_mapping("canonical"), **kwargs))


def test_numbers_are_decimals_never_floats(tmp_path: Path) -> None:
    (record,) = read(tmp_path, good("0.30"))
    assert isinstance(record, ExportRecord)
    assert record.amount == Decimal("0.30") and str(record.amount) == "0.30"
    (line,) = record.line_items
    assert (
        line.unit_price == Decimal("0.1") and line.quantity == 3
    )  # 0.1 exactly, not 0.1000000000000000055
    assert record.buyer.name == "Hanoi Precision Parts JSC" and record.tenor_days == 60


def test_exponent_numbers_are_rendered_plainly(tmp_path: Path) -> None:
    (record,) = read(tmp_path, good("1.5E+3"))
    assert isinstance(record, ExportRecord) and record.amount == Decimal(1500)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (good().replace('"currency"', '"currency": "EUR", "currency"'), "duplicate 'currency'"),
        (good().replace('"name"', '"name": "A", "name"'), "duplicate key"),
        (good("NaN"), "NaN and Infinity are not allowed"),
        (good("Infinity"), "NaN and Infinity are not allowed"),
        (good("-Infinity"), "NaN and Infinity are not allowed"),
        (good("1e999999"), "number out of range"),
        ('{"invoice_number": "EX-1",', "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (good(payment_method=True), "payment_method: true/false is not a valid value"),
        (good(hs_code={"a": 1}), "hs_code: nested objects and arrays are not allowed here"),
        (good(line_items={"quantity": 1}), "line_items: not an array"),
        (good(**{"buyer.name": "X"}), "buyer.name: given twice"),
    ],
)
def test_bad_lines_are_quarantined_with_line_number(tmp_path: Path, text: str, reason: str) -> None:
    found = read(tmp_path, good(), text, good())
    assert [type(i).__name__ for i in found] == ["ExportRecord", "Quarantined", "ExportRecord"]
    bad = found[1]
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (2, "<line>")
    assert reason in bad.reason


def test_unknown_keys_are_never_named_or_kept(tmp_path: Path) -> None:
    line = good().replace('"currency"', '"SecretKeyName": 1, "SecretKeyName": 2, "currency"')
    (bad,) = read(tmp_path, line)
    assert isinstance(bad, Quarantined) and bad.reason == "duplicate key"
    (record,) = read(tmp_path, good(internal_cost="12.00"))
    assert isinstance(record, ExportRecord) and "12.00" not in record.model_dump_json()


def test_record_errors_carry_line_numbers(tmp_path: Path) -> None:
    found = read(tmp_path, good(), "", "   ", good(currency="WON"))
    (bad,) = found[1:]
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (4, "currency")
    assert bad.reason == "currency (column 'currency'): not an active ISO 4217 currency code"


def test_invalid_utf8_and_overlong_lines(tmp_path: Path) -> None:
    broken = good(description="caf@").encode().replace(b"@", b"\xe9")
    at = broken.index(b"\xe9")
    found = read(
        tmp_path, broken, good(description="x" * 2000), good(), limits=Limits(max_row_bytes=1024)
    )
    assert [(getattr(i, "row", None), getattr(i, "reason", None)) for i in found[:2]] == [
        (1, f"invalid utf-8 byte sequence at byte {at} of the line"),
        (2, "line longer than 1024 bytes"),
    ]
    assert isinstance(found[2], ExportRecord) and found[2].source_ref == "export.jsonl:3"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing\.jsonl: cannot be opened"):
        list(JsonLinesSource(tmp_path / "missing.jsonl", builtin_mapping("canonical")))

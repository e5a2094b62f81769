"""CustomsJsonSource: JSON arrays and JSON Lines of declarations, strictly parsed, streamed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.customs import CustomsJsonSource
from gateway.errors import SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationItem
from gateway.limits import Limits
from gateway.model import ExportDeclaration, PaymentMethod


def obj(n: int = 1, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "declaration_number": f"4301726{n:07d}",
        "acceptance_date": "2026-02-03",
        "loading_date": "2026-02-04",
        "shipped": True,
        "buyer_name": "Hanoi Precision Parts JSC",
        "destination_country": "VN",
        "hs_code": "8542311000",
        "payment_method": "LC",
        "currency": "USD",
        "amount": "@AMOUNT@",
        "fob_krw": 70_087_000,
        "invoice_number": f"EX26-{n:05d}",
    }
    data.update(changes)
    return data


def text(data: dict[str, Any], amount: str = "48260.10") -> str:
    return json.dumps(data, ensure_ascii=False).replace('"@AMOUNT@"', amount)


def write(tmp_path: Path, content: str | bytes, name: str = "declarations.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path: Path, **kwargs: Any) -> list[DeclarationItem]:
    return list(CustomsJsonSource(path, **kwargs))


def test_array_with_numbers_as_exact_decimals(tmp_path: Path) -> None:
    content = "[\n  " + ",\n  ".join([text(obj(1), "0.10"), text(obj(2), "48260.1E1")]) + "\n]\n"
    first, second = read(write(tmp_path, content))
    assert isinstance(first, ExportDeclaration) and isinstance(second, ExportDeclaration)
    assert first.amount == Decimal("0.10") and first.amount_minor == 10  # no float involved
    assert second.amount == Decimal("482601") and second.payment_method is PaymentMethod.LC
    assert (first.source_ref, second.source_ref) == ("declarations.json:2", "declarations.json:3")
    assert first.loading_date == date(2026, 2, 4) and first.fob_krw == 70_087_000


def test_json_lines_with_bom_and_blank_lines(tmp_path: Path) -> None:
    lines = [text(obj(1)), "", text(obj(2, shipped="N", loading_date=None))]
    path = write(tmp_path, b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8"), "d.jsonl")
    first, second = read(path)
    assert isinstance(first, ExportDeclaration) and first.source_ref == "d.jsonl:1"
    assert isinstance(second, ExportDeclaration) and second.source_ref == "d.jsonl:3"
    assert second.shipped is False and second.loading_date is None


@pytest.mark.parametrize("layout", ["array", "lines"])
@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        ('{"shipped": true, "shipped": false}', "<object>", "duplicate 'shipped'"),
        ('{"Zeta Corp": 1, "Zeta Corp": 2}', "<object>", "duplicate key"),
        ('{"amount": NaN}', "<object>", "NaN and Infinity are not allowed"),
        ('{"amount": -Infinity}', "<object>", "NaN and Infinity are not allowed"),
        ('["not", "an", "object"]', "<object>", "not a JSON object"),
        ('{"Zeta Corp margin": 1}', "<object>", "key 1 of the object is not a declaration field"),
        (
            '{"buyer_name": {"nested": 1}}',
            "<object>",
            "buyer_name: nested objects and arrays are not allowed here",
        ),
        ('{"amount": true}', "<object>", "amount: true/false is not a valid value"),
    ],
)
def test_strictness_problems_quarantine_one_object(
    tmp_path: Path, layout: str, bad: str, field: str, reason: str
) -> None:
    parts = [text(obj(1)), bad, text(obj(3))]
    content = "[\n" + ",\n".join(parts) + "\n]" if layout == "array" else "\n".join(parts)
    first, middle, last = read(write(tmp_path, content))
    assert isinstance(first, ExportDeclaration) and isinstance(last, ExportDeclaration)
    assert isinstance(middle, Quarantined) and middle.raw == {}
    line = 3 if layout == "array" else 2  # the array's "[" has a line of its own
    assert (middle.row, middle.field, middle.reason) == (line, field, reason)
    assert "Zeta" not in middle.reason


def test_field_problems_are_quarantined_like_csv_rows(tmp_path: Path) -> None:
    content = "\n".join(
        [
            text(obj(1, currency="WON")),
            text(obj(2, destination_country="Vietnam")),
            text(obj(3, acceptance_date=None)),
            text(obj(4, currency="JPY"), "100.5"),
            text(obj(5, loading_date="2026-02-01")),
            text(obj(6, declaration_number="43-17")),
            text(obj(7, shipped="maybe")),
        ]
    )
    found = read(write(tmp_path, content, "d.jsonl"))
    assert all(isinstance(i, Quarantined) for i in found)
    reasons = [(i.row, i.field, i.reason) for i in found if isinstance(i, Quarantined)]
    assert reasons == [
        (1, "currency", "currency (column 'currency'): not an active ISO 4217 currency code"),
        (
            2,
            "destination_country",
            "destination_country (column 'destination_country'): not an ISO 3166-1 alpha-2 "
            "country code (country names are not guessed)",
        ),
        (3, "acceptance_date", "acceptance_date (column 'acceptance_date'): missing"),
        (4, "amount", "amount (column 'amount'): more than 0 decimal places for JPY"),
        (
            5,
            "loading_date",
            "loading_date (column 'loading_date'): before acceptance_date (column "
            "'acceptance_date')",
        ),
        (
            6,
            "declaration_number",
            "declaration_number (column 'declaration_number'): not a declaration number (10 to "
            "20 letters or digits; dashes and spaces are ignored)",
        ),
        (
            7,
            "shipped",
            "shipped (column 'shipped'): not a shipped flag (Y or N, after the mapping's "
            "value_maps)",
        ),
    ]
    first = found[0]
    assert isinstance(first, Quarantined) and first.raw["currency"] == "WON"


def test_elements_spanning_read_chunks_are_parsed_whole(tmp_path: Path) -> None:
    """Elements larger than and straddling the 64 KiB read chunks still parse exactly."""
    padding = " " * 70_000
    parts = [text(obj(i), f"1{'0' * (i % 5)}.25") + padding for i in range(1, 6)]
    found = read(write(tmp_path, "[" + ",".join(parts) + "]"))
    amounts = [i.amount for i in found if isinstance(i, ExportDeclaration)]
    assert amounts == [Decimal("10.25"), Decimal("100.25"), Decimal("1000.25"),
                       Decimal("10000.25"), Decimal("1.25")]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"amount": 1,}]', "not valid JSON"),
        ("[" + text(obj(1)) + " " + text(obj(2)) + "]", "expected ',' or ']' between elements"),
        ("[" + text(obj(1)), "not valid JSON"),
        ("[" + text(obj(1)) + "] []", "content after the end of the array"),
    ],
)
def test_broken_array_syntax_is_a_source_error(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read(write(tmp_path, content))


def test_bad_bytes_and_sizes(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"not valid UTF-8 \(near byte 3\)"):
        read(write(tmp_path, b'[{"\xff": 1}]'))
    with pytest.raises(SourceError, match="UTF-16"):
        read(write(tmp_path, "[]".encode("utf-16")))
    big = text(obj(1, buyer_name="B" * 5000))
    with pytest.raises(SourceError, match="longer than 2048 characters"):
        read(write(tmp_path, f"[{big}]"), limits=Limits(max_row_bytes=2048))
    data = big.encode("utf-8") + b"\n\xff\n" + text(obj(2)).encode("utf-8")
    lines = write(tmp_path, data, "d.jsonl")
    long, undecodable, good = read(lines, limits=Limits(max_row_bytes=2048))
    assert isinstance(long, Quarantined) and long.reason == "line longer than 2048 bytes"
    assert isinstance(undecodable, Quarantined)
    assert undecodable.reason == "invalid utf-8 byte sequence at byte 0 of the line"
    assert isinstance(good, ExportDeclaration)


def test_empty_inputs(tmp_path: Path) -> None:
    assert read(write(tmp_path, "[ ]\n")) == []
    assert read(write(tmp_path, "", "empty.jsonl")) == []
    with pytest.raises(SourceError, match="cannot be opened"):
        read(tmp_path / "missing.json")


def test_chunk_boundaries_inside_numbers_characters_and_after_elements(tmp_path: Path) -> None:
    """A number or a multi-byte character cut by the 64 KiB read boundary is read whole, and
    an element ending exactly at the boundary is not mistaken for the end of the file."""
    number_cut = "[" + " " * (65_536 - 4) + "12345]"  # the first read ends after "123"
    (only,) = read(write(tmp_path, number_cut))
    assert isinstance(only, Quarantined) and only.reason == "not a JSON object"
    head = '[{"buyer_name": "'
    syllable_cut = head + "B" * (65_535 - len(head)) + '가온"}]'  # 가 spans bytes 65535-65537
    (named,) = read(write(tmp_path, syllable_cut))
    assert isinstance(named, Quarantined)  # decoded intact; only the number is missing
    assert named.reason == "declaration_number (column 'declaration_number'): missing"
    element = text(obj(1))
    padded = "{" + " " * (65_536 - 1 - len(element.encode("utf-8"))) + element[1:]
    assert len(("[" + padded).encode("utf-8")) == 65_536  # the first read ends at its "}"
    (declared,) = read(write(tmp_path, "[" + padded + "]"))
    assert isinstance(declared, ExportDeclaration) and declared.amount == Decimal("48260.10")


def test_deep_nesting_is_a_source_error(tmp_path: Path) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    with pytest.raises(SourceError, match="nested too deeply"):
        read(write(tmp_path, "[" + deep + "]"))

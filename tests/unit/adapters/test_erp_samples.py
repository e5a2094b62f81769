"""The shipped sample exports: regenerable, readable with their mappings, documented truthfully."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from gateway.adapters.erp import CsvSource, JsonLinesSource, builtin_mapping
from gateway.examples.erp.make_samples import SAMPLES, write_samples
from gateway.ingest import Quarantined, SourceItem
from gateway.model import ExportRecord

SAMPLE_DIR = Path(str(resources.files("gateway.examples.erp")))


def read(name: str, mapping: str, encoding: str = "auto") -> list[SourceItem]:
    return list(CsvSource(SAMPLE_DIR / name, builtin_mapping(mapping), encoding=encoding))


def test_committed_samples_match_the_generator(tmp_path: Path) -> None:
    for path in write_samples(tmp_path):
        assert path.read_bytes() == (SAMPLE_DIR / path.name).read_bytes(), path.name
    assert set(SAMPLES) == {p.name for p in SAMPLE_DIR.iterdir() if p.suffix in (".csv", ".jsonl")}


def test_generic_sample_is_clean_and_reaches_k3() -> None:
    found = read("sample_export.csv", "generic")
    assert len(found) == 40 and all(isinstance(i, ExportRecord) for i in found)
    records = [i for i in found if isinstance(i, ExportRecord)]
    assert len({r.buyer.name for r in records}) >= 6
    assert len({r.buyer.country for r in records}) >= 4
    assert {r.currency for r in records} == {"USD", "EUR", "KRW", "JPY"}
    assert any("\uac00" <= c <= "\ud7a3" for r in records for c in r.buyer.name)
    buckets = Counter((r.buyer.name, r.currency, r.maturity.strftime("%Y-%m")) for r in records)
    assert sum(1 for n in buckets.values() if n >= 4) >= 3
    assert all(r.invoice_date.year == 2026 for r in records)


def test_cp949_sample_needs_cp949() -> None:
    found = read("sample_export_cp949.csv", "generic", encoding="cp949")
    assert len(found) == 20 and all(isinstance(i, ExportRecord) for i in found)
    as_euc_kr = read("sample_export_cp949.csv", "generic", encoding="euc-kr")
    assert {q.reason.split(" at ")[0] for q in as_euc_kr if isinstance(q, Quarantined)} == {
        "invalid euc-kr byte sequence"
    }


def test_sap_sample_with_sap_mapping() -> None:
    found = read("sap_billing_export.csv", "sap_billing")
    records = [i for i in found if isinstance(i, ExportRecord)]
    (credit,) = [i for i in found if isinstance(i, Quarantined)]
    assert len(records) == 12
    assert (credit.row, credit.reason) == (9, "amount (column 'NETWR'): must be greater than zero")
    for record in records:
        (line,) = record.line_items
        assert line.quantity * line.unit_price == record.amount  # NETWR = FKIMG x NETPR, exactly
        assert record.due_date is not None and record.due_date >= record.shipment_date
    first = records[0]
    assert (first.invoice_number, first.invoice_date.isoformat()) == ("0090000001", "2026-02-27")
    assert first.amount == Decimal("58611.42") and first.payment_method.value == "DA"


def test_jsonl_sample_matches_the_csv() -> None:
    jsonl = list(JsonLinesSource(SAMPLE_DIR / "sample_export.jsonl", builtin_mapping("canonical")))
    csv_records = [i for i in read("sample_export.csv", "generic") if isinstance(i, ExportRecord)]
    assert len(jsonl) == 12
    for from_json, from_csv in zip(jsonl, csv_records, strict=False):
        assert isinstance(from_json, ExportRecord)
        assert (
            from_json.invoice_number,
            from_json.amount,
            from_json.currency,
            from_json.buyer.name,
        ) == (from_csv.invoice_number, from_csv.amount, from_csv.currency, from_csv.buyer.name)
        assert from_json.line_items == from_csv.line_items


def readme_table() -> list[tuple[int, str, str]]:
    text = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("## `malformed_export.csv`", 1)[1]
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \|$", section, flags=re.MULTILINE)
    return [(int(line), field.strip("`"), reason.strip("`")) for line, field, reason in rows]


@pytest.mark.parametrize("encoding", ["cp949"])
def test_malformed_sample_matches_its_readme(encoding: str) -> None:
    found = read("malformed_export.csv", "generic", encoding=encoding)
    actual = [
        (i.row, i.field, i.reason)
        if isinstance(i, Quarantined)
        else (int(i.source_ref.split(":")[1]), "(none)", "a valid record")
        for i in found
    ]
    assert actual == readme_table()
    assert len(actual) == 10

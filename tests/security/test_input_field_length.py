"""Over-long fields, one named test per source kind: every text field is bounded at ingest.

Attack: a source row with a huge text value (a buyer name of many kilobytes) to bloat the store,
the policy input and the submission, or to smuggle data out inside a field. Each source kind must
refuse it by ``limits.max_field_chars``, naming the field and the bound, never the value. The
limit here is lowered to 32 characters so small files exercise the real check.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.adapters.customs import (
    CustomsCsvSource,
    CustomsJsonSource,
    UnipassXmlSource,
    builtin_customs_mapping,
)
from gateway.adapters.erp import CsvSource, JsonLinesSource, SqlSource, builtin_mapping
from gateway.adapters.erp.receivables import ReceivablesCsvSource, builtin_receivables_mapping
from gateway.ingest import Quarantined, to_item
from gateway.limits import Limits

EXAMPLES = resources.files("gateway.examples")
LIMITS = Limits(max_field_chars=32)
LONG = "Overlong Buyer Holding Company Ltd"  # 34 characters
assert len(LONG) == 34


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _sample_csv(*parts: str) -> list[dict[str, str]]:
    text = EXAMPLES.joinpath(*parts).read_text("utf-8")
    return [r for r in csv.DictReader(io.StringIO(text)) if "\n" not in "".join(r.values())]


def _canonical_row() -> dict[str, Any]:
    lines = EXAMPLES.joinpath("erp", "sample_export.jsonl").read_text("utf-8").splitlines()
    return dict(json.loads(lines[0]))


def _assert_refused(item: object, field: str) -> None:
    assert isinstance(item, Quarantined), item
    assert item.field == field
    assert item.reason.endswith("longer than 32 characters") and LONG not in item.reason


def test_erp_csv_over_long_field_is_refused(tmp_path: Path) -> None:
    rows = _sample_csv("erp", "sample_export.csv")[:1]
    rows[0]["buyer_name"] = LONG
    path = tmp_path / "export.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    (item,) = CsvSource(path, builtin_mapping("generic"), limits=LIMITS)
    _assert_refused(item, "buyer.name")


def test_erp_jsonl_over_long_field_is_refused(tmp_path: Path) -> None:
    obj = _canonical_row()
    obj["buyer"]["address"] = LONG
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(obj) + "\n", encoding="utf-8")
    (item,) = JsonLinesSource(path, builtin_mapping("canonical"), limits=LIMITS)
    _assert_refused(item, "buyer.address")


def test_erp_jsonl_over_long_line_item_description_is_refused(tmp_path: Path) -> None:
    obj = _canonical_row()
    obj["line_items"][0]["description"] = LONG
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(obj) + "\n", encoding="utf-8")
    (item,) = JsonLinesSource(path, builtin_mapping("canonical"), limits=LIMITS)
    assert isinstance(item, Quarantined) and item.field == "line_items"
    assert item.reason.endswith("item 1: description: longer than 32 characters")


def test_erp_sql_over_long_field_is_refused(tmp_path: Path) -> None:
    obj = _canonical_row()
    row = {k: v for k, v in obj.items() if k not in ("buyer", "line_items")}
    row.update({f"buyer.{k}": v for k, v in obj["buyer"].items()})
    row.update({"amount": str(row["amount"]), "invoice_number": LONG})
    db = tmp_path / "erp.sqlite3"
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE TABLE inv (" + ", ".join(f'"{k}"' for k in row) + ")")
        conn.execute(
            "INSERT INTO inv VALUES (" + ", ".join("?" for _ in row) + ")", list(row.values())
        )
        conn.commit()
    finally:
        conn.close()
    source = SqlSource(
        f"sqlite:///{db}", "SELECT * FROM inv", builtin_mapping("canonical"), limits=LIMITS
    )
    (item,) = source
    _assert_refused(item, "invoice_number")


def test_webhook_push_over_long_field_is_refused() -> None:
    """The push endpoint hands each pushed record to ``to_item`` with the runtime's limits."""
    obj = _canonical_row()
    raw = {k: v for k, v in obj.items() if k not in ("buyer", "line_items")}
    raw.update({f"buyer.{k}": v for k, v in obj["buyer"].items()})
    raw = {k: None if v is None else str(v) for k, v in raw.items()}
    raw["description"] = LONG
    item = to_item(raw, builtin_mapping("canonical"), source="push", row=1, limits=LIMITS)
    _assert_refused(item, "description")


def test_customs_csv_over_long_field_is_refused(tmp_path: Path) -> None:
    rows = _sample_csv("customs", "declarations.csv")[:1]
    rows[0]["buyer_name"] = LONG
    path = tmp_path / "declarations.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    source = CustomsCsvSource(path, builtin_customs_mapping("customs_en"), limits=LIMITS)
    (item,) = source
    _assert_refused(item, "buyer_name")


def test_customs_json_over_long_field_is_refused(tmp_path: Path) -> None:
    declarations = json.loads(EXAMPLES.joinpath("customs", "declarations.json").read_text("utf-8"))
    declarations[0]["bl_number"] = LONG
    path = tmp_path / "declarations.json"
    path.write_text(json.dumps(declarations[:1]), encoding="utf-8")
    (item,) = CustomsJsonSource(path, limits=LIMITS)
    _assert_refused(item, "bl_number")


def test_unipass_xml_over_long_element_is_refused(tmp_path: Path) -> None:
    text = EXAMPLES.joinpath("customs", "unipass_export_status.xml").read_text("utf-8")
    path = tmp_path / "status.xml"
    path.write_text(text.replace("HDMU275068453", LONG, 1), encoding="utf-8")
    items = list(UnipassXmlSource(path, limits=LIMITS))
    _assert_refused(items[0], "bl_number")
    assert not any(isinstance(i, Quarantined) for i in items[1:])


def test_receivables_csv_over_long_field_is_refused(tmp_path: Path) -> None:
    rows = _sample_csv("erp", "receivables.csv")[:1]
    rows[0]["buyer_name"] = LONG
    path = tmp_path / "receivables.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    (item,) = ReceivablesCsvSource(path, builtin_receivables_mapping(), limits=LIMITS)
    assert isinstance(item, Quarantined) and "32 characters" in item.reason
    assert LONG not in item.reason

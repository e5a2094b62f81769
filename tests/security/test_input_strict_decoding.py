"""Strict decoding: undecodable bytes and replacement characters never become stored data.

Attacks: a file with bytes invalid in its declared encoding (so that a lenient reader would turn
them into U+FFFD and merge or corrupt a buyer name), a file already mangled by a lossy upstream
(it *contains* U+FFFD), and JSON escapes that produce U+FFFD or unpaired surrogates. Each must be
quarantined with the file, row, field (or byte offset) and a reason, never the value; and nothing
holding U+FFFD or a surrogate is stored, even in the local quarantine (real SQLite stores).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.customs import CustomsCsvSource, CustomsJsonSource, builtin_customs_mapping
from gateway.adapters.erp import CsvSource, JsonLinesSource, SqlSource, builtin_mapping
from gateway.errors import SourceError
from gateway.ingest import Quarantined
from gateway.model import ExportDeclaration, ExportRecord
from gateway.store import SqliteStore

EXAMPLES = resources.files("gateway.examples")
MARK = "QQMARKQQ"


def _csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _erp_rows() -> list[dict[str, str]]:
    text = EXAMPLES.joinpath("erp", "sample_export.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r for r in rows if "\n" not in "".join(r.values())][:3]


def _customs_rows() -> list[dict[str, str]]:
    text = EXAMPLES.joinpath("customs", "declarations.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))[:3]


def _jsonl_objects() -> list[dict[str, Any]]:
    lines = EXAMPLES.joinpath("erp", "sample_export.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[:3]]


def _store_roundtrip(tmp_path: Path, items: list[Any]) -> str:
    """Store the quarantined items in a real SQLite store; the stored raw JSON, concatenated."""
    store = SqliteStore(tmp_path / "gateway.db")
    store.begin_run("run-decoding", ["src"])
    store.add_quarantine("run-decoding", [i for i in items if isinstance(i, Quarantined)])
    conn = sqlite3.connect(tmp_path / "gateway.db")
    try:
        return "".join(row[0] for row in conn.execute("SELECT raw_json FROM quarantine"))
    finally:
        conn.close()


def test_csv_undecodable_bytes_are_quarantined_naming_file_row_and_byte(tmp_path: Path) -> None:
    """A Latin-1 byte in a UTF-8 export is not "repaired" into U+FFFD: the row is quarantined
    with the file, its line and the byte offset, and the next row is still read."""
    rows = _erp_rows()
    rows[1] = {**rows[1], "buyer_name": MARK}
    data = _csv_text(rows).encode("utf-8")
    line = data.split(b"\n")[2]
    data = data.replace(MARK.encode(), b"M\xfcller AG")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    items = list(CsvSource(path, builtin_mapping("generic"), encoding="utf-8"))
    bad = items[1]
    assert isinstance(bad, Quarantined)
    at = line.index(MARK.encode()) + 1
    assert (bad.source, bad.row, bad.field) == ("export.csv", 3, "<row>")
    assert bad.reason == f"invalid utf-8 byte sequence at byte {at} of the row"
    assert bad.raw == {} and "ller" not in bad.reason
    assert isinstance(items[0], ExportRecord) and isinstance(items[2], ExportRecord)


def test_jsonl_undecodable_bytes_are_quarantined_naming_line_and_byte(tmp_path: Path) -> None:
    objects = _jsonl_objects()
    objects[1]["buyer"]["name"] = MARK
    lines = [json.dumps(o, ensure_ascii=False).encode("utf-8") for o in objects]
    at = lines[1].index(MARK.encode()) + 1
    lines[1] = lines[1].replace(MARK.encode(), b"M\xfcller AG")
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(JsonLinesSource(path, builtin_mapping("canonical")))
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert (bad.source, bad.row, bad.field) == ("export.jsonl", 2, "<line>")
    assert bad.reason == f"invalid utf-8 byte sequence at byte {at} of the line"
    assert bad.raw == {}
    assert isinstance(items[0], ExportRecord) and isinstance(items[2], ExportRecord)


def test_customs_csv_undecodable_bytes_are_quarantined_naming_row_and_byte(
    tmp_path: Path,
) -> None:
    """A Korean name cut in the middle of a UTF-8 sequence (a broken download) is quarantined."""
    rows = _customs_rows()
    rows[1] = {**rows[1], "buyer_name": MARK}
    data = _csv_text(rows).encode("utf-8")
    line = data.split(b"\n")[2]
    data = data.replace(MARK.encode(), "한".encode()[:2] + "빛전자".encode())
    path = tmp_path / "declarations.csv"
    path.write_bytes(data)
    items = list(CustomsCsvSource(path, builtin_customs_mapping("customs_en"), encoding="utf-8"))
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert (bad.source, bad.row, bad.field) == ("declarations.csv", 3, "<row>")
    assert (
        bad.reason == f"invalid utf-8 byte sequence at byte {line.index(MARK.encode())} of the row"
    )
    assert bad.raw == {}
    assert isinstance(items[0], ExportDeclaration) and isinstance(items[2], ExportDeclaration)


def test_customs_json_array_undecodable_bytes_name_the_file_line_and_byte(tmp_path: Path) -> None:
    """A JSON array cannot be resynchronised after bad bytes: the file is refused, saying where."""
    path = tmp_path / "declarations.json"
    path.write_bytes(b'[\n{"buyer_name": "M\xfcller"}\n]\n')
    with pytest.raises(
        SourceError, match=r"declarations.json: not valid UTF-8 \(near byte 19\) on line 2"
    ):
        list(CustomsJsonSource(path))


def test_csv_replacement_character_from_a_lossy_upstream_is_quarantined_and_not_stored(
    tmp_path: Path,
) -> None:
    """An export that an upstream tool already decoded lossily holds U+FFFD (bytes EF BF BD, valid
    UTF-8). The row is quarantined naming the field, and its raw columns are not kept."""
    rows = _erp_rows()
    rows[1] = {**rows[1], "buyer_name": "M\ufffdller AG"}
    path = tmp_path / "export.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    items = list(CsvSource(path, builtin_mapping("generic")))
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (3, "buyer.name")
    assert "U+FFFD" in bad.reason and "ller" not in bad.reason
    assert bad.raw == {}
    assert "\ufffd" not in _store_roundtrip(tmp_path, items)


def test_replacement_character_is_reported_before_any_other_problem(tmp_path: Path) -> None:
    """A row with U+FFFD in a late field and a bad amount is quarantined *for the U+FFFD*, so
    the reason always says the text was mangled (and nothing of the row is stored)."""
    rows = _erp_rows()
    rows[1] = {**rows[1], "description": "Static \ufffd converters", "amount": "abc"}
    path = tmp_path / "export.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    bad = list(CsvSource(path, builtin_mapping("generic")))[1]
    assert isinstance(bad, Quarantined)
    assert bad.field == "description" and "U+FFFD" in bad.reason and bad.raw == {}


def test_jsonl_escaped_replacement_character_is_quarantined(tmp_path: Path) -> None:
    """``"\\ufffd"`` written as a JSON escape is the same mangled text, and is refused too."""
    objects = _jsonl_objects()
    objects[0]["buyer"]["name"] = "M\ufffdller AG"
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="ascii")
    items = list(JsonLinesSource(path, builtin_mapping("canonical")))
    bad = items[0]
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (1, "buyer.name") and "U+FFFD" in bad.reason
    assert "\ufffd" not in _store_roundtrip(tmp_path, items)


def test_jsonl_unpaired_surrogate_is_quarantined_and_cannot_break_the_store(
    tmp_path: Path,
) -> None:
    """``"\\ud800"`` decodes to a lone surrogate, which is not Unicode text and cannot be encoded
    as UTF-8: kept in a quarantined row, it used to make storing the quarantine fail."""
    objects = _jsonl_objects()
    path = tmp_path / "export.jsonl"
    lines = [json.dumps(o) for o in objects]
    lines[0] = lines[0].replace('"EX26-00014"', '"EX26-\\ud800-00014"')
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    items = list(JsonLinesSource(path, builtin_mapping("canonical")))
    bad = items[0]
    assert isinstance(bad, Quarantined)
    assert bad.field == "invoice_number" and "unpaired surrogates" in bad.reason
    assert bad.raw == {}
    stored = _store_roundtrip(tmp_path, items)
    assert "\ud800" not in stored


def test_customs_json_replacement_character_is_quarantined(tmp_path: Path) -> None:
    declarations = json.loads(EXAMPLES.joinpath("customs", "declarations.json").read_text("utf-8"))
    declarations[0]["buyer_name"] = "Hanbit \ufffd America"
    path = tmp_path / "declarations.json"
    path.write_text(json.dumps(declarations[:2]), encoding="utf-8")
    items = list(CustomsJsonSource(path))
    bad = items[0]
    assert isinstance(bad, Quarantined)
    assert bad.field == "buyer_name" and "U+FFFD" in bad.reason and bad.raw == {}
    assert isinstance(items[1], ExportDeclaration)


def test_sql_replacement_character_from_a_lossy_driver_is_quarantined(tmp_path: Path) -> None:
    """A database whose text was stored through a lossy conversion: same refusal."""
    db = tmp_path / "erp.sqlite3"
    obj = _jsonl_objects()[0]
    row = {k: v for k, v in obj.items() if k not in ("buyer", "line_items")}
    row.update({f"buyer.{k}": v for k, v in obj["buyer"].items()})
    row["buyer.name"] = "M\ufffdller AG"
    row["amount"] = str(row["amount"])
    conn = sqlite3.connect(db)
    try:
        names = ", ".join(f'"{k}"' for k in row)
        conn.execute(f"CREATE TABLE invoices ({names})")
        conn.execute(
            f"INSERT INTO invoices VALUES ({', '.join('?' for _ in row)})", list(row.values())
        )
        conn.commit()
    finally:
        conn.close()
    source = SqlSource(f"sqlite:///{db}", "SELECT * FROM invoices", builtin_mapping("canonical"))
    (bad,) = list(source)
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (1, "buyer.name") and "U+FFFD" in bad.reason
    assert bad.raw == {}

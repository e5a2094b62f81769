"""``gateway ledger verify|export`` on a real configuration and store, run in-process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.crypto import SigningKey
from gateway.ledger import LedgerEntry
from gateway.settings import load_settings
from gateway.sign import build_jwks
from gateway.store import SqliteStore

runner = CliRunner()


@pytest.fixture
def configured(
    tmp_path: Path, build_ledger: Callable[[int], Any]
) -> tuple[Path, list[LedgerEntry]]:
    """A configuration whose store holds 3 delivered submissions and their ledger entries.

    The store's clock is fixed at the time ``build_ledger`` records, so the stored chain is the
    one the signed receipts countersigned.
    """
    done = runner.invoke(app, ["init", str(tmp_path / "conf"), "--exporter-id", "KR-EXP-0001",
                               "--paillier-bits", "2048"])
    assert done.exit_code == 0, done.output
    config = tmp_path / "conf" / "gateway.toml"
    settings = load_settings(config)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = SqliteStore(settings.store_path, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    store.begin_run("run_1")
    evidence = build_ledger(3)
    for i, entry in enumerate(evidence.entries):
        store.put_submission(entry.submission_id, run_id="run_1", sequence=i,
                             jws=evidence.submissions[entry.submission_id],
                             payload_sha256=entry.payload_sha256,
                             policy_version=entry.policy_version)
        store.mark_delivered(entry.submission_id, evidence.receipts[entry.receipt_id],
                             entry.receipt_id)
        store.append_ledger(submission_id=entry.submission_id,
                            payload_sha256=entry.payload_sha256,
                            policy_version=entry.policy_version,
                            receipt_sha256=entry.receipt_sha256, receipt_id=entry.receipt_id,
                            ledger_anchor=store.ledger_head())
    assert store.ledger_entries() == evidence.entries  # same chain the receipts countersigned
    return config, store.ledger_entries()


def test_verify_reports_an_intact_ledger_and_its_head(
    configured: tuple[Path, list[LedgerEntry]],
) -> None:
    config, entries = configured
    done = runner.invoke(app, ["ledger", "verify", "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert f"ledger intact: 3 entries, head 2 {entries[2].hash}" in done.stdout


def test_verify_names_the_first_modified_entry(configured: tuple[Path, list[LedgerEntry]]) -> None:
    config, _ = configured
    with sqlite3.connect(load_settings(config).store_path) as conn:
        conn.execute("UPDATE ledger SET recorded_at = '2030-01-01T00:00:00Z' WHERE seq = 1")
    done = runner.invoke(app, ["ledger", "verify", "--config", str(config)])
    assert done.exit_code == 1
    assert "entry 1:" in done.stderr and "modified" in done.stderr


def test_verify_with_an_anchor_detects_truncation(
    configured: tuple[Path, list[LedgerEntry]],
) -> None:
    config, entries = configured
    with sqlite3.connect(load_settings(config).store_path) as conn:
        conn.execute("DELETE FROM ledger WHERE seq = 2")
    plain = runner.invoke(app, ["ledger", "verify", "--config", str(config)])
    assert plain.exit_code == 0  # undetectable without an anchor, by design
    anchor = f"2:{entries[2].hash}"
    done = runner.invoke(app, ["ledger", "verify", "--config", str(config), "--anchor", anchor])
    assert done.exit_code == 1
    assert "entry 2:" in done.stderr and "truncated" in done.stderr


def test_export_then_offline_verify_with_both_key_sets(
    configured: tuple[Path, list[LedgerEntry]],
    tmp_path: Path,
    signing_key: SigningKey,
    insurer_key: SigningKey,
) -> None:
    config, entries = configured
    out = tmp_path / "bundle.json"
    done = runner.invoke(app, ["ledger", "export", "--config", str(config), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.stat().st_mode & 0o077 == 0
    keys = []
    for name, key in (("gw.json", signing_key), ("ins.json", insurer_key)):
        (tmp_path / name).write_text(json.dumps(build_jwks([key])), encoding="utf-8")
        keys.append(str(tmp_path / name))
    args = ["ledger", "verify", "--bundle", str(out), "--gateway-jwks", keys[0],
            "--receipt-jwks", keys[1]]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert f"head 2 {entries[2].hash}" in done.stdout

    bundle = json.loads(out.read_text(encoding="utf-8"))
    rid = entries[0].receipt_id
    bundle["receipts"][rid] = bundle["receipts"][rid][:-4] + "AAAA"
    out.write_text(json.dumps(bundle), encoding="utf-8")
    done = runner.invoke(app, args)
    assert done.exit_code == 1 and "entry 0:" in done.stderr


@pytest.mark.parametrize(
    "args", [["ledger", "verify"], ["ledger", "verify", "--bundle", "x", "--config", "y"],
             ["ledger", "verify", "--bundle", "x", "--anchor", "3:short"]],
)
def test_bad_invocations_are_refused_with_exit_2(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "x").write_text("{}", encoding="utf-8")
    done = runner.invoke(app, [a if a not in ("x", "y") else str(tmp_path / a) for a in args])
    assert done.exit_code == 2

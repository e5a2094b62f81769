"""The disclosure ledger over real syncs: each delivery is an entry, each receipt countersigns the
head the submission carried, and an auditor's offline check with the insurer's receipt as anchor
catches a truncated tail. Real CLI subprocesses, real reference insurer on loopback."""

from __future__ import annotations

import base64
import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app, load_config, serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.settings import load_settings
from gateway.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


def _payload(jws: str) -> dict:  # type: ignore[type-arg]
    segment = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ledger_chains_deliveries_and_receipts_countersign_the_head(tmp_path: Path) -> None:
    keys = generate_gateway_keys(tmp_path / "keys", "exporter-ledger")
    insurer = create_dev_insurer(
        tmp_path / "insurer",
        gateway_jwks=keys.jwks,
        exporter_id="exporter-ledger",
        paillier_bits=2048,
    )
    server = serve_in_thread(create_app(load_config(insurer.config_path)))
    sample = ROOT / "examples" / "erp" / "sample_export.csv"
    with sample.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    export = tmp_path / "export.csv"

    def write(n: int) -> None:
        with export.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows[:n])

    try:
        config = write_config(
            tmp_path,
            exporter_id="exporter-ledger",
            keys=keys,
            insurer=insurer,
            sources=[("erp", export)],
            insurer_url=server.base_url,
        )
        write(20)
        assert _gateway("sync", "--config", str(config)).returncode == 0
        write(40)  # the next export has more invoices: a new disclosure
        assert _gateway("sync", "--config", str(config)).returncode == 0
    finally:
        server.stop()
    store_path = load_settings(config).store_path
    with SqliteStore(store_path) as store:
        entries = store.ledger_entries()
        subs = {s.submission_id: s for s in store.list_submissions()}
        receipts = {sid: store.get_receipt(sid) for sid in subs}
    assert len(entries) == 2 and [e.seq for e in entries] == [0, 1]
    second = subs[entries[1].submission_id]
    assert _payload(second.jws)["ledger"] == {"seq": 0, "hash": entries[0].hash}
    receipt = receipts[entries[1].submission_id]
    assert receipt is not None
    assert _payload(receipt.receipt_jws)["ledger"] == {"seq": 0, "hash": entries[0].hash}

    verified = _gateway("ledger", "verify", "--config", str(config))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ledger intact: 2 entries" in verified.stdout

    bundle = tmp_path / "audit.json"
    assert (
        _gateway("ledger", "export", "--config", str(config), "--out", str(bundle)).returncode == 0
    )
    offline = _gateway(
        "ledger",
        "verify",
        "--bundle",
        str(bundle),
        "--gateway-jwks",
        str(keys.jwks),
        "--receipt-jwks",
        str(insurer.receipt_jwks_path),
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr

    # Someone drops the newest entry. The insurer's latest receipt countersigned head 0 and the
    # exporter's chain must reach it; with the auditor's anchor for entry 1 the gap shows.
    with sqlite3.connect(store_path) as conn:
        conn.execute("DELETE FROM ledger WHERE seq = 1")
    anchor = f"1:{entries[1].hash}"
    broken = _gateway("ledger", "verify", "--config", str(config), "--anchor", anchor)
    assert broken.returncode == 1
    assert "entry 1" in broken.stdout + broken.stderr

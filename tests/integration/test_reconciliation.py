"""Customs reconciliation through the real pipeline: no cleared export is ever left unattached.

Real parts: the embedded Rego engine with the default policy, an SQLite store in tmp_path,
generated keys, the Korean business calendar; the `gateway reconcile` command runs as a real
subprocess over the shipped sample files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from gateway.booking import ReconcileSetup
from gateway.crypto import PaillierPrivateKey, SigningKey, generate_signing_key
from gateway.deadlines import DeadlineSettings
from gateway.devsetup import create_dev_insurer, write_config
from gateway.keys import generate_gateway_keys
from gateway.model import RecordOrigin
from gateway.pipeline import Pipeline, Runtime
from gateway.reconcile import MatchKind, ReconcileConfig
from gateway.reconcile.synthetic import generate
from gateway.sign import build_jwks
from gateway.store import SqliteStore
from gateway.verify import verify_submission
from tests.support import default_policy_runtime

ROOT = Path(__file__).resolve().parents[2]


def _runtime(signing_key: SigningKey, paillier: PaillierPrivateKey, fx: dict) -> Runtime:  # type: ignore[type-arg]
    rule, calendar = DeadlineSettings().build()
    return default_policy_runtime(
        exporter_id="exporter-recon",
        insurer_id="insurer-recon",
        signing_key=signing_key,
        paillier_public_key=paillier.public_key,
        receipt_key=generate_signing_key(),
        reconcile=ReconcileSetup(config=ReconcileConfig(fx=fx), rule=rule, calendar=calendar),
    )


@pytest.mark.slow
def test_erp_missing_five_percent_every_cleared_shipment_is_attached_or_held_with_a_reason(
    tmp_path: Path, signing_key: SigningKey, paillier_keypair: PaillierPrivateKey
) -> None:
    synth = generate(2000, seed=20260301, missing_pct=5, start=date(2026, 1, 5), days=300)
    runtime = _runtime(signing_key, paillier_keypair, dict(synth.fx))
    store = SqliteStore(tmp_path / "store.sqlite3")
    result = Pipeline(runtime, store).process(
        {"erp": list(synth.erp)}, {"customs": list(synth.declarations)}, as_of=synth.as_of
    )
    summary = result.reconciliation
    assert summary is not None
    customs = result.sources["customs"]
    shipped = [d for d in synth.declarations if d.shipped]
    unshipped = len(synth.declarations) - len(shipped)
    # Every cleared (shipped) declaration is attached, or withheld as a conflict with a reason;
    # what is pending is declarations not shipped yet (a split shipment's unshipped part rides
    # on its invoice, which is attached once any part has left).
    assert customs.read == len(synth.declarations) and customs.balanced()
    assert 0 < customs.pending <= unshipped
    # Each declaration is booked exactly once (the account balances), and no shipped one is
    # among the pending: so every shipped declaration is attached or withheld as a conflict.
    pending = {n for p in summary.pending for n in p["declarations"]}
    assert not [d for d in shipped if d.declaration_number in pending]
    assert all(c["reason"].startswith("reconcile.conflict.") for c in summary.conflicts)
    assert all(reason.startswith("reconcile.conflict.") for reason in customs.withheld)
    expected_conflicts = sum(1 for k in synth.expected.values() if k is MatchKind.CONFLICT)
    assert sum(customs.withheld.values()) == expected_conflicts
    # The shipments the ERP forgot are exactly the ones reported as auto-attached.
    forgotten = {
        d.declaration_number
        for d in shipped
        if synth.expected[d.declaration_number] is MatchKind.CUSTOMS_ONLY
    }
    assert forgotten, "the generated data must contain forgotten shipments"
    assert {a["declaration_number"] for a in summary.auto_attached} == forgotten
    # ...and reach the insurer marked as attached from customs.
    origins: Counter[str] = Counter()
    for sub_id in result.submissions:
        jws = store.get_submission(sub_id).jws  # type: ignore[union-attr]
        payload = verify_submission(jws, build_jwks([signing_key]), paillier_keypair.public_key)
        origins.update(str(a.get("origin")) for a in payload.payload.attachments)
    assert origins[RecordOrigin.CUSTOMS.value] == len(forgotten)
    assert origins[RecordOrigin.ERP.value] == 0  # with customs configured, nothing is unreconciled
    for account in result.sources.values():
        assert account.balanced()


def test_gateway_reconcile_reports_the_forgotten_shipment_without_sending(tmp_path: Path) -> None:
    keys = generate_gateway_keys(tmp_path / "keys", "exporter-cli")
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id="exporter-cli", paillier_bits=2048
    )
    examples = ROOT / "examples"
    config = write_config(
        tmp_path,
        exporter_id="exporter-cli",
        keys=keys,
        insurer=insurer,
        sources=[("erp", examples / "erp" / "sample_export.csv")],
        customs=[("customs", examples / "customs" / "declarations.csv", "customs_en")],
        receivables=examples / "erp" / "receivables.csv",
        insurer_url="http://127.0.0.1:9",  # nothing listens: reconcile must not send anything
    )
    out = tmp_path / "reconcile.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "reconcile",
            "--config",
            str(config),
            "--json",
            str(out),
            "--as-of",
            "2026-03-12",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [a["declaration_number"] for a in report["auto_attached"]] == ["43017261347553"]
    assert report["counts"]["conflict"] == 0
    assert report["counts"]["not_shipped"] == 1
    assert report["counts"]["continuing_export_warnings"] == 4
    assert "auto-attached from customs" in done.stdout
    with SqliteStore(tmp_path / "data" / "gateway.sqlite3") as store:
        assert store.list_submissions() == []  # a report, not a sync
    assert "Ferreira" not in done.stdout + out.read_text(encoding="utf-8")  # no buyer names


def test_gateway_reconcile_without_customs_says_what_is_missing(tmp_path: Path) -> None:
    keys = generate_gateway_keys(tmp_path / "keys", "exporter-cli")
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id="exporter-cli", paillier_bits=2048
    )
    config = write_config(tmp_path, exporter_id="exporter-cli", keys=keys, insurer=insurer)
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "no [[customs]] source configured" in done.stderr

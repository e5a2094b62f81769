"""``gateway hub init|register|release|status`` as an operator runs them (the Typer app in
process; ``serve`` is exercised over real HTTP in tests/integration/test_hub.py).

Real files: the hub directory ``init`` writes, exporters' JWKS files, the SQLite store; the
push goes to a loopback stand-in for the insurer's endpoint (``hub_support.Receiver``).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.crypto import PaillierPrivateKey
from gateway.examples.insurer_api import serve_in_thread
from gateway.hub.operations import accept_contribution
from gateway.hub.runtime import load_hub_runtime
from gateway.hub.settings import load_hub_settings
from gateway.hub.store import HubStore
from gateway.keys import write_public_file
from tests.unit.hub.hub_support import (
    NOW,
    PERIOD,
    Receiver,
    bk,
    free_port,
    make_exporters,
    receiver_app,
    write_insurer_key,
)


def hub(*args: str) -> Result:
    return CliRunner().invoke(app, ["hub", *args], env={"COLUMNS": "200"})


def init(tmp_path: Path, paillier: PaillierPrivateKey, *extra: str) -> Path:
    key = write_insurer_key(tmp_path / "insurer", paillier.public_key)
    done = hub("init", str(tmp_path / "hub"), "--hub-id", "hub-cli", "--insurer-id", "ins-1",
               "--insurer-paillier-key", str(key), "--fingerprint",
               paillier.public_key.fingerprint, "--k", "2", *extra)
    assert done.exit_code == 0, done.output
    return tmp_path / "hub" / "hub.toml"


def test_init_writes_config_key_and_jwks(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    config = init(tmp_path, paillier_keypair)
    settings = load_hub_settings(config)
    jwks = json.loads((config.parent / "jwks.json").read_text())
    runtime = load_hub_runtime(settings, {})
    assert jwks["keys"][0]["kid"] == runtime.signing_key.kid
    assert stat.S_IMODE(settings.signing_key.stat().st_mode) == 0o600
    assert "PRIVATE" not in (config.parent / "jwks.json").read_text()
    again = hub("init", str(tmp_path / "hub"), "--hub-id", "h", "--insurer-id", "i",
                "--insurer-paillier-key", str(tmp_path / "insurer" / "paillier_public.json"),
                "--fingerprint", paillier_keypair.public_key.fingerprint)
    assert again.exit_code == 2 and "refusing to overwrite" in again.output


def test_register_release_push_and_status(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    port = free_port()
    config = init(tmp_path, paillier_keypair, "--insurer-url", f"http://127.0.0.1:{port}")
    exporters = make_exporters(2)
    for e in exporters:
        path = write_public_file(tmp_path / f"{e.exporter_id}.json", json.dumps(e.jwks).encode())
        done = hub("register", e.exporter_id, "--jwks", str(path), "--config", str(config))
        assert done.exit_code == 0, done.output
        assert e.key.kid in done.output
    twice = hub("register", "exporter-1", "--jwks", str(tmp_path / "exporter-1.json"),
                "--config", str(config))
    assert twice.exit_code == 2 and "already registered" in twice.output

    settings = load_hub_settings(config)
    runtime = load_hub_runtime(settings, {})
    store = HubStore(settings.store_path)
    for e in exporters:
        accept_contribution(e.contribution({bk("B1"): 5, bk("B2"): 6}, runtime.paillier,
                                           hub_id="hub-cli"),
                            store=store, runtime=runtime, now=NOW)

    status = hub("status", "--config", str(config))
    assert status.exit_code == 0, status.output
    assert f"{PERIOD}  open      contributions 2  buckets 2  at k 2" in status.output

    first = hub("release", PERIOD, "--config", str(config))  # nobody listens: push fails
    assert first.exit_code == 2
    assert "2 buckets, 0 remainders, 0 suppressed, 2 contributions" in first.output
    assert "unreachable" in first.output
    stored = store.release_of(PERIOD)
    assert stored is not None and stored.pushed_at is None

    plain = hub("release", PERIOD, "--config", str(config))
    assert plain.exit_code == 2 and "already released; --push" in plain.output

    receiver = Receiver()
    with serve_in_thread(receiver_app(receiver), port=port):
        retried = hub("release", PERIOD, "--push", "--config", str(config))
    assert retried.exit_code == 0, retried.output
    assert receiver.received[0][1] == stored.jws.encode()

    status = hub("status", PERIOD, "--config", str(config))
    assert f"released  contributions 2  buckets 2  at k 2  release {stored.jti} pushed" in (
        status.output)


def test_release_refuses_a_malformed_period_and_an_empty_one(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    config = init(tmp_path, paillier_keypair)
    bad = hub("release", "2026-13", "--config", str(config))
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    empty = hub("release", PERIOD, "--config", str(config))
    assert empty.exit_code == 2 and "has no contribution" in empty.output
    push = hub("release", PERIOD, "--push", "--config", str(config))
    assert push.exit_code == 2


def test_serve_starts_the_service_from_the_configuration(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    """``python -m gateway hub serve`` in a subprocess, without the release token: the service
    answers, the release endpoint is disabled (503)."""
    config = init(tmp_path, paillier_keypair)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "hub", "serve", "--config", str(config),
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "hub_id": "hub-cli"}
        assert httpx.post(f"{url}/v1/periods/{PERIOD}/release", timeout=5).status_code == 503
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "release endpoint disabled" in output

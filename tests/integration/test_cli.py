"""The ``gateway`` command, run as a user runs it: ``python -m gateway ...`` in a subprocess.

Real keys (2048-bit insurer Paillier key), the reference insurer over loopback HTTP, real SQLite
files. The subprocess gets no ``GATEWAY_*`` variables from the test environment.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import pytest

from gateway.devsetup import DevInsurer, create_dev_insurer, write_config
from gateway.examples.insurer_api import RunningServer, create_app, load_config, serve_in_thread
from gateway.keys import GatewayKeyPaths, generate_gateway_keys
from gateway.service import sign_push
from gateway.settings import load_settings
from gateway.store import SqliteStore, SubmissionStatus

EXPORTER = "exporter-cli"
Done = subprocess.CompletedProcess[str]
COMMANDS = (
    "init", "sync", "reconcile", "serve", "demo", "verify", "contribute", "ledger", "outbox",
    "quarantine", "keys", "policy", "users", "hub",
)


def gateway(*args: str, cwd: Path | None = None) -> Done:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.pop("COLUMNS", None)  # rich's default width for a pipe: errors must not wrap anyway
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd, check=False,
    )


@dataclass
class Setup:
    root: Path
    config: Path
    keys: GatewayKeyPaths
    insurer: DevInsurer


def _setup(root: Path, insurer_url: str | None = None) -> Setup:
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    sample = root / "sample_export.csv"
    sample.write_bytes(
        resources.files("gateway.examples").joinpath("erp", "sample_export.csv").read_bytes()
    )
    config = write_config(
        root, exporter_id=EXPORTER, keys=keys, insurer=insurer,
        sources=[("erp", sample)], insurer_url=insurer_url or _closed_port_url(),
    )
    return Setup(root, config, keys, insurer)


def _serve_insurer(insurer: DevInsurer) -> RunningServer:
    return serve_in_thread(create_app(load_config(insurer.config_path)))


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _point_at(config: Path, url: str) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'^url = ".*"$', f'url = "{url}"', text, flags=re.M), "utf-8")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Setup, Done]]:
    """One successful ``gateway sync`` against a running reference insurer."""
    setup = _setup(tmp_path_factory.mktemp("cli-sync"))
    with _serve_insurer(setup.insurer) as server:
        _point_at(setup.config, server.base_url)
        done = gateway("sync", "--config", str(setup.config))
        yield setup, done


def test_help_lists_every_command() -> None:
    done = gateway("--help")
    assert done.returncode == 0
    listed = re.findall(r"^│ (\w+)\s", done.stdout, flags=re.M)
    assert tuple(listed) == COMMANDS


def test_init_writes_a_configuration_and_private_keys_for_the_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "conf"
    done = gateway("init", str(target), "--exporter-id", "KR-EXP-0001", "--paillier-bits", "2048")
    assert done.returncode == 0, done.stderr
    settings = load_settings(target / "gateway.toml")
    assert settings.exporter_id == "KR-EXP-0001"
    private = [
        settings.keys.signing_key,
        settings.keys.pseudonym_key,
        target / "insurer" / "paillier_private.json",
        target / "insurer" / "receipt-key.pem",
    ]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    public = json.loads((target / "keys" / "jwks.json").read_text(encoding="utf-8"))
    assert [k["kty"] for k in public["keys"]] == ["OKP"]
    assert settings.sources[0].path is not None and settings.sources[0].path.is_file()


def test_init_refuses_to_overwrite_an_existing_configuration(tmp_path: Path) -> None:
    target = tmp_path / "conf"
    assert gateway("init", str(target), "--paillier-bits", "2048").returncode == 0
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    again = gateway("init", str(target), "--paillier-bits", "2048")
    assert again.returncode == 2
    assert "refusing to overwrite" in again.stderr
    assert "Traceback" not in again.stderr
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


def test_sync_against_a_running_insurer_exits_0_and_prints_the_account(
    synced: tuple[Setup, Done],
) -> None:
    setup, done = synced
    assert done.returncode == 0, done.stderr
    assert "Account of run_" in done.stdout
    total = re.search(r"│ total\s+│\s+(\d+)\s+│\s+(\d+)\s+│\s+(\d+)\s+│\s+(\d+)", done.stdout)
    assert total is not None, done.stdout
    read, attached, withheld, quarantined = map(int, total.groups())
    assert read == 40 and attached + withheld + quarantined == read
    assert "delivered: 1, failed: 0" in done.stdout
    with SqliteStore(load_settings(setup.config).store_path) as store:
        assert [s.status for s in store.list_submissions()] == [SubmissionStatus.DELIVERED]


def test_sync_with_a_broken_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        'exporter_id = "exporter-cli"\ndata_dir = "data"\ncolour = "blue"\n'
        '[keys]\nsigning_key = "keys/signing.pem"\npseudonym_key = "keys/pseudonym.key"\n',
        encoding="utf-8",
    )
    done = gateway("sync", "--config", str(config))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ConfigError") and "colour" in lines[0]


def test_sync_with_a_missing_configuration_says_to_run_init(tmp_path: Path) -> None:
    done = gateway("sync", "--config", str(tmp_path / "absent.toml"))
    assert done.returncode == 2
    assert "gateway init" in done.stderr
    assert "Traceback" not in done.stderr


def _stored_jws(setup: Setup) -> str:
    with SqliteStore(load_settings(setup.config).store_path) as store:
        return store.list_submissions()[0].jws


def test_verify_accepts_a_submission_from_the_outbox(
    synced: tuple[Setup, Done], tmp_path: Path
) -> None:
    setup, _ = synced
    submission = tmp_path / "submission.jws"
    submission.write_text(_stored_jws(setup), encoding="ascii")
    done = gateway(
        "verify", str(submission), "--jwks", str(setup.keys.jwks),
        "--paillier-key", str(setup.insurer.paillier_public_key), "--audience", "reference-insurer",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("verified submission sub_")
    assert f"signed by kid {setup.keys.kid} for exporter {EXPORTER}" in done.stdout


def test_verify_refuses_a_tampered_signature(synced: tuple[Setup, Done], tmp_path: Path) -> None:
    setup, _ = synced
    jws = _stored_jws(setup)
    flipped = "A" if jws[-10] != "A" else "B"
    submission = tmp_path / "tampered.jws"
    submission.write_text(jws[:-10] + flipped + jws[-9:], encoding="ascii")
    done = gateway(
        "verify", str(submission), "--jwks", str(setup.keys.jwks),
        "--paillier-key", str(setup.insurer.paillier_public_key),
    )
    assert done.returncode == 1
    assert "not verified" in done.stderr
    assert "verified submission" not in done.stdout


def test_a_sync_while_the_insurer_is_down_keeps_the_submission_for_the_next_one(
    tmp_path: Path,
) -> None:
    setup = _setup(tmp_path)  # the configured insurer URL is a closed loopback port
    with setup.config.open("a", encoding="utf-8") as config:  # one attempt per sync, short backoff
        config.write("\n[delivery]\nbase_delay_s = 0.01\nmax_delay_s = 0.05\nwait_s = 0\n")
    down = gateway("sync", "--config", str(setup.config))
    assert down.returncode == 1, down.stderr
    assert "delivered: 0, failed: 1, dead-lettered: 0" in down.stdout
    assert "retried by the next sync" in down.stdout
    store_path = load_settings(setup.config).store_path
    with SqliteStore(store_path) as store:
        (waiting,) = store.pending_submissions()
    assert waiting.status in (SubmissionStatus.PENDING, SubmissionStatus.FAILED)
    assert waiting.attempts == 1

    with _serve_insurer(setup.insurer) as server:
        _point_at(setup.config, server.base_url)
        up = gateway("sync", "--config", str(setup.config))
    assert up.returncode == 0, up.stderr
    assert "delivered: 1, failed: 0, dead-lettered: 0" in up.stdout
    with SqliteStore(store_path) as store:
        assert store.pending_submissions() == []
        done = store.get_submission(waiting.submission_id)
        assert done is not None and done.status is SubmissionStatus.DELIVERED
        assert store.get_receipt(waiting.submission_id) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_service_with_the_secret_from_the_configured_variable(
    tmp_path: Path,
) -> None:
    setup = _setup(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_WEBHOOK_SECRET"] = "serve-Kp3Wz8Lq1Xv6Rm9Tn4Bc7Hy2Jd5Fg0Sa"
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(setup.config),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1].decode()
                assert time.monotonic() < deadline, "gateway serve did not start"
                time.sleep(0.1)
        assert health.json()["exporter_id"] == EXPORTER
        body = json.dumps({"records": [{"invoice_no": "X-1", "amount": "1"}]}).encode()
        denied = httpx.post(f"{base}/v1/records", content=body, timeout=10)
        assert denied.status_code == 401
        accepted = httpx.post(
            f"{base}/v1/records", content=body, timeout=30,
            headers=sign_push(env["GATEWAY_WEBHOOK_SECRET"], body, "cli-serve-1"),
        )
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["read"] == 1
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_init_with_a_relative_directory_writes_a_configuration_that_works(tmp_path: Path) -> None:
    """Settings resolve paths against the configuration's own directory, so the paths init
    writes must not be relative to where it was run."""
    made = gateway("init", "conf", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = gateway("sync", "--config", "conf/gateway.toml", "--no-deliver", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "submissions written: 1" in done.stdout

"""``gateway keys`` as an operator runs it: ``python -m gateway keys ...`` in a subprocess for
the help and ``generate``, the same Typer app in process for the rest (a subprocess costs
seconds of start-up). Real keys on real files; a real configuration with the session's 2048-bit
Paillier key. The subprocess sees no ``GATEWAY_*`` variables from the test run.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.crypto import PaillierPrivateKey
from gateway.keys import load_jwks_file, load_pseudonym_key_file, load_signing_key_file
from gateway.runtime import build_runtime
from gateway.settings import load_settings
from tests.unit.keys.keyconfig import write_key_config

PASSPHRASE = "an operator passphrase 2026"


def gateway(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    clean.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=120, env={**clean, **env}, cwd=cwd, check=False,
    )


def keys(*args: str) -> Result:
    return CliRunner().invoke(app, ["keys", *args], catch_exceptions=False)


@pytest.fixture
def configured(tmp_path: Path, paillier_keypair: PaillierPrivateKey) -> Path:
    return write_key_config(tmp_path / "conf", paillier_keypair).config


def test_keys_help_lists_every_subcommand() -> None:
    done = gateway("keys", "--help")
    assert done.returncode == 0
    commands = done.stdout[done.stdout.index("Commands"):]
    listed = re.findall(r"^│ ([\w-]+)\s", commands, flags=re.M)
    assert listed == ["generate", "rotate", "export-public", "import-paillier", "list"]


def test_generate_writes_owner_only_keys_and_prints_the_config_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = gateway(
        "keys", "generate", "--dir", "keys", "--exporter-id", "KR-EXP-7",
        "--passphrase-env", "GW_PASS", cwd=tmp_path, GW_PASS=PASSPHRASE,
    )
    assert done.returncode == 0, done.stderr
    keys = tmp_path / "keys"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in keys.iterdir()}
    assert modes == {"signing.pem": 0o600, "pseudonym.key": 0o600, "jwks.json": 0o644}
    assert (keys / "signing.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY")
    printed = done.stdout[done.stdout.index("\n[keys]\n"):]
    section = tomllib.loads(printed.split("\ngive ")[0])["keys"]
    assert section == {
        "signing_key": str((keys / "signing.pem").resolve()),
        "signing_key_passphrase_env": "GW_PASS",
        "pseudonym_key": str((keys / "pseudonym.key").resolve()),
    }
    monkeypatch.setenv("GW_PASS", PASSPHRASE)
    kid = load_signing_key_file(section["signing_key"], "GW_PASS").kid
    assert f"signing key kid {kid}" in done.stdout
    assert "KR-EXP-7" in done.stdout


def test_rotate_both_keys_then_the_gateway_starts_with_the_new_ones(configured: Path) -> None:
    settings = load_settings(configured)
    old_signing = load_signing_key_file(settings.keys.signing_key).kid
    old_pseudonym = load_pseudonym_key_file(settings.keys.pseudonym_key).kid
    config_before = configured.read_bytes()
    done = gateway("keys", "rotate", "signing", "--config", str(configured))
    assert done.returncode == 0, done.stderr
    assert keys("rotate", "pseudonym", "--config", str(configured)).exit_code == 0
    assert configured.read_bytes() == config_before  # gateway.toml needs no edit
    exported = keys("export-public", "--config", str(configured))
    assert exported.exit_code == 0, exported.stderr
    runtime = build_runtime(load_settings(configured))
    kids = [jwk["kid"] for jwk in json.loads(exported.stdout)["keys"]]
    assert kids == [runtime.signing_key.kid, old_signing]
    assert runtime.pseudonym_key.kid != old_pseudonym
    assert load_jwks_file(settings.keys.signing_key.parent / "jwks.json") == json.loads(
        exported.stdout
    )
    listed = keys("list", "--config", str(configured), "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = {(row["role"], row["ident"]): row for row in json.loads(listed.stdout)}
    assert rows[("published key", old_signing)]["status"] == "previous"
    assert rows[("signing key", runtime.signing_key.kid)]["mode"] == "0600"
    assert rows[("pseudonym key", runtime.pseudonym_key.kid)]["status"] == "ok"


def test_list_exits_1_and_names_the_problem_when_start_up_would_refuse(configured: Path) -> None:
    settings = load_settings(configured)
    settings.keys.pseudonym_key.chmod(0o604)
    done = keys("list", "--config", str(configured))
    assert done.exit_code == 1
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("pseudonym key"))
    assert " 0604 " in line and "chmod 600" in line


def test_import_paillier_copies_the_key_and_prints_the_insurer_lines(
    configured: Path, tmp_path: Path
) -> None:
    settings = load_settings(configured)
    fingerprint = settings.insurer.paillier_fingerprint
    done = keys(
        "import-paillier", str(settings.insurer.paillier_public_key),
        "--fingerprint", fingerprint, "--dir", str(tmp_path / "imported"),
    )
    assert done.exit_code == 0, done.stderr
    lines = done.stdout[done.stdout.index("paillier_public_key ="):]
    insurer = tomllib.loads(lines)
    assert insurer["paillier_fingerprint"] == fingerprint
    copied = Path(insurer["paillier_public_key"])
    assert copied.parent == (tmp_path / "imported").resolve()
    assert stat.S_IMODE(copied.stat().st_mode) == 0o644

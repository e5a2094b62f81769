"""``gateway users`` as an administrator runs it: the Typer app in process (one subprocess run
proves the console entry point), a real configuration file and a real SQLite store. Passwords
come from the environment or the hidden prompt and never appear in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.auth import authenticate
from gateway.cli import app
from gateway.settings import load_settings
from gateway.store import SqliteStore, UserRecord

PASSWORD = "first sign-in password"
NEW_PASSWORD = "second sign-in password"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A real configuration; only ``data_dir`` matters here (key files are never read)."""
    path = tmp_path / "gateway.toml"
    path.write_text(
        f"""exporter_id = "exporter-kr-001"
data_dir = "{tmp_path / 'data'}"

[keys]
signing_key = "keys/signing.pem"
pseudonym_key = "keys/pseudonym.key"

[insurer]
id = "insurer-test"
url = "http://127.0.0.1:9"
paillier_public_key = "p.json"
paillier_fingerprint = "sha256:{'0' * 64}"
receipt_jwks = "r.json"
""",
        encoding="utf-8",
    )
    return path


def users(config: Path, *args: str, stdin: str | None = None, **env: str) -> Result:
    return CliRunner().invoke(
        app, ["users", *args, "--config", str(config)], input=stdin, env=env,
        catch_exceptions=False,
    )


def stored(config: Path, name: str) -> UserRecord:
    with SqliteStore(load_settings(config).store_path) as store:
        user = store.get_user(name)
    assert user is not None
    return user


def signs_in(config: Path, name: str, password: str) -> bool:
    with SqliteStore(load_settings(config).store_path) as store:
        return authenticate(store, name, password) is not None


def test_add_from_the_environment_then_list(config: Path) -> None:
    added = users(config, "add", "Kim.Lee", "--role", "compliance", "--password-env", "GW_PW",
                  GW_PW=PASSWORD)
    assert added.exit_code == 0, added.output
    assert "added user kim.lee (compliance)" in added.stdout
    listed = users(config, "list", "--json")
    rows = json.loads(listed.stdout)
    assert [(r["username"], r["role"], r["disabled"]) for r in rows] == [
        ("kim.lee", "compliance", False)
    ]
    assert set(rows[0]) == {"username", "role", "created_at", "disabled"}
    table = users(config, "list").stdout
    assert "kim.lee" in table and "compliance" in table
    user = stored(config, "kim.lee")
    for output in (added.output, listed.output, table):
        assert PASSWORD not in output and user.password_hash not in output
        assert "$argon2" not in output
    assert signs_in(config, "kim.lee", PASSWORD)


def test_add_asks_twice_without_echo_and_retries_a_mismatch(config: Path) -> None:
    done = users(config, "add", "lee", "--role", "auditor",
                 stdin=f"{PASSWORD}\nsomething else 123\n{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output
    assert "do not match" in done.output
    assert signs_in(config, "lee", PASSWORD)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short pw 1", "at least 12 characters"), ("kim-the-user", "not be the user name"),
     ("REPLACE_ME please 1", "placeholder")],
)
def test_a_weak_password_is_refused_without_echo(config: Path, password: str, reason: str) -> None:
    done = users(config, "add", "kim-the-user", "--role", "admin", "--password-env", "GW_PW",
                 GW_PW=password)
    assert done.exit_code == 2
    assert reason in done.stderr
    assert password not in done.output
    assert json.loads(users(config, "list", "--json").stdout) == []


def test_refusals_exit_2_with_one_line(config: Path) -> None:
    users(config, "add", "kim", "--role", "admin", "--password-env", "GW_PW", GW_PW=PASSWORD)
    duplicate = users(config, "add", "KIM", "--role", "auditor", "--password-env", "GW_PW",
                      GW_PW=PASSWORD)
    assert duplicate.exit_code == 2 and "already exists" in duplicate.stderr
    unset = users(config, "passwd", "kim", "--password-env", "GW_UNSET_VARIABLE")
    assert unset.exit_code == 2 and "GW_UNSET_VARIABLE is not set" in unset.stderr
    ghost = users(config, "disable", "ghost")
    assert ghost.exit_code == 2 and "no user ghost" in ghost.stderr
    bad_role = users(config, "set-role", "kim", "root")
    assert bad_role.exit_code == 2
    assert stored(config, "kim").role == "admin"


def test_passwd_set_role_disable_enable_end_sessions(config: Path) -> None:
    users(config, "add", "kim", "--role", "auditor", "--password-env", "GW_PW", GW_PW=PASSWORD)
    epochs = [stored(config, "kim").session_epoch]

    changed = users(config, "passwd", "kim", "--password-env", "GW_PW", GW_PW=NEW_PASSWORD)
    assert changed.exit_code == 0 and "sessions have ended" in changed.stdout
    assert NEW_PASSWORD not in changed.output
    assert signs_in(config, "kim", NEW_PASSWORD) and not signs_in(config, "kim", PASSWORD)
    epochs.append(stored(config, "kim").session_epoch)

    assert users(config, "set-role", "kim", "compliance").exit_code == 0
    assert stored(config, "kim").role == "compliance"
    epochs.append(stored(config, "kim").session_epoch)

    assert users(config, "disable", "kim").exit_code == 0
    assert stored(config, "kim").disabled and not signs_in(config, "kim", NEW_PASSWORD)
    assert json.loads(users(config, "list", "--json").stdout)[0]["disabled"] is True
    epochs.append(stored(config, "kim").session_epoch)

    assert users(config, "enable", "kim").exit_code == 0
    assert signs_in(config, "kim", NEW_PASSWORD)
    assert epochs == sorted(set(epochs))


def test_the_console_command_adds_a_user(config: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "users", "add", "ops", "--role", "admin",
         "--password-env", "GW_PW", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env={**clean, "GW_PW": PASSWORD},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "added user ops (admin)" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    assert stored(config, "ops").role == "admin"

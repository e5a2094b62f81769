"""A misconfigured value never reaches the error text: configuration errors end up in logs.

A secret pasted into the wrong key (a password in a port, a database URL with credentials in a
CSV source, an API key under an unknown name, an unterminated string) must be refused with the
file and key named, and without the value. The configuration is a real one written by
``gateway.devsetup`` for freshly generated keys; the CLI is run in a subprocess to check what a
user's terminal (and log collector) would see.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.errors import ConfigError
from gateway.keys import generate_gateway_keys
from gateway.settings import load_settings

SECRET = "Sup3r-S3cret-Hunter2"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    keys = generate_gateway_keys(tmp_path / "keys", "exporter-echo")
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id="exporter-echo",
        paillier_bits=2048,
    )
    return write_config(
        tmp_path, exporter_id="exporter-echo", keys=keys, insurer=insurer,
        sources=[("erp", tmp_path / "export.csv")], insurer_url="http://127.0.0.1:8080",
    )


# name: (where the text goes, the text with {s} for the secret, what the error must name)
MISTAKES = {
    "secret_in_a_number": ("append", '[service]\nport = "{s}"\n', "service.port"),
    "credentials_in_the_insurer_url": (
        "replace", 'url = "https://svc:{s}@insurer.example"', "insurer.url"
    ),
    "unknown_key_holding_a_secret": ("prepend", 'api_key = "{s}"\n', "api_key"),
    "db_url_on_a_csv_source": (
        "append",
        '[[sources]]\nname = "db"\nkind = "csv"\nurl = "postgresql://u:{s}@db/erp"\n',
        "sources",
    ),
    "unterminated_string": ("prepend", 'exporter_id = "{s}\n', "cannot read configuration"),
}


def _break(config: Path, mistake: str) -> Path:
    where, snippet, _ = MISTAKES[mistake]
    snippet = snippet.format(s=SECRET)
    text = config.read_text(encoding="utf-8")
    if where == "replace":
        assert 'url = "http://127.0.0.1:8080"' in text
        text = text.replace('url = "http://127.0.0.1:8080"', snippet)
    else:
        text = snippet + text if where == "prepend" else text + "\n" + snippet
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_misplaced_secret_is_refused_by_key_without_its_value(config: Path, mistake: str) -> None:
    _break(config, mistake)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = caught.value.diagnostics()
    assert MISTAKES[mistake][2] in message
    assert str(config) in message
    assert SECRET not in message and SECRET.lower() not in message.lower()


@pytest.mark.parametrize("mistake", ["secret_in_a_number", "credentials_in_the_insurer_url"])
def test_the_cli_prints_the_refusal_without_the_secret(config: Path, mistake: str) -> None:
    _break(config, mistake)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "sync", "--config", str(config)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert done.returncode == 2
    assert MISTAKES[mistake][2] in done.stderr
    assert SECRET not in done.stdout + done.stderr

"""The consortium key file: generated owner-only, refused when readable, short or a placeholder;
configured in ``[hub]`` and loaded by the runtime at start-up (real keys and configuration)."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from datetime import date
from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey
from gateway.errors import ConfigError, KeyMaterialError
from gateway.keys.consortium_key import generate_consortium_key, load_consortium_key_file
from gateway.runtime import build_runtime
from gateway.settings import Settings, load_settings
from tests.unit.keys.keyconfig import write_key_config


def _write(path: Path, doc: object, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    os.chmod(path, mode)
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_generated_key_is_owner_only_and_loads(tmp_path: Path) -> None:
    made = generate_consortium_key(tmp_path / "sub" / "consortium.key", today=date(2026, 5, 1))
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert re.fullmatch(r"csk-20260501-[0-9a-f]{6}", made.kid)
    key = load_consortium_key_file(made.path)
    assert key.kid == made.kid and len(key.secret) == 32
    other = load_consortium_key_file(generate_consortium_key(tmp_path / "b.key").path)
    assert other.secret != key.secret


def test_an_existing_key_is_never_replaced(tmp_path: Path) -> None:
    made = generate_consortium_key(tmp_path / "consortium.key")
    before = made.path.read_bytes()
    with pytest.raises(KeyMaterialError, match="refusing to overwrite"):
        generate_consortium_key(made.path)
    assert made.path.read_bytes() == before


def test_a_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    made = generate_consortium_key(tmp_path / "consortium.key")
    os.chmod(made.path, 0o640)
    with pytest.raises(KeyMaterialError, match="chmod 600"):
        load_consortium_key_file(made.path)


SECRET = bytes(range(1, 33))


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"kid": "csk-20260501-a1b2c3", "key": _b64(SECRET[:16])}, "16 bytes"),
        ({"kid": "csk-20260501-a1b2c3", "key": _b64(bytes(32))}, "placeholder"),
        ({"kid": "csk-20260501-a1b2c3", "key": "Zq9REPLACE_MEk2"}, "placeholder"),
        ({"kid": "csk-20260501-a1b2c3", "key": _b64(b"\x01\x02" * 16)}, "placeholder"),
        ({"kid": "psk-20260501-a1b2c3", "key": _b64(SECRET)}, "consortium key id"),
        ({"kid": "csk-20260501-a1b2c3", "key": _b64(SECRET), "x": 1}, "expected exactly"),
        ({"kid": "csk-20260501-a1b2c3", "key": 5}, "base64url"),
    ],
    ids=["short", "zeros", "marker", "few-distinct-bytes", "pseudonym-kid", "extra", "not-text"],
)
def test_a_bad_key_file_is_refused_without_showing_its_content(
    doc: dict[str, object], match: str, tmp_path: Path
) -> None:
    path = _write(tmp_path / "consortium.key", doc)
    with pytest.raises(KeyMaterialError, match=match) as caught:
        load_consortium_key_file(path)
    assert str(path) in str(caught.value)
    if isinstance(doc["key"], str):
        assert doc["key"] not in str(caught.value)


# -- configured in [hub] and loaded at start-up -------------------------------------------------


def _with_hub(config: Path, lines: str) -> Settings:
    with config.open("a", encoding="utf-8") as fh:
        fh.write("\n[hub]\n" + lines)
    return load_settings(config)


def test_the_runtime_loads_the_configured_consortium_key(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    kc = write_key_config(tmp_path, paillier_keypair)
    made = generate_consortium_key(tmp_path / "consortium.key")
    settings = _with_hub(
        kc.config, 'url = "https://hub.example.net/"\nhub_id = "hub-1"\n'
        'consortium_key = "consortium.key"\n'
    )
    assert settings.hub is not None and settings.hub.url == "https://hub.example.net"
    runtime = build_runtime(settings)
    assert runtime.consortium_key is not None and runtime.consortium_key.kid == made.kid
    assert build_runtime(load_settings(kc.config)).consortium_key is not None


def test_the_gateways_own_pseudonym_key_is_refused_as_consortium_key(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    kc = write_key_config(tmp_path, paillier_keypair)
    own = json.loads(kc.keys.pseudonym_key.read_text())
    _write(tmp_path / "consortium.key", {"kid": "csk-20260501-a1b2c3", "key": own["key"]})
    settings = _with_hub(
        kc.config, 'url = "https://hub.example.net"\nhub_id = "hub-1"\n'
        'consortium_key = "consortium.key"\n'
    )
    with pytest.raises(KeyMaterialError, match="own pseudonymisation key") as caught:
        build_runtime(settings)
    assert own["key"] not in str(caught.value)


def test_without_a_hub_section_there_is_no_consortium_key(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    kc = write_key_config(tmp_path, paillier_keypair)
    assert build_runtime(load_settings(kc.config)).consortium_key is None


@pytest.mark.parametrize(
    ("lines", "match"),
    [
        ('url = "http://hub.example.net"\nhub_id = "hub-1"\n', "loopback only"),
        ('url = "https://user:pw@hub.example.net"\nhub_id = "hub-1"\n', "without credentials"),
        ('url = "https://hub.example.net"\nhub_id = "REPLACE_ME"\n', "placeholder"),
        ('url = "https://hub.example.net"\n', "hub_id"),
        ('url = "https://h.example.net"\nhub_id = "h"\ntimeout_s = 0\n', "timeout_s"),
    ],
    ids=["plain-http", "credentials", "placeholder", "no-hub-id", "zero-timeout"],
)
def test_a_bad_hub_section_is_refused(
    lines: str, match: str, tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    kc = write_key_config(tmp_path, paillier_keypair)
    with pytest.raises(ConfigError, match=match) as caught:
        _with_hub(kc.config, lines)
    assert "pw@" not in str(caught.value)

"""generate_gateway_keys and the loaders the runtime uses at start-up."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from pathlib import Path

import pytest

from gateway.crypto import b64url_decode, b64url_encode, jwk_thumbprint
from gateway.errors import KeyMaterialError
from gateway.keys import (
    generate_gateway_keys,
    load_jwks_file,
    load_pseudonym_key_file,
    load_signing_key_file,
    write_private_file,
)


def test_generated_files_have_the_documented_formats_and_modes(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path / "keys", "exporter-kr-001", today=date(2026, 3, 9))
    assert {p.name for p in (tmp_path / "keys").iterdir()} == {
        "signing.pem",
        "pseudonym.key",
        "jwks.json",
    }
    assert stat.S_IMODE(paths.signing_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.pseudonym_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.jwks.stat().st_mode) == 0o644
    assert paths.signing_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    pseudonym = json.loads(paths.pseudonym_key.read_text())
    assert set(pseudonym) == {"kid", "key"}
    assert (
        re.fullmatch(r"psk-20260309-[0-9a-f]{6}", pseudonym["kid"])
        and pseudonym["kid"] == paths.pseudonym_kid
    )
    assert len(b64url_decode(pseudonym["key"])) == 32
    jwks = json.loads(paths.jwks.read_text())
    assert [k["kid"] for k in jwks["keys"]] == [paths.kid]
    assert jwk_thumbprint(jwks["keys"][0]) == paths.kid
    assert "d" not in jwks["keys"][0]


def test_generated_keys_load_back(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    signing = load_signing_key_file(paths.signing_key)
    assert signing.kid == paths.kid
    assert load_jwks_file(paths.jwks) == {"keys": [signing.public_jwk()]}
    pseudonym = load_pseudonym_key_file(paths.pseudonym_key)
    assert pseudonym.kid == paths.pseudonym_kid
    other = generate_gateway_keys(tmp_path / "second", "exporter-kr-001")
    assert load_pseudonym_key_file(other.pseudonym_key).secret != pseudonym.secret


def test_generation_never_overwrites_existing_keys(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    before = paths.signing_key.read_bytes()
    with pytest.raises(KeyMaterialError, match="already exists"):
        generate_gateway_keys(tmp_path, "exporter-kr-001")
    assert paths.signing_key.read_bytes() == before


@pytest.mark.parametrize("exporter_id", ["", "has space", "x" * 129, "semi;colon"])
def test_bad_exporter_id_is_refused(tmp_path: Path, exporter_id: str) -> None:
    with pytest.raises(KeyMaterialError, match="exporter id"):
        generate_gateway_keys(tmp_path, exporter_id)
    assert list(tmp_path.iterdir()) == []


def test_passphrase_comes_from_the_named_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001", passphrase=b"s3cret-pass")
    assert paths.signing_key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    monkeypatch.delenv("ECG_TEST_PASSPHRASE", raising=False)
    with pytest.raises(KeyMaterialError, match="ECG_TEST_PASSPHRASE is not set") as info:
        load_signing_key_file(paths.signing_key, "ECG_TEST_PASSPHRASE")
    monkeypatch.setenv("ECG_TEST_PASSPHRASE", "wrong-pass")
    with pytest.raises(KeyMaterialError, match="wrong passphrase") as info:
        load_signing_key_file(paths.signing_key, "ECG_TEST_PASSPHRASE")
    assert "wrong-pass" not in str(info.value) and str(paths.signing_key) in str(info.value)
    monkeypatch.setenv("ECG_TEST_PASSPHRASE", "s3cret-pass")
    assert load_signing_key_file(paths.signing_key, "ECG_TEST_PASSPHRASE").kid == paths.kid


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"kid": "psk-20260101-abcdef"}, "exactly"),
        ({"kid": "psk-20260101-abcdef", "key": "AAAA", "note": "x"}, "exactly"),
        ({"kid": "psk-20260101-abcdef", "key": b64url_encode(bytes(32))}, "placeholder"),
        ({"kid": "psk-20260101-abcdef", "key": b64url_encode(b"\x01\x02" * 8)}, "16 bytes"),
        ({"kid": "psk-20260101-abcdef", "key": "not base64!"}, "base64url"),
        ({"kid": 5, "key": b64url_encode(bytes(range(32)))}, "kid must be a string"),
    ],
)
def test_bad_pseudonym_key_files_are_refused(tmp_path: Path, document: object, reason: str) -> None:
    path = write_private_file(tmp_path / "pseudonym.key", json.dumps(document).encode())
    with pytest.raises(KeyMaterialError, match=reason) as info:
        load_pseudonym_key_file(path)
    assert str(path) in str(info.value)


def test_jwks_file_with_a_private_key_is_refused(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    jwks = json.loads(paths.jwks.read_text())
    jwks["keys"][0]["d"] = b64url_encode(bytes(range(32)))
    paths.jwks.write_text(json.dumps(jwks))
    with pytest.raises(KeyMaterialError, match="private key members"):
        load_jwks_file(paths.jwks)

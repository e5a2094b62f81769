"""rotate_signing_key, rotate_pseudonym_key and retire_private_file on real key files."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from gateway.errors import KeyMaterialError
from gateway.keys import (
    generate_gateway_keys,
    load_jwks_file,
    load_pseudonym_key_file,
    load_signing_key_file,
    retire_private_file,
    rotate_pseudonym_key,
    rotate_signing_key,
    write_private_file,
)

PASSPHRASE = "a long enough passphrase"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_signing_rotation_publishes_the_new_key_first_and_keeps_every_previous_one(
    tmp_path: Path,
) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    first = rotate_signing_key(paths.signing_key)
    second = rotate_signing_key(paths.signing_key)
    assert first.previous_kid == paths.kid
    assert second.previous_kid == first.new_kid
    kids = [jwk["kid"] for jwk in load_jwks_file(paths.jwks)["keys"]]
    assert kids == [second.new_kid, first.new_kid, paths.kid] == list(second.published_kids)
    assert load_signing_key_file(paths.signing_key).kid == second.new_kid
    assert _mode(paths.signing_key) == 0o600 and _mode(paths.jwks) == 0o644
    for rotation in (first, second):
        assert _mode(rotation.retired) == 0o600
        assert load_signing_key_file(rotation.retired).kid == rotation.previous_kid
    assert _mode(tmp_path / "retired") == 0o700


def test_signing_rotation_encrypts_the_new_key_with_the_same_passphrase_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_KEY_PASS", PASSPHRASE)
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001", passphrase=PASSPHRASE.encode())
    done = rotate_signing_key(paths.signing_key, passphrase_env="GW_KEY_PASS")
    assert paths.signing_key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert load_signing_key_file(paths.signing_key, "GW_KEY_PASS").kid == done.new_kid
    with pytest.raises(KeyMaterialError, match="encrypted and no passphrase"):
        load_signing_key_file(paths.signing_key)


def test_signing_rotation_without_a_jwks_file_publishes_old_and_new(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    paths.jwks.unlink()
    done = rotate_signing_key(paths.signing_key)
    assert done.published_kids == (done.new_kid, paths.kid)


def test_signing_rotation_refuses_a_jwks_it_cannot_read_and_changes_nothing(
    tmp_path: Path,
) -> None:
    """Old public keys must never be dropped silently: a corrupt JWKS stops the rotation."""
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    paths.jwks.write_text('{"keys": [{"kty": "RSA"}]}')
    before = paths.signing_key.read_bytes()
    with pytest.raises(KeyMaterialError, match=r"jwks\.json"):
        rotate_signing_key(paths.signing_key)
    assert paths.signing_key.read_bytes() == before
    assert not (tmp_path / "retired").exists()


def test_signing_rotation_with_a_separate_jwks_path(tmp_path: Path) -> None:
    paths = generate_gateway_keys(tmp_path / "keys", "exporter-kr-001")
    published = tmp_path / "public" / "jwks.json"
    published.parent.mkdir()
    done = rotate_signing_key(paths.signing_key, jwks=published)
    assert done.jwks == published
    assert [k["kid"] for k in load_jwks_file(published)["keys"]] == [done.new_kid, paths.kid]
    assert [k["kid"] for k in load_jwks_file(paths.jwks)["keys"]] == [paths.kid]


def test_pseudonym_rotation_gives_a_new_versioned_kid_and_retires_the_old_key(
    tmp_path: Path,
) -> None:
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001", today=date(2026, 1, 5))
    old = load_pseudonym_key_file(paths.pseudonym_key)
    done = rotate_pseudonym_key(paths.pseudonym_key, today=date(2026, 3, 9))
    new = load_pseudonym_key_file(paths.pseudonym_key)
    assert done.previous_kid == old.kid == paths.pseudonym_kid
    assert new.kid == done.new_kid and new.kid.startswith("psk-20260309-")
    assert new.secret != old.secret
    assert done.retired == tmp_path / "retired" / f"pseudonym-{old.kid}.key"
    assert load_pseudonym_key_file(done.retired) == old
    assert _mode(done.retired) == 0o600 and _mode(paths.pseudonym_key) == 0o600


def test_pseudonym_rotation_never_reuses_the_current_or_a_retired_kid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force the random part to repeat: a kid already used in this directory is skipped."""
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001", today=date(2026, 3, 9))
    first_kid = paths.pseudonym_kid
    suffixes = iter([first_kid[-6:], "111111", first_kid[-6:], "222222"])
    monkeypatch.setattr("gateway.keys.gateway_keys.secrets.token_hex", lambda n: next(suffixes))
    first = rotate_pseudonym_key(paths.pseudonym_key, today=date(2026, 3, 9))
    second = rotate_pseudonym_key(paths.pseudonym_key, today=date(2026, 3, 9))
    assert first.new_kid == "psk-20260309-111111"  # the current kid was skipped
    assert second.new_kid == "psk-20260309-222222"  # the retired first kid was skipped


def test_retire_accepts_an_identical_archive_from_an_interrupted_run(tmp_path: Path) -> None:
    key = write_private_file(tmp_path / "k.key", b"old key bytes")
    (tmp_path / "retired").mkdir()
    archive = write_private_file(tmp_path / "retired" / "k-old.key", b"old key bytes")
    retire_private_file(key, archive, b"new key bytes")
    assert key.read_bytes() == b"new key bytes" and archive.read_bytes() == b"old key bytes"


def test_retire_refuses_to_replace_a_different_archive(tmp_path: Path) -> None:
    key = write_private_file(tmp_path / "k.key", b"old key bytes")
    (tmp_path / "retired").mkdir()
    archive = write_private_file(tmp_path / "retired" / "k-old.key", b"another key")
    with pytest.raises(KeyMaterialError, match="already exists with other content"):
        retire_private_file(key, archive, b"new key bytes")
    assert key.read_bytes() == b"old key bytes" and archive.read_bytes() == b"another key"


"""The insurer's Paillier key files: written, pinned, loaded, refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.crypto import encrypt_bucket_totals
from gateway.errors import KeyMaterialError, PaillierKeyError
from gateway.keys import (
    load_paillier_private_key_file,
    load_paillier_public_key_file,
    write_paillier_keypair,
)


def test_keypair_files_round_trip_with_pinned_fingerprint(tmp_path: Path) -> None:
    paths = write_paillier_keypair(tmp_path / "insurer", 2048)
    assert stat.S_IMODE(paths.private_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.public_key.stat().st_mode) == 0o644
    assert set(json.loads(paths.private_key.read_text())) == {"kty", "version", "n", "p", "q"}
    public = load_paillier_public_key_file(paths.public_key, paths.fingerprint)
    private = load_paillier_private_key_file(paths.private_key)
    assert public.fingerprint == private.fingerprint == paths.fingerprint
    assert private.decrypt(encrypt_bucket_totals(public, [-77])[0]) == -77
    with pytest.raises(KeyMaterialError, match="already exists"):
        write_paillier_keypair(tmp_path / "insurer", 2048)


def test_fingerprint_pin_mismatch_is_refused(tmp_path: Path) -> None:
    paths = write_paillier_keypair(tmp_path, 2048)
    with pytest.raises(PaillierKeyError, match="not the pinned one") as info:
        load_paillier_public_key_file(paths.public_key, "sha256:" + "0" * 64)
    assert str(paths.public_key) in str(info.value)


def test_private_key_file_must_be_private_and_well_formed(tmp_path: Path) -> None:
    paths = write_paillier_keypair(tmp_path, 2048)
    paths.private_key.chmod(0o644)
    with pytest.raises(KeyMaterialError, match="accessible by group or others"):
        load_paillier_private_key_file(paths.private_key)
    paths.private_key.chmod(0o600)
    doc = json.loads(paths.private_key.read_text())
    paths.private_key.write_text(json.dumps({**doc, "q": doc["p"]}))
    with pytest.raises(PaillierKeyError, match="do not form the modulus"):
        load_paillier_private_key_file(paths.private_key)


def test_public_key_file_with_duplicate_members_is_refused(tmp_path: Path) -> None:
    paths = write_paillier_keypair(tmp_path, 2048)
    doc = json.loads(paths.public_key.read_text())
    text = f'{{"kty":"Paillier","version":1,"n":"{doc["n"]}","n":"AQAB"}}'
    paths.public_key.write_text(text)
    with pytest.raises(PaillierKeyError, match="duplicate object key"):
        load_paillier_public_key_file(paths.public_key)

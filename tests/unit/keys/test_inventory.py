"""describe_keys and public_jwks on real key files; import_paillier_public_key."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey
from gateway.errors import KeyMaterialError, PaillierKeyError
from gateway.keys import (
    GatewayKeyPaths,
    describe_keys,
    generate_gateway_keys,
    import_paillier_public_key,
    load_paillier_public_key_file,
    public_jwks,
    rotate_signing_key,
    write_public_file,
)


@pytest.fixture
def gateway_keys(tmp_path: Path) -> GatewayKeyPaths:
    return generate_gateway_keys(tmp_path / "keys", "exporter-kr-001")


@pytest.fixture
def paillier_file(tmp_path: Path, paillier_keypair: PaillierPrivateKey) -> Path:
    document = paillier_keypair.public_key.to_document()
    return write_public_file(tmp_path / "insurer.json", json.dumps(document).encode())


def test_describe_keys_lists_ids_fingerprints_and_modes(
    gateway_keys: GatewayKeyPaths, paillier_file: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    rotated = rotate_signing_key(gateway_keys.signing_key)
    entries = describe_keys(
        signing_key=gateway_keys.signing_key,
        passphrase_env=None,
        pseudonym_key=gateway_keys.pseudonym_key,
        paillier_public_key=paillier_file,
        paillier_fingerprint=paillier_keypair.fingerprint,
    )
    got = [(e.role, e.mode, e.ident, e.status) for e in entries]
    assert got == [
        ("signing key", "0600", rotated.new_kid, "ok"),
        ("published key", "0644", rotated.new_kid, "current"),
        ("published key", "0644", gateway_keys.kid, "previous"),
        ("pseudonym key", "0600", gateway_keys.pseudonym_kid, "ok"),
        ("insurer Paillier key", "0644", paillier_keypair.fingerprint,
         "ok, 2048 bits, fingerprint pinned"),
    ]


def test_describe_keys_reports_every_refusal_instead_of_raising(
    gateway_keys: GatewayKeyPaths, paillier_file: Path
) -> None:
    gateway_keys.pseudonym_key.chmod(0o640)
    gateway_keys.signing_key.unlink()
    entries = describe_keys(
        signing_key=gateway_keys.signing_key,
        passphrase_env=None,
        pseudonym_key=gateway_keys.pseudonym_key,
        paillier_public_key=paillier_file,
        paillier_fingerprint="sha256:" + "0" * 64,
        receipt_jwks=gateway_keys.jwks,
    )
    by_role = {e.role: e for e in entries}
    assert by_role["signing key"].mode == "-"
    assert by_role["signing key"].status == "refused: key file does not exist"
    assert by_role["pseudonym key"].mode == "0640"
    assert "chmod 600" in by_role["pseudonym key"].status
    assert "not the pinned one" in by_role["insurer Paillier key"].status
    assert by_role["published key"].status == "previous"  # no current key to match
    assert by_role["insurer receipt key"].ident == gateway_keys.kid


def test_public_jwks_is_the_published_file_and_must_list_the_current_key(
    gateway_keys: GatewayKeyPaths, tmp_path: Path
) -> None:
    assert [k["kid"] for k in public_jwks(gateway_keys.signing_key, None)["keys"]] == [
        gateway_keys.kid
    ]
    other = generate_gateway_keys(tmp_path / "other", "exporter-kr-002")
    with pytest.raises(KeyMaterialError, match="does not list the current signing key"):
        public_jwks(gateway_keys.signing_key, None, other.jwks)
    gateway_keys.jwks.unlink()
    assert public_jwks(gateway_keys.signing_key, None)["keys"][0]["kid"] == gateway_keys.kid


def test_import_copies_the_checked_key_under_its_fingerprint(
    tmp_path: Path, paillier_file: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    fingerprint = paillier_keypair.fingerprint
    done = import_paillier_public_key(paillier_file, tmp_path / "keys", " " + fingerprint.upper())
    assert done.public_key == tmp_path / "keys" / f"paillier_public-{fingerprint[7:23]}.json"
    assert (done.fingerprint, done.bits) == (fingerprint, 2048)
    assert stat.S_IMODE(done.public_key.stat().st_mode) == 0o644
    copied = load_paillier_public_key_file(done.public_key, fingerprint)
    assert copied == paillier_keypair.public_key
    with pytest.raises(KeyMaterialError, match="already exists"):
        import_paillier_public_key(paillier_file, tmp_path / "keys", fingerprint)


@pytest.mark.parametrize("fingerprint", ["", "sha256:abc", "md5:" + "0" * 64, "0" * 71])
def test_import_refuses_a_malformed_fingerprint(
    tmp_path: Path, paillier_file: Path, fingerprint: str
) -> None:
    with pytest.raises(PaillierKeyError, match="64 hex digits"):
        import_paillier_public_key(paillier_file, tmp_path / "keys", fingerprint)
    assert not (tmp_path / "keys").exists()

"""Attacks through ``gateway keys``: a swapped or weak insurer key, clobbered keys, rotation.

The real command (the Typer app, in process) on real key files; the insurer's key is the
session's real 2048-bit Paillier key; weak keys are real moduli (a real 1024-bit Paillier key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gateway.canonical import canonical_json, sha256_hex
from gateway.cli import app
from gateway.crypto import PaillierPrivateKey, _paillier, load_signing_key
from gateway.crypto.b64 import int_to_b64url
from gateway.errors import VerificationError
from gateway.keys import load_pseudonym_key_file, write_public_file
from gateway.sign import SUBMISSION_TYP, build_jwks, sign_submission
from gateway.transform.pseudonyms import pseudonym
from gateway.verify import verify_submission
from tests.unit.keys.keyconfig import write_key_config


def gateway_keys(*args: str) -> Result:
    return CliRunner().invoke(app, ["keys", *args], catch_exceptions=False)


def _weak(tmp_path: Path, n: int) -> Path:
    document = {"kty": "Paillier", "version": 1, "n": int_to_b64url(n)}
    return write_public_file(tmp_path / "offered.json", json.dumps(document).encode())


def _import_refused(tmp_path: Path, offered: Path, fingerprint: str, reason: str) -> None:
    done = gateway_keys("import-paillier", str(offered), "--fingerprint", fingerprint,
                        "--dir", str(tmp_path / "keys"))
    assert done.exit_code == 2
    assert reason in done.stderr
    assert not (tmp_path / "keys").exists()  # nothing copied, no config lines printed
    assert "paillier_fingerprint =" not in done.stdout


def _fingerprint_of(n: int) -> str:
    """The fingerprint a weak key's supplier would publish (computed as the format says)."""
    return "sha256:" + sha256_hex(canonical_json({"kty": "Paillier", "n": int_to_b64url(n)}))


def test_import_paillier_refuses_fingerprint_mismatch(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    """A key file swapped in transit: it is strong, but not the one the insurer published."""
    offered = write_public_file(
        tmp_path / "offered.json", json.dumps(paillier_keypair.public_key.to_document()).encode()
    )
    _import_refused(tmp_path, offered, "sha256:" + "ab" * 32, "not the pinned one")


def test_import_paillier_refuses_1024_bit_key(tmp_path: Path) -> None:
    n, _, _ = _paillier.generate(1024)
    _import_refused(tmp_path, _weak(tmp_path, n), _fingerprint_of(n), "at least 2048 required")


def test_import_paillier_refuses_even_modulus(tmp_path: Path) -> None:
    n = (1 << 2048) + 2
    _import_refused(tmp_path, _weak(tmp_path, n), _fingerprint_of(n), "n is even")


def test_import_paillier_refuses_modulus_with_small_factor(tmp_path: Path) -> None:
    n = 7919 * ((1 << 2050) // 7919 | 1)
    _import_refused(tmp_path, _weak(tmp_path, n), _fingerprint_of(n), "prime factor below 10,000")


def test_generate_refuses_to_overwrite_any_existing_key(tmp_path: Path) -> None:
    """Overwriting a live signing or pseudonymisation key would lose it for good."""
    first = gateway_keys("generate", "--dir", str(tmp_path))
    assert first.exit_code == 0, first.stderr
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "signing.pem").unlink()  # only the pseudonym key and JWKS remain
    again = gateway_keys("generate", "--dir", str(tmp_path))
    assert again.exit_code == 2 and "refusing to overwrite" in again.stderr
    assert not (tmp_path / "signing.pem").exists()  # not even the missing file is written
    assert (tmp_path / "pseudonym.key").read_bytes() == before["pseudonym.key"]


def test_generate_refuses_a_short_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_NEW_PASS", "hunter2")
    done = gateway_keys("generate", "--dir", str(tmp_path / "k"), "--passphrase-env", "GW_NEW_PASS")
    assert done.exit_code == 2 and "at least 12 characters" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert not (tmp_path / "k").exists()


def test_rotate_refuses_a_current_key_that_start_up_would_refuse(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    """A key another user could have copied is compromised: rotating must not launder it."""
    cfg = write_key_config(tmp_path, paillier_keypair)
    cfg.keys.signing_key.chmod(0o644)
    jwks_before = cfg.keys.jwks.read_bytes()
    done = gateway_keys("rotate", "signing", "--config", str(cfg.config))
    assert done.exit_code == 2 and "chmod 600" in done.stderr
    assert cfg.keys.jwks.read_bytes() == jwks_before
    assert not (cfg.keys.signing_key.parent / "retired").exists()


def test_signing_rotation_keeps_submissions_signed_before_it_verifiable(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, submission_payload: dict[str, Any]
) -> None:
    cfg = write_key_config(tmp_path, paillier_keypair)
    old_key = load_signing_key(cfg.keys.signing_key.read_bytes())
    before = sign_submission(submission_payload, old_key)
    assert gateway_keys("rotate", "signing", "--config", str(cfg.config)).exit_code == 0
    exported = gateway_keys("export-public", "--config", str(cfg.config))
    jwks = json.loads(exported.stdout)
    new_key = load_signing_key(cfg.keys.signing_key.read_bytes())
    assert [k["kid"] for k in jwks["keys"]] == [new_key.kid, old_key.kid]
    after = sign_submission(submission_payload, new_key)
    iat = submission_payload["iat"]
    for token, key in ((before, old_key), (after, new_key)):
        verified = verify_submission(token, jwks, paillier_keypair.public_key, now=iat)
        assert verified.kid == key.kid and verified.header["typ"] == SUBMISSION_TYP
    # and a JWKS with only the new key would not have verified the earlier submission
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_submission(before, build_jwks([new_key]), paillier_keypair.public_key, now=iat)


def test_pseudonym_rotation_never_silently_remaps_old_tokens(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    """After rotation the same buyer gets a different token, visibly under another kid; the
    old token cannot be produced with the new key, so nothing is silently remapped."""
    cfg = write_key_config(tmp_path, paillier_keypair)
    old = load_pseudonym_key_file(cfg.keys.pseudonym_key)
    old_token = pseudonym(old, "buyer", "Acme Trading Co.")
    done = gateway_keys("rotate", "pseudonym", "--config", str(cfg.config))
    assert done.exit_code == 0, done.stderr
    new = load_pseudonym_key_file(cfg.keys.pseudonym_key)
    new_token = pseudonym(new, "buyer", "Acme Trading Co.")
    assert old_token.split(".")[1] == old.kid and new_token.split(".")[1] == new.kid
    assert new.kid != old.kid and new_token != old_token
    assert new_token.split(".")[2] != old_token.split(".")[2]  # the MACs differ too
    assert "new token for every buyer" in done.stdout
    retired_path = cfg.keys.pseudonym_key.parent / "retired" / f"pseudonym-{old.kid}.key"
    retired = load_pseudonym_key_file(retired_path)
    assert pseudonym(retired, "buyer", "Acme Trading Co.") == old_token

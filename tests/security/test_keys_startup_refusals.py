"""Attacks and mistakes with key material at start-up: the gateway refuses to run at all.

Each test builds a real configuration (real generated keys, the session's real 2048-bit
Paillier key), breaks one thing, and calls ``build_runtime``, the start-up path of
``gateway sync`` and ``gateway serve``. The error must name the file and the reason and never
contain key material.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    _paillier,
    b64url_encode,
    generate_paillier_keypair,
)
from gateway.crypto.b64 import int_to_b64url
from gateway.errors import GatewayError, KeyMaterialError, PaillierKeyError
from gateway.runtime import build_runtime
from gateway.settings import load_settings
from tests.unit.keys.keyconfig import PASSPHRASE_ENV, KeyConfig, write_key_config

PASSPHRASE = "the right passphrase, 2026"
WRONG = "a wrong passphrase guessed"


@pytest.fixture
def cfg(tmp_path: Path, paillier_keypair: PaillierPrivateKey) -> KeyConfig:
    return write_key_config(tmp_path, paillier_keypair)


@pytest.fixture(scope="module")
def other_paillier_key() -> PaillierPublicKey:
    """A strong key that is not the insurer's (module-scoped: generated once)."""
    return generate_paillier_keypair(2048).public_key


def _start(config: Path) -> None:
    build_runtime(load_settings(config))


def _refused(cfg: KeyConfig, error: type[GatewayError], match: str) -> GatewayError:
    with pytest.raises(error, match=match) as info:
        _start(cfg.config)
    return info.value


def test_startup_succeeds_with_the_untouched_setup(cfg: KeyConfig) -> None:
    """The baseline every refusal below departs from by exactly one change."""
    _start(cfg.config)


def test_startup_refuses_missing_signing_key(cfg: KeyConfig) -> None:
    cfg.keys.signing_key.unlink()
    _refused(cfg, KeyMaterialError, r"signing\.pem: key file does not exist")


def test_startup_refuses_missing_pseudonym_key(cfg: KeyConfig) -> None:
    cfg.keys.pseudonym_key.unlink()
    _refused(cfg, KeyMaterialError, r"pseudonym\.key: key file does not exist")


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_startup_refuses_empty_signing_key(cfg: KeyConfig, content: bytes) -> None:
    cfg.keys.signing_key.write_bytes(content)
    _refused(cfg, KeyMaterialError, r"signing\.pem: key file is empty")


def test_startup_refuses_empty_pseudonym_key(cfg: KeyConfig) -> None:
    cfg.keys.pseudonym_key.write_bytes(b"")
    _refused(cfg, KeyMaterialError, r"pseudonym\.key: key file is empty")


def test_startup_refuses_short_pseudonym_key(cfg: KeyConfig) -> None:
    """A 16-byte HMAC key halves the work of guessing buyer names from tokens."""
    short = bytes(range(1, 17))
    document = {"kid": "psk-20260309-abcdef", "key": b64url_encode(short)}
    cfg.keys.pseudonym_key.write_text(json.dumps(document))
    error = _refused(cfg, KeyMaterialError, "16 bytes; at least 32 required")
    assert b64url_encode(short) not in str(error)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_startup_refuses_group_or_world_readable_signing_key(cfg: KeyConfig, mode: int) -> None:
    cfg.keys.signing_key.chmod(mode)
    _refused(cfg, KeyMaterialError, rf"signing\.pem: .*mode {mode:04o}.*chmod 600")


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_startup_refuses_group_or_world_readable_pseudonym_key(cfg: KeyConfig, mode: int) -> None:
    cfg.keys.pseudonym_key.chmod(mode)
    _refused(cfg, KeyMaterialError, r"pseudonym\.key: .*chmod 600")


def test_startup_refuses_placeholder_signing_key(cfg: KeyConfig) -> None:
    cfg.keys.signing_key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nCHANGEME\n")
    _refused(cfg, KeyMaterialError, r"signing\.pem: looks like a placeholder")


def test_startup_refuses_placeholder_pseudonym_key(cfg: KeyConfig) -> None:
    document = {"kid": "psk-20260309-abcdef", "key": b64url_encode(bytes(32))}
    cfg.keys.pseudonym_key.write_text(json.dumps(document))
    _refused(cfg, KeyMaterialError, r"pseudonym\.key: looks like a placeholder")


def _encrypted_setup(
    tmp_path: Path, paillier: PaillierPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> KeyConfig:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    return write_key_config(tmp_path / "encrypted", paillier, passphrase=PASSPHRASE)


def test_startup_refuses_wrong_passphrase_without_echoing_it(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _encrypted_setup(tmp_path, paillier_keypair, monkeypatch)
    _start(cfg.config)  # the right passphrase starts
    monkeypatch.setenv(PASSPHRASE_ENV, WRONG)
    error = _refused(cfg, KeyMaterialError, "wrong passphrase")
    cause = error.__cause__
    for text in (str(error), repr(error), error.diagnostics(), str(cause), repr(cause)):
        assert WRONG not in text and PASSPHRASE not in text


def test_startup_refuses_unset_passphrase_variable(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _encrypted_setup(tmp_path, paillier_keypair, monkeypatch)
    monkeypatch.delenv(PASSPHRASE_ENV)
    _refused(cfg, KeyMaterialError, "GW_SIGNING_PASSPHRASE is not set or empty")


def _swap_paillier(cfg: KeyConfig, n: int) -> None:
    document = {"kty": "Paillier", "version": 1, "n": int_to_b64url(n)}
    cfg.insurer.paillier_public_key.write_text(json.dumps(document))


def test_startup_refuses_paillier_modulus_under_2048_bits(cfg: KeyConfig) -> None:
    """A real 1024-bit Paillier modulus can be factored; every total would be readable."""
    n, _, _ = _paillier.generate(1024)
    _swap_paillier(cfg, n)
    _refused(cfg, PaillierKeyError, "1024 bits; at least 2048 required")


def test_startup_refuses_even_paillier_modulus(cfg: KeyConfig) -> None:
    _swap_paillier(cfg, (1 << 2048) + 2)
    _refused(cfg, PaillierKeyError, "n is even")


def test_startup_refuses_paillier_modulus_with_small_factor(cfg: KeyConfig) -> None:
    n = 9973 * ((1 << 2050) // 9973 | 1)
    _swap_paillier(cfg, n)
    _refused(cfg, PaillierKeyError, "prime factor below 10,000")


def test_startup_refuses_swapped_paillier_key(
    cfg: KeyConfig, other_paillier_key: PaillierPublicKey
) -> None:
    """A strong key that is not the pinned one: someone else could decrypt the totals."""
    document = other_paillier_key.to_document()
    cfg.insurer.paillier_public_key.write_text(json.dumps(document))
    _refused(cfg, PaillierKeyError, "fingerprint is not the pinned one")

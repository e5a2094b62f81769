"""Attack: harvesting key material from logs, error messages or command output.

Every ``gateway keys`` command runs (in process, real files), in success and failure modes,
with logging captured at DEBUG; then every secret that exists on disk (PEM bodies, raw Ed25519
seeds, pseudonymisation secrets, the Paillier private factors) and every passphrase used is
searched for in all of it. Loader errors are checked the same way: ``str``, ``repr`` and the
full formatted traceback of the exception chain.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.crypto import PaillierPrivateKey, b64url_encode, load_signing_key
from gateway.crypto.b64 import int_to_b64url
from gateway.errors import GatewayError
from gateway.keys import (
    generate_gateway_keys,
    load_pseudonym_key_file,
    load_signing_key_file,
    write_private_file,
)
from tests.unit.keys.keyconfig import PASSPHRASE_ENV, write_key_config

PASSPHRASE = "correct horse battery staple 2026"
WRONG = "incorrect mule battery staple 1999"


def _pem_secrets(path: Path, passphrase: str | None) -> set[str]:
    pem = path.read_bytes()
    found = {line for line in pem.decode().splitlines() if "-----" not in line and len(line) > 12}
    encrypted = b"ENCRYPTED" in pem
    key = load_signing_key(pem, passphrase.encode() if passphrase and encrypted else None)
    seed = key.jws_key().private_bytes_raw()
    return found | {b64url_encode(seed), seed.hex()}


def _pseudonym_secrets(path: Path) -> set[str]:
    secret = load_pseudonym_key_file(path).secret
    return {json.loads(path.read_text())["key"], secret.hex()}


def secrets_on_disk(root: Path, passphrase: str | None) -> set[str]:
    """Every secret in the key files under ``root`` (current and retired)."""
    found: set[str] = set()
    for path in root.rglob("*.pem"):
        path.chmod(0o600)
        found |= _pem_secrets(path, passphrase)
    for path in root.rglob("pseudonym*.key"):
        path.chmod(0o600)
        found |= _pseudonym_secrets(path)
    return found


def assert_no_secret(texts: Iterable[str], secrets: set[str]) -> None:
    haystack = "\n".join(texts)
    flattened = haystack.replace("\n", "").replace(" ", "")  # wrapped output hides nothing
    for secret in secrets:
        assert secret not in haystack and secret not in flattened, "key material leaked"


def test_keys_commands_never_print_or_log_key_material(
    tmp_path: Path,
    paillier_keypair: PaillierPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    cfg = write_key_config(tmp_path, paillier_keypair, passphrase=PASSPHRASE)
    config = ["--config", str(cfg.config)]
    outputs: list[str] = []
    codes: list[int] = []

    def run(*args: str) -> None:
        done = CliRunner().invoke(app, ["keys", *args], catch_exceptions=False)
        outputs.extend([done.stdout, done.stderr])
        codes.append(done.exit_code)

    fresh = str(tmp_path / "fresh")
    run("generate", "--dir", fresh, "--passphrase-env", PASSPHRASE_ENV)
    run("generate", "--dir", fresh, "--passphrase-env", PASSPHRASE_ENV)  # refused: exists
    run("list", *config)
    run("list", "--json", *config)
    run("export-public", *config)
    run("export-public", "--out", str(tmp_path / "exported.json"), *config)
    run("rotate", "signing", *config)
    run("rotate", "pseudonym", *config)
    fingerprint = paillier_keypair.fingerprint
    public = str(cfg.insurer.paillier_public_key)
    run("import-paillier", public, "--fingerprint", fingerprint, "--dir", str(tmp_path / "imp"))
    run("import-paillier", public, "--fingerprint", "sha256:" + "0" * 64)  # refused: mismatch
    monkeypatch.setenv(PASSPHRASE_ENV, WRONG)
    for args in (["list"], ["export-public"], ["rotate", "signing"]):
        run(*args, *config)  # refused (or reported): wrong passphrase
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    cfg.keys.pseudonym_key.chmod(0o644)
    run("rotate", "pseudonym", *config)  # refused: readable by others
    run("list", *config)

    assert codes == [0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 2, 2, 1]
    assert "wrong passphrase" in "".join(outputs) and "rotated" in caplog.text
    secrets = secrets_on_disk(tmp_path, PASSPHRASE)
    secrets |= {PASSPHRASE, WRONG, str(paillier_keypair.p), int_to_b64url(paillier_keypair.p)}
    assert len(secrets) >= 20  # 2 generated + 2 rotated signing keys, 3 pseudonym keys
    assert_no_secret([*outputs, caplog.text], secrets)


def _error_texts(action: Callable[[], object]) -> list[str]:
    with pytest.raises(GatewayError) as info:
        action()
    error: BaseException | None = info.value
    texts = ["".join(traceback.format_exception(info.value))]
    while error is not None:
        texts += [str(error), repr(error)]
        if isinstance(error, GatewayError):
            texts.append(error.diagnostics())
        error = error.__cause__ or error.__context__
    return texts


def test_key_loading_errors_never_contain_key_material(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = generate_gateway_keys(tmp_path / "plain", "exporter-kr-001")
    locked = generate_gateway_keys(
        tmp_path / "locked", "exporter-kr-001", passphrase=PASSPHRASE.encode()
    )
    secret = load_pseudonym_key_file(plain.pseudonym_key).secret
    encoded = b64url_encode(secret)
    kid = plain.pseudonym_kid
    bad = tmp_path / "bad"
    bad.mkdir()

    def pseudonym_file(name: str, content: str) -> Path:
        return write_private_file(bad / name, content.encode())

    monkeypatch.setenv("GW_WRONG", WRONG)
    monkeypatch.setenv("GW_RIGHT", PASSPHRASE)
    truncated = plain.signing_key.read_bytes()[:-40]
    corrupt = write_private_file(bad / "truncated.pem", truncated)
    actions: list[Callable[[], object]] = [
        lambda: load_signing_key_file(locked.signing_key, "GW_WRONG"),
        lambda: load_signing_key_file(plain.signing_key, "GW_RIGHT"),
        lambda: load_signing_key_file(corrupt),
        lambda: load_pseudonym_key_file(pseudonym_file("short", json.dumps(
            {"kid": kid, "key": b64url_encode(secret[:20])}))),
        lambda: load_pseudonym_key_file(pseudonym_file("extra", json.dumps(
            {"kid": kid, "key": encoded, "note": encoded}))),
        lambda: load_pseudonym_key_file(pseudonym_file("padded", json.dumps(
            {"kid": kid, "key": encoded + "="}))),
        lambda: load_pseudonym_key_file(pseudonym_file(
            "duplicate", f'{{"kid": "{kid}", "key": "{encoded}", "key": "{encoded}"}}')),
        lambda: load_pseudonym_key_file(pseudonym_file(
            "broken", f'{{"kid": "{kid}", "key": "{encoded}"')),
        lambda: load_pseudonym_key_file(pseudonym_file("badkid", json.dumps(
            {"kid": "-" + encoded, "key": encoded}))),
    ]
    texts = [text for action in actions for text in _error_texts(action)]
    plain.pseudonym_key.chmod(0o640)
    texts += _error_texts(lambda: load_pseudonym_key_file(plain.pseudonym_key))
    plain.pseudonym_key.chmod(0o600)
    secrets = secrets_on_disk(tmp_path / "plain", None) | secrets_on_disk(
        tmp_path / "locked", PASSPHRASE
    )
    secrets |= {PASSPHRASE, WRONG, b64url_encode(secret[:20])}
    assert_no_secret(texts, secrets)
    # the objects themselves: repr shows ids only
    loaded: list[object] = [
        load_pseudonym_key_file(plain.pseudonym_key),
        load_signing_key_file(plain.signing_key),
    ]
    assert_no_secret([text for obj in loaded for text in (repr(obj), str(obj))], secrets)


def test_export_public_prints_public_keys_only(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> None:
    cfg = write_key_config(tmp_path, paillier_keypair)
    done = CliRunner().invoke(app, ["keys", "export-public", "--config", str(cfg.config)])
    jwks = json.loads(done.stdout)
    assert [set(jwk) for jwk in jwks["keys"]] == [{"kty", "crv", "x", "kid", "alg", "use"}]
    assert_no_secret([done.stdout], secrets_on_disk(tmp_path / "keys", None))

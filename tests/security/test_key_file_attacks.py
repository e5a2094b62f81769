"""Attacks on key material at rest: readable private key files and placeholder keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.crypto import b64url_encode
from gateway.errors import KeyMaterialError
from gateway.keys import (
    generate_gateway_keys,
    load_pseudonym_key_file,
    load_signing_key_file,
    write_private_file,
)


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640])
def test_key_file_world_readable_is_refused(tmp_path: Path, mode: int) -> None:
    """Another local user could copy the signing or pseudonymisation key; refuse to use it."""
    paths = generate_gateway_keys(tmp_path, "exporter-kr-001")
    pem = paths.signing_key.read_text()
    for path, load in (
        (paths.signing_key, load_signing_key_file),
        (paths.pseudonym_key, load_pseudonym_key_file),
    ):
        path.chmod(mode)
        with pytest.raises(KeyMaterialError, match="chmod 600") as info:
            load(path)
        assert pem.splitlines()[1] not in str(info.value)


@pytest.mark.parametrize(
    "document",
    [
        {"kid": "psk-20260101-abcdef", "key": "REPLACE_ME"},
        {"kid": "psk-example-000000", "key": b64url_encode(bytes(range(32)))},
        {"kid": "psk-20260101-abcdef", "key": b64url_encode(bytes(32))},
        {"kid": "psk-20260101-abcdef", "key": b64url_encode(b"CHANGEME" * 4)},
    ],
)
def test_placeholder_key_is_refused(tmp_path: Path, document: dict[str, str]) -> None:
    """A key copied from documentation or a template is public: pseudonyms would be guessable."""
    path = write_private_file(tmp_path / "pseudonym.key", json.dumps(document).encode())
    with pytest.raises(KeyMaterialError, match="placeholder"):
        load_pseudonym_key_file(path)


def test_placeholder_signing_key_file_is_refused(tmp_path: Path) -> None:
    path = write_private_file(
        tmp_path / "signing.pem", b"-----BEGIN PRIVATE KEY-----\nREPLACE_ME\n"
    )
    with pytest.raises(KeyMaterialError, match="placeholder"):
        load_signing_key_file(path)

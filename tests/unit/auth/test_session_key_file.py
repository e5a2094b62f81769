"""The session key file (``gateway.keys.session_key``): created 0600, reused, refused when unsafe.

It lives in ``gateway.keys`` with the other key files; its tests sit with the sign-in tests.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.keys.session_key import load_or_create_session_key


def test_a_missing_key_is_created_owner_only_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "session.key"
    key = load_or_create_session_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key
    assert load_or_create_session_key(path) == key


def test_two_fresh_keys_differ(tmp_path: Path) -> None:
    assert load_or_create_session_key(tmp_path / "a") != load_or_create_session_key(
        tmp_path / "b"
    )


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_group_or_world_readable_key_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "session.key"
    secret = os.urandom(32)
    path.write_bytes(secret)
    path.chmod(mode)
    with pytest.raises(ConfigError, match="group or others") as caught:
        load_or_create_session_key(path)
    assert str(path) in str(caught.value)
    assert secret.hex() not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"0123456789abcdef", "shorter than 32 bytes"),
     (b"REPLACE_ME" * 4, "placeholder")],
)
def test_an_empty_short_or_placeholder_key_is_refused(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "session.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=reason) as caught:
        load_or_create_session_key(path)
    assert str(path) in str(caught.value)
    if content:
        assert content.decode() not in str(caught.value)


def test_a_directory_in_its_place_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    path.mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_or_create_session_key(path)

"""Key files on disk: atomic 0600 writes, refusals on read, no content in errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gateway.errors import KeyMaterialError
from gateway.keys import (
    check_not_placeholder,
    read_private_file,
    read_public_file,
    write_private_file,
    write_public_file,
)

SECRETISH = b"k3y-material-7f1e9a-do-not-echo\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_file_is_written_0600_and_read_back(tmp_path: Path) -> None:
    path = write_private_file(tmp_path / "a.key", SECRETISH)
    assert _mode(path) == 0o600
    assert read_private_file(path) == SECRETISH
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.key"]  # no temp files left


def test_public_file_is_written_0644(tmp_path: Path) -> None:
    path = write_public_file(tmp_path / "jwks.json", b'{"keys":[]}')
    assert _mode(path) == 0o644
    assert read_public_file(path) == b'{"keys":[]}'


def test_existing_file_is_not_overwritten_unless_asked(tmp_path: Path) -> None:
    path = write_private_file(tmp_path / "a.key", SECRETISH)
    with pytest.raises(KeyMaterialError, match="already exists"):
        write_private_file(path, b"other-material-123456")
    assert path.read_bytes() == SECRETISH
    write_private_file(path, b"other-material-123456", overwrite=True)
    assert path.read_bytes() == b"other-material-123456" and _mode(path) == 0o600


def test_writing_empty_content_or_into_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError, match="empty"):
        write_private_file(tmp_path / "a.key", b"")
    with pytest.raises(KeyMaterialError, match="cannot write"):
        write_private_file(tmp_path / "missing" / "a.key", SECRETISH)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o700 | 0o020])
def test_group_or_world_accessible_private_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "a.key"
    path.write_bytes(SECRETISH)
    os.chmod(path, mode)
    with pytest.raises(KeyMaterialError, match=f"mode {mode:04o}") as info:
        read_private_file(path)
    assert str(path) in str(info.value)
    assert SECRETISH.decode().strip() not in str(info.value)
    assert read_public_file(path) == SECRETISH  # public material carries no such requirement


def test_missing_empty_and_non_regular_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError, match="does not exist"):
        read_private_file(tmp_path / "nope.key")
    empty = tmp_path / "empty.key"
    empty.write_bytes(b"\n  \n")
    empty.chmod(0o600)
    with pytest.raises(KeyMaterialError, match="empty"):
        read_private_file(empty)
    folder = tmp_path / "dir.key"
    folder.mkdir(mode=0o700)
    with pytest.raises(KeyMaterialError, match="not a regular file"):
        read_private_file(folder)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.key"
    path.write_bytes(b"x" * 1_048_577)
    path.chmod(0o600)
    with pytest.raises(KeyMaterialError, match="larger than"):
        read_private_file(path)


@pytest.mark.parametrize(
    "content",
    [
        b"REPLACE_ME",
        b'{"key": "changeme-please"}',
        b"-----BEGIN PRIVATE KEY-----\nexample\n",
        b"\x00" * 32,
    ],
)
def test_placeholders_are_refused(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(KeyMaterialError, match="placeholder"):
        check_not_placeholder(content, "pseudonym.key")
    path = write_private_file(tmp_path / "p.key", content)
    with pytest.raises(KeyMaterialError, match="placeholder"):
        read_private_file(path)

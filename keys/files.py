"""Private and public key files: atomic writes, strict permission checks, placeholder refusal.

Private files are created with mode 0600 through a temporary file in the same directory, synced
and then linked into place, so a crash never leaves a half-written key and an existing key is
never replaced unless asked. Reading refuses missing, empty, oversized, non-regular, and group-
or world-accessible files. Errors name the file and the reason, never the content.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from gateway.errors import KeyMaterialError

MAX_KEY_FILE_BYTES = 1_048_576
PLACEHOLDER_MARKERS = (b"REPLACE_ME", b"CHANGEME", b"example")


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, data: bytes, mode: int, overwrite: bool) -> Path:
    path = Path(path)
    if not isinstance(data, bytes) or not data:
        raise KeyMaterialError(f"{path}: refusing to write an empty key file")
    if not overwrite and path.exists():
        raise KeyMaterialError(f"{path}: already exists; refusing to overwrite a key")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot write key file ({exc.strerror})") from exc
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the path appeared meanwhile: never clobbers
    except FileExistsError as exc:
        raise KeyMaterialError(f"{path}: already exists; refusing to overwrite a key") from exc
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot write key file ({exc.strerror})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _sync_dir(path.parent)
    return path


def write_private_file(path: Path | str, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` atomically with mode 0600; refuse to replace an existing file."""
    return _write_atomic(Path(path), data, 0o600, overwrite)


def write_public_file(path: Path | str, data: bytes, *, overwrite: bool = False) -> Path:
    """Write public material (JWKS, Paillier public key) atomically with mode 0644."""
    return _write_atomic(Path(path), data, 0o644, overwrite)


def _read_checked(path: Path, *, private: bool) -> bytes:
    try:
        info = os.stat(path, follow_symlinks=True)
    except FileNotFoundError as exc:
        raise KeyMaterialError(f"{path}: key file does not exist") from exc
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot read key file ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise KeyMaterialError(f"{path}: not a regular file")
    if private and os.name == "posix" and info.st_mode & 0o077:
        raise KeyMaterialError(
            f"{path}: private key file is accessible by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run chmod 600 on it"
        )
    if info.st_size > MAX_KEY_FILE_BYTES:
        raise KeyMaterialError(f"{path}: larger than {MAX_KEY_FILE_BYTES} bytes; not a key file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot read key file ({exc.strerror})") from exc
    if not data.strip():
        raise KeyMaterialError(f"{path}: key file is empty")
    return data


def check_not_placeholder(data: bytes, source: str) -> None:
    """Refuse content that is a placeholder: marker words or nothing but zero bytes."""
    lowered = data.lower()
    for marker in PLACEHOLDER_MARKERS:
        if marker.lower() in lowered:
            raise KeyMaterialError(
                f"{source}: looks like a placeholder (contains {marker.decode()!r}); "
                "generate a real key"
            )
    if not data.strip(b"\x00 \t\r\n"):
        raise KeyMaterialError(f"{source}: looks like a placeholder (all zero bytes)")


def read_private_file(path: Path | str) -> bytes:
    """Contents of a private key file after the permission, size and placeholder checks."""
    path = Path(path)
    data = _read_checked(path, private=True)
    check_not_placeholder(data, str(path))
    return data


def file_mode(path: Path | str) -> int:
    """Permission bits of ``path`` (e.g. ``0o600``), without reading it."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot stat key file ({exc.strerror})") from exc


def retire_private_file(path: Path | str, archive: Path | str, data: bytes) -> Path:
    """Replace the private file ``path`` by ``data``, keeping the old content at ``archive``.

    The old file is first hard-linked to ``archive`` (mode 0600 kept; an existing archive is
    accepted only when it holds the same bytes, so a rerun after a crash is safe), then the new
    content replaces ``path`` atomically: ``path`` always holds either the old or the new key.
    """
    path, archive = Path(path), Path(archive)
    old = read_private_file(path)
    try:
        archive.parent.mkdir(mode=0o700, exist_ok=True)
        os.link(path, archive)
    except FileExistsError:
        if read_private_file(archive) != old:
            raise KeyMaterialError(
                f"{archive}: already exists with other content; refusing to replace it"
            ) from None
    except OSError as exc:
        raise KeyMaterialError(f"{archive}: cannot archive key file ({exc.strerror})") from exc
    _sync_dir(archive.parent)
    return write_private_file(path, data, overwrite=True)


def read_public_file(path: Path | str) -> bytes:
    """Contents of a public key file (no permission requirement) after size/placeholder checks."""
    path = Path(path)
    data = _read_checked(path, private=False)
    check_not_placeholder(data, str(path))
    return data

"""The dashboard's session key file: 32 random bytes, owner-only, made on first use.

``gateway serve`` signs dashboard sessions with this key (HS256, :mod:`gateway.auth.sessions`).
The file holds the raw bytes; it is created atomically with mode 0600 when missing, and refused
when it is group- or world-accessible, empty, a placeholder or shorter than 32 bytes. Deleting
it signs everybody out (a new key is made at the next start). Errors name the file, never the
content.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from gateway.errors import KeyMaterialError

from .files import read_private_file, write_private_file

SESSION_KEY_BYTES: Final = 32


def load_or_create_session_key(path: Path) -> bytes:
    """The session key at ``path``, created (0600, atomically, never replacing a file) if
    missing. Refuses (:class:`KeyMaterialError`, a ``ConfigError``) a file that is group- or
    world-accessible, not a regular file, empty, a placeholder or shorter than 32 bytes."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise KeyMaterialError(f"{path}: cannot create its directory ({exc.strerror})") from exc
        try:
            write_private_file(path, secrets.token_bytes(SESSION_KEY_BYTES))
        except KeyMaterialError:
            if not path.exists():  # anything but losing a race to another process
                raise
    key = read_private_file(path)
    if len(key) < SESSION_KEY_BYTES:
        raise KeyMaterialError(
            f"{path}: session key is shorter than {SESSION_KEY_BYTES} bytes; "
            "delete the file to have a new one made"
        )
    return key

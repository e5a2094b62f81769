"""An exclusive lock on a store, so two ``gateway sync`` or ``serve`` processes never race.

The lock is ``flock(2)`` on a ``.lock`` file beside the store: the kernel releases it when the
holder exits for any reason, including SIGKILL, so a crash never leaves a stale lock behind. The
file records the holder's process id, command and start time for the refusal message.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from gateway.errors import StoreError


class StoreLock:
    """``with StoreLock(store_path, "sync"):`` holds the store for one command or refuses."""

    def __init__(self, store_path: Path, command: str) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreError(
                f"store {self.path.with_suffix('')} is locked by another gateway process "
                f"({holder}); wait for it to finish, or stop it, before running "
                f"'gateway {self.command}'"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock store {self.path}: {exc.strerror}") from exc
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, f"pid {os.getpid()}, gateway {self.command}, since {started}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"

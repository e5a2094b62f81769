"""The webhook's deferred exposure snapshot: pushes are durable at once, the snapshot follows.

A push's attachments are signed and committed to the outbox before the service answers; the
exposure snapshot (the k-rule aggregate of the whole book, one Paillier ciphertext per changed
bucket) is not on that path. :class:`SnapshotScheduler` sends it once pushes pause for
``delay_s`` seconds, and at the latest ``max_delay_s`` seconds after the first push it has not
covered yet, so a steady stream of pushes still gets a fresh snapshot that often.

It is also due at start-up (a service stopped, or killed, between a push and its snapshot sends
it then) and when the service stops. A snapshot is planned under the pipeline lock, encrypted
outside it (pushes go on meanwhile) and written under the lock again, unless another snapshot
was stored in between, in which case it is planned again (docs/service-api.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from gateway.errors import GatewayError

#: What one attempt did: wrote a snapshot, found the insurer's current, or found its plan stale.
Outcome = Literal["written", "current", "stale"]

log = logging.getLogger(__name__)


class SnapshotScheduler:
    """Runs ``send`` on a daemon thread when a snapshot is due (see the module docstring).

    ``send`` says what it did; a snapshot whose plan went stale before it could be written is
    tried again at once. An error is logged by name and retried after ``delay_s``.
    """

    def __init__(
        self,
        send: Callable[[], Outcome],
        *,
        delay_s: float,
        max_delay_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._delay = delay_s
        self._max_delay = max(max_delay_s, delay_s)
        self._clock = clock
        self._cond = threading.Condition()
        self._first: float | None = None  # first push not yet covered by a snapshot
        self._last = 0.0  # latest push
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="exposure-snapshot", daemon=True)
        self.sent = 0  # snapshots written, for the service's status and the tests

    def touch(self) -> None:
        """A push committed attachments: a snapshot is due after the next pause."""
        with self._cond:
            now = self._clock()
            if self._first is None:
                self._first = now
            self._last = now
            self._cond.notify()

    def start(self) -> None:
        """Start the thread; a snapshot is due at once (one missed by a stop is sent now)."""
        with self._cond:
            self._first = self._last = self._clock() - self._max_delay
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Send a due snapshot now, then stop the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=timeout_s)

    def due_in(self) -> float | None:
        """Seconds until the snapshot is due (<= 0: now), None when nothing is waiting."""
        with self._cond:
            return self._due_in()

    def _due_in(self) -> float | None:
        if self._first is None:
            return None
        if self._stopping:
            return 0.0
        now = self._clock()
        return min(self._last + self._delay, self._first + self._max_delay) - now

    def _run(self) -> None:
        while True:
            with self._cond:
                wait = self._due_in()
                while wait is None or wait > 0:
                    if self._stopping and wait is None:
                        return
                    self._cond.wait(timeout=wait)
                    wait = self._due_in()
                self._first = None  # pushes from now on need the next snapshot
            self._attempt()

    def _attempt(self) -> None:
        try:
            for _ in range(3):
                outcome = self._send()
                if outcome != "stale":
                    self.sent += outcome == "written"
                    return
            # Stale three times in a row: writers are busy; leave it to the next pause.
            self._redo(retry=not self._stopping)
        except GatewayError as exc:
            log.warning("exposure snapshot failed: %s", type(exc).__name__)
            self._redo(retry=not self._stopping)

    def _redo(self, *, retry: bool) -> None:
        if not retry:
            return
        with self._cond:
            now = self._clock()
            if self._first is None:
                self._first = now
            self._last = max(self._last, now)

"""Sign-in throttling: failures counted per user name and per client address, in memory.

After ``attempts`` failures for a key (``user:<name>`` or ``addr:<address>``) sign-in is paused
for that key for ``pause_s`` seconds; a failure count is forgotten ``pause_s`` after its last
failure. Attempts still being checked count too, so a burst of parallel guesses cannot slip in
more than ``attempts`` tries before the first failures are recorded. Unknown user names are
counted like real ones, so the pause does not tell which names exist. A successful sign-in
clears the user name's count, not the address's: an attacker with one valid account cannot
reset the counter of the address they are guessing other names from.

The table is bounded (``max_keys``): forgotten entries are pruned first, then the oldest. The
state lives in the process: a restart forgets it, and every worker of a multi-process server
keeps its own (``gateway serve`` runs one).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

BUSY_RETRY_S = 1  # the answer while earlier attempts for the same key are still being checked


@dataclass
class _Entry:
    failures: int = 0
    last_failure: float = 0.0
    paused_until: float = 0.0
    in_flight: int = 0


class LoginThrottle:
    """Counts sign-in attempts and failures and says when the next attempt may be made.

    Every :meth:`begin` that answers 0 must be followed by :meth:`failed` or :meth:`succeeded`
    with the same keys.
    """

    def __init__(
        self, attempts: int, pause_s: int, *, clock: Callable[[], float] = time.time,
        max_keys: int = 10_000,
    ) -> None:
        self.attempts = attempts
        self.pause_s = pause_s
        self.clock = clock
        self.max_keys = max_keys
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def begin(self, *keys: str) -> int:
        """Whole seconds to wait before an attempt for ``keys``; 0: go ahead (counted)."""
        now = self.clock()
        with self._lock:
            entries = [self._entries.setdefault(key, _Entry()) for key in keys]
            wait = max((e.paused_until - now for e in entries), default=0.0)
            if wait > 0:
                return math.ceil(wait)
            for entry in entries:
                self._forget_old(entry, now)
            if any(e.failures + e.in_flight >= self.attempts for e in entries):
                return BUSY_RETRY_S
            for entry in entries:
                entry.in_flight += 1
            self._prune(now)
            return 0

    def failed(self, *keys: str) -> None:
        """The attempt begun for ``keys`` failed: count it; pause where the count is reached."""
        now = self.clock()
        with self._lock:
            for key in keys:
                entry = self._entries.setdefault(key, _Entry())
                entry.in_flight = max(0, entry.in_flight - 1)
                self._forget_old(entry, now)
                entry.failures += 1
                entry.last_failure = now
                if entry.failures >= self.attempts:
                    entry.paused_until = now + self.pause_s
                    entry.failures = 0

    def succeeded(self, user_key: str, *other_keys: str) -> None:
        """The attempt succeeded: forget ``user_key``'s failures; the others keep theirs."""
        with self._lock:
            self._entries.pop(user_key, None)
            for key in other_keys:
                if (entry := self._entries.get(key)) is not None:
                    entry.in_flight = max(0, entry.in_flight - 1)

    def _forget_old(self, entry: _Entry, now: float) -> None:
        if entry.failures and now - entry.last_failure >= self.pause_s:
            entry.failures = 0

    def _prune(self, now: float) -> None:
        if len(self._entries) <= self.max_keys:
            return
        self._entries = {
            k: e for k, e in self._entries.items()
            if e.in_flight or e.paused_until > now
            or (e.failures and now - e.last_failure < self.pause_s)
        }
        if len(self._entries) > self.max_keys:
            newest = sorted(
                self._entries.items(), key=lambda item: (item[1].in_flight, item[1].last_failure)
            )
            self._entries = dict(newest[-self.max_keys:])

"""In-memory token buckets, one per client key (a remote address, a signing identity).

A bucket holds up to ``burst`` tokens and refills at ``rate_per_s``; a request takes one token
or is refused with the seconds until one is available (the ``Retry-After`` answer). The number
of buckets is bounded: past ``max_keys`` the least recently used bucket is forgotten, so a
flood of distinct addresses costs bounded memory. State is per process and lost on restart.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Token buckets keyed by client; thread-safe."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if rate_per_s <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate_per_s must be > 0, burst and max_keys >= 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        """Take one token for ``key``: ``0`` if allowed, else whole seconds to wait (>= 1)."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if allowed:
                return 0
            return max(1, math.ceil((1.0 - tokens) / self._rate))

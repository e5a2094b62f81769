"""The process's Paillier obfuscator source, as ``[encryption]`` configures it.

One source serves the whole process: ``gateway sync`` builds its runtime once, ``gateway serve``
rebuilds it when a policy is activated, and both keep drawing from the same stock. The source
is started when the runtime is built, so a background process precomputes textbook obfuscators
while the sources are read, and the encryption at the end of a run finds them ready. Asking for
another key or mode closes the previous source (one background process at most), and the source
is closed when the process exits. Obfuscators live in memory only (SECURITY.md).
"""

from __future__ import annotations

import atexit
import threading

from gateway.crypto.obfuscators import ObfuscatorSource, obfuscator_source
from gateway.settings import EncryptionSettings

_lock = threading.Lock()
_current: tuple[tuple[int, str, int], ObfuscatorSource] | None = None


def obfuscators_for(n: int, settings: EncryptionSettings) -> ObfuscatorSource | None:
    """The started source for modulus ``n``; None when no background pool is configured
    (textbook with ``pool_size = 0``: each obfuscator is computed when it is needed)."""
    global _current
    if settings.obfuscators == "textbook" and settings.pool_size == 0:
        return None
    wanted = (n, settings.obfuscators, settings.pool_size)
    with _lock:
        if _current is not None and _current[0] == wanted:
            return _current[1]
        previous, _current = _current, None
        if previous is not None:
            previous[1].close()
        source = obfuscator_source(
            n, settings.obfuscators, pool_size=max(settings.pool_size, 1)
        ).start()
        _current = (wanted, source)
        return source


def close_obfuscators() -> None:
    """Stop the background process, if any, and forget every stocked obfuscator."""
    global _current
    with _lock:
        previous, _current = _current, None
    if previous is not None:
        previous[1].close()


atexit.register(close_obfuscators)

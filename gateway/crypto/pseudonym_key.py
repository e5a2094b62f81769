"""The exporter-held pseudonymisation key.

HMAC-SHA256 from the standard library (``hmac``), not a hand-rolled construction. The key id
travels in every token so a rotated key yields visibly different tokens instead of silently
remapping old ones.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from gateway.errors import KeyMaterialError

MIN_KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")


@dataclass(frozen=True)
class PseudonymKey:
    """A versioned HMAC key. ``repr`` never shows the secret."""

    kid: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KID.match(self.kid):
            raise KeyMaterialError("pseudonymisation key id must be 3-64 chars of [A-Za-z0-9_-]")
        if len(self.secret) < MIN_KEY_BYTES:
            raise KeyMaterialError(
                f"pseudonymisation key is {len(self.secret)} bytes; "
                f"at least {MIN_KEY_BYTES} required"
            )
        if len(set(self.secret)) < 8:
            raise KeyMaterialError(
                "pseudonymisation key looks like a placeholder (too few distinct bytes)"
            )

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under this key."""
        return hmac.new(self.secret, message, hashlib.sha256).digest()

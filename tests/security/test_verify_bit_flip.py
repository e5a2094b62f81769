"""Attack: tampering with a signed token, one bit at a time, anywhere in it.

Every single-bit change of the compact token's bytes (header, payload, signature or a dot) is
tried, exhaustively, for a submission and for a receipt: each must be refused with
:class:`VerificationError`. A flip may make a character illegal, change a segment's bytes (the
Ed25519 signature then fails; it is not malleable), only touch unused trailing bits (refused as
a non-canonical encoding) or move a dot (wrong segment count or header).
"""

from __future__ import annotations

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target


@pytest.mark.slow
def test_verify_every_single_bit_flip_of_the_token_is_refused(verify_target: Target) -> None:
    token = verify_target.sign()
    verify_target.verify(token)
    raw = token.encode("ascii")
    accepted: list[tuple[int, int]] = []
    for position in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[position] ^= 1 << bit
            try:
                verify_target.verify(flipped.decode("latin-1"))
            except VerificationError:
                continue
            accepted.append((position, bit))
    assert accepted == []

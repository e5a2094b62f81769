"""Attack: a reused obfuscator reveals the difference of two plaintexts to anyone.

With ``c1 = (1 + m1·n)·s`` and ``c2 = (1 + m2·n)·s`` for the same ``s = r^n mod n²``, the
observer computes ``c1 · c2⁻¹ mod n² = 1 + (m1 - m2)·n`` and reads ``m1 - m2`` without any key.
The defence: every obfuscator source hands out each value once (the pool's worker and its
inline fallback draw fresh ``r``; DJN draws a fresh exponent), so the quotient of two of its
ciphertexts is never 1 mod n and the attack reads nothing.
"""

from __future__ import annotations

import itertools
from typing import Any

import gmpy2

from gateway.crypto import (
    DjnFixedBase,
    ObfuscatorSource,
    PaillierPublicKey,
    TextbookPool,
    decode_ciphertext,
    encrypt_bucket_totals,
)


class _Reused(ObfuscatorSource):
    """Test double: the flaw under attack, one obfuscator handed out again and again."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._value = gmpy2.powmod(123_456_789, n, n * n)

    @property
    def n(self) -> int:
        return self._n

    def take(self) -> Any:
        return self._value


def _difference_leaked(n: int, c1: int, c2: int) -> int | None:
    """The attack: m1 - m2 when both ciphertexts share an obfuscator, else None."""
    quotient = c1 * int(gmpy2.invert(c2, n * n)) % (n * n)
    if quotient % n != 1:
        return None
    diff = (quotient - 1) // n
    return diff - n if diff > n // 2 else diff


def _ciphertexts(
    public: PaillierPublicKey, source: ObfuscatorSource, totals: list[int]
) -> list[int]:
    texts = encrypt_bucket_totals(public, totals, obfuscators=source)
    return [decode_ciphertext(public, t) for t in texts]


def test_obfuscator_reuse_leaks_nothing(paillier_public_key: PaillierPublicKey) -> None:
    n = paillier_public_key.n
    totals = [1_250_000, 730_050, 1_250_000, -4_000, 99, 730_050, 0, 5]
    # The attack works when an obfuscator is reused: every pairwise difference is read.
    flawed = _ciphertexts(paillier_public_key, _Reused(n), totals)
    for (i, c1), (j, c2) in itertools.combinations(enumerate(flawed), 2):
        assert _difference_leaked(n, c1, c2) == totals[i] - totals[j]
    # The gateway's sources never reuse one: the pool (worker and inline) and DJN.
    with TextbookPool(n, size=8, batch=4) as pool:
        assert pool.wait_stocked(4, timeout=60)
        ours = _ciphertexts(paillier_public_key, pool, totals * 2)
        assert pool.stats().pooled >= 4 and pool.stats().inline + pool.stats().pooled == 16
    ours += _ciphertexts(paillier_public_key, DjnFixedBase(n, window=4), totals * 2)
    assert not [
        (c1, c2) for c1, c2 in itertools.combinations(ours, 2)
        if _difference_leaked(n, c1, c2) is not None
    ]

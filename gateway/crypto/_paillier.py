"""The only module that imports ``phe`` (python-paillier).

It works on plain integers: the modulus ``n``, the primes ``p`` and ``q``, plaintexts and
ciphertexts. Callers never see a ``phe`` object except the opaque decryptor handle. The
parameters are fixed as python-paillier's own caveats ask: integers only, encoding exponent 0,
every ciphertext that leaves this module obfuscated with fresh randomness.

Encryption and addition run on GMP directly, in exactly phe's encoding (``g = n + 1``, exponent
0, a negative ``m`` as ``n - |m|``, ``|m|`` at most phe's ``max_int = n // 3 - 1``), so that a
stock phe private key decrypts them: ``c = (1 + m·n) · r^n mod n²`` with the obfuscator ``r^n``
from an :class:`~gateway.crypto.obfuscators.ObfuscatorSource` (by default a fresh ``r`` computed
inline; a started :class:`~gateway.crypto.obfuscators.TextbookPool` precomputes them). Decryption
is phe's. ``phe``'s ``ValueError``/``OverflowError``/``TypeError`` are wrapped in
:class:`CryptoError`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import NewType

import gmpy2
from phe import paillier

from gateway.crypto.obfuscators import Mpz, ObfuscatorSource, TextbookPool
from gateway.errors import CryptoError, PaillierKeyError

#: Opaque handle on a ``phe`` private key (holds p and q; never log it).
Decryptor = NewType("Decryptor", object)

_EXPONENT = 0


def generate(bits: int) -> tuple[int, int, int]:
    """A fresh keypair as ``(n, p, q)``; ``n`` has exactly ``bits`` bits."""
    public, private = paillier.generate_paillier_keypair(n_length=bits)
    return int(public.n), int(private.p), int(private.q)


def max_plaintext(n: int) -> int:
    """The largest magnitude phe encodes without ambiguity: ``n // 3 - 1``."""
    return int(paillier.PaillierPublicKey(n).max_int)


@functools.lru_cache(maxsize=16)
def moduli(n: int) -> tuple[Mpz, Mpz]:
    """``n`` and ``n²`` as GMP integers (cached: a gateway uses one or two keys)."""
    n_mpz = gmpy2.mpz(n)
    return n_mpz, n_mpz * n_mpz


def _source(n: int, obfuscators: ObfuscatorSource | None) -> ObfuscatorSource:
    if obfuscators is None:
        return TextbookPool(n)  # never started: every obfuscator is computed inline
    if obfuscators.n != n:
        raise CryptoError("the obfuscator source belongs to another Paillier key")
    return obfuscators


def encrypt(
    n: int, values: Sequence[int], *, obfuscators: ObfuscatorSource | None = None
) -> list[int]:
    """Obfuscated ciphertexts of integer ``values`` (exponent 0) under modulus ``n``."""
    source = _source(n, obfuscators)
    limit = max_plaintext(n)
    n_mpz, n_square = moduli(n)
    out: list[int] = []
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > limit:
            raise CryptoError("plaintext cannot be encrypted (out of range)")
        obfuscator = source.take()
        if not 1 < obfuscator < n_square or obfuscator % n_mpz == 1:
            raise CryptoError("the obfuscator source returned an unusable value")
        # (1 + m·n)·o ≡ o + n·(m·o mod n)  (mod n²); m mod n is phe's encoding of m.
        out.append(int((obfuscator + n_mpz * ((value % n) * obfuscator % n_mpz)) % n_square))
    return out


def raw_product(values: Iterable[int], n: int) -> tuple[int, bool]:
    """The product of ``values`` mod n² on GMP (1 for none), and whether it is coprime to n.

    The raw homomorphic addition: GMP multiplies 4096-bit numbers modulo n² about seven times
    faster than Python integers.

    A prime factor of n divides the product exactly when it divides one of the values, so one
    gcd on the result checks every value.
    """
    n_mpz, n_square = moduli(n)
    it = iter(values)
    total = gmpy2.mpz(next(it, 1)) % n_square
    for value in it:
        total = total * value % n_square
    return int(total), bool(gmpy2.gcd(total, n_mpz) == 1)


def coprime(a: int, n: int) -> bool:
    """Whether ``gcd(a, n) == 1`` (GMP)."""
    return bool(gmpy2.gcd(a, n) == 1)


def add(n: int, ciphertexts: Sequence[int], *, obfuscators: ObfuscatorSource | None = None) -> int:
    """The obfuscated homomorphic sum of ``ciphertexts`` (all exponent 0) under ``n``.

    The product of the ciphertexts is multiplied by one fresh obfuscator, as phe's
    ``ciphertext(be_secure=True)`` does for a sum.
    """
    if not ciphertexts:
        raise CryptoError("nothing to add: at least one ciphertext is required")
    source = _source(n, obfuscators)
    total, _ = raw_product(ciphertexts, n)
    return int(gmpy2.mpz(total) * source.take() % moduli(n)[1])


def decryptor(n: int, p: int, q: int) -> Decryptor:
    """A decryption handle for the private key ``(p, q)`` of modulus ``n``."""
    try:
        return Decryptor(paillier.PaillierPrivateKey(paillier.PaillierPublicKey(n), p, q))
    except (ValueError, ZeroDivisionError) as exc:
        raise PaillierKeyError("Paillier private key: p and q do not form the modulus") from exc


def decrypt(handle: Decryptor, ciphertext: int) -> int:
    """The signed integer plaintext of ``ciphertext`` (phe's encoding: top third = negative)."""
    if not isinstance(handle, paillier.PaillierPrivateKey):
        raise CryptoError("not a Paillier decryptor")
    public = handle.public_key
    try:
        value = handle.decrypt(paillier.EncryptedNumber(public, ciphertext, _EXPONENT))
    except (ValueError, OverflowError, TypeError) as exc:
        raise CryptoError("ciphertext decrypts outside the integer range (overflow)") from exc
    if not isinstance(value, int):
        raise CryptoError("ciphertext did not decrypt to an integer")
    return value


def is_probable_prime(value: int) -> bool:
    """Miller-Rabin (GMP, 25 rounds)."""
    return bool(gmpy2.is_prime(value, 25))

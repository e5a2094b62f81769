"""The only module that imports ``phe`` (python-paillier).

It works on plain integers: the modulus ``n``, the primes ``p`` and ``q``, plaintexts and
ciphertexts. Callers never see a ``phe`` object except the opaque decryptor handle. The
parameters are fixed as python-paillier's own caveats ask: integers only, encoding exponent 0,
every ciphertext that leaves this module obfuscated with fresh randomness (``be_secure=True``).
``phe``'s ``ValueError``/``OverflowError``/``TypeError`` are wrapped in :class:`CryptoError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NewType

import gmpy2
from phe import paillier
from phe.encoding import EncodedNumber

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


def encrypt(n: int, values: Sequence[int]) -> list[int]:
    """Obfuscated ciphertexts of integer ``values`` (exponent 0) under modulus ``n``."""
    public = paillier.PaillierPublicKey(n)
    out: list[int] = []
    for value in values:
        try:
            encoding = EncodedNumber.encode(public, value, max_exponent=_EXPONENT)
            if encoding.exponent != _EXPONENT:
                raise CryptoError("plaintext did not encode with exponent 0")
            number = public.encrypt_encoded(encoding, None)
            out.append(int(number.ciphertext(be_secure=True)))
        except (ValueError, OverflowError, TypeError) as exc:
            raise CryptoError("plaintext cannot be encrypted (out of range)") from exc
    return out


def add(n: int, ciphertexts: Sequence[int]) -> int:
    """The obfuscated homomorphic sum of ``ciphertexts`` (all exponent 0) under ``n``."""
    public = paillier.PaillierPublicKey(n)
    try:
        total = sum(
            (paillier.EncryptedNumber(public, c, _EXPONENT) for c in ciphertexts[1:]),
            start=paillier.EncryptedNumber(public, ciphertexts[0], _EXPONENT),
        )
        return int(total.ciphertext(be_secure=True))
    except (ValueError, OverflowError, TypeError) as exc:
        raise CryptoError("ciphertexts cannot be added") from exc


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

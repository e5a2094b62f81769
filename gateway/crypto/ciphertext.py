"""Paillier ciphertexts on the wire: encrypt bucket totals, add ciphertexts, validate input.

A ciphertext travels as the unpadded base64url of its big-endian bytes, always exactly as long
as n² in bytes. Plaintexts are signed integers in minor units with one fixed encoding exponent
(0); negatives use python-paillier's convention (``n - |m|``, decoded back to ``-|m|``) and
``|m|`` must be at most ``n // 3 - 1``.

Every ciphertext read from outside goes through :func:`decode_ciphertext`, which refuses
non-canonical base64url, oversized input, values outside ``0 < c < n²``, values sharing a factor
with n, and values congruent to 1 mod n: those are unobfuscated encryptions (r = 1) whose
plaintext anyone can read as ``(c - 1) / n``.

Encryption takes its obfuscators ``r^n mod n²`` from an optional
:class:`~gateway.crypto.obfuscators.ObfuscatorSource` (a started ``TextbookPool`` or the opt-in
``DjnFixedBase``); without one each is computed inline. Raw additions (:func:`add_raw`,
:func:`add_raw_many`) run on GMP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from gateway.crypto import _paillier
from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.errors import CiphertextError, CryptoError

if TYPE_CHECKING:
    from gateway.crypto.obfuscators import ObfuscatorSource
    from gateway.crypto.paillier_keys import PaillierPublicKey

#: Upper bound on how many values one call encrypts or adds.
MAX_VALUES = 1_000_000


def encode_ciphertext(public_key: PaillierPublicKey, ciphertext: int) -> str:
    """Fixed-length base64url of a ciphertext integer."""
    return b64url_encode(ciphertext.to_bytes(public_key.ciphertext_bytes, "big"))


def decode_ciphertext(public_key: PaillierPublicKey, b64: str) -> int:
    """The ciphertext integer of ``b64`` under ``public_key``, or :class:`CiphertextError`."""
    data = b64url_decode(b64, what="ciphertext", error=CiphertextError)
    if len(data) > public_key.ciphertext_bytes:
        raise CiphertextError(
            f"ciphertext: {len(data)} bytes; at most {public_key.ciphertext_bytes} for this key"
        )
    value = int.from_bytes(data, "big")
    n = public_key.n
    if not 0 < value < n * n:
        raise CiphertextError("ciphertext: out of range (must satisfy 0 < c < n²)")
    if not _paillier.coprime(value, n):
        raise CiphertextError("ciphertext: shares a factor with n (not a valid ciphertext)")
    if value % n == 1:
        raise CiphertextError("ciphertext: not obfuscated (c ≡ 1 mod n reveals the plaintext)")
    return value


def _check_total(index: int, value: object, limit: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise CryptoError(f"totals[{index}]: must be an integer (minor units)")
    if abs(value) > limit:
        raise CryptoError(f"totals[{index}]: magnitude too large for this key (must be < n/3)")
    return value


def encrypt_bucket_totals(
    public_key: PaillierPublicKey,
    totals: Sequence[int],
    *,
    obfuscators: ObfuscatorSource | None = None,
) -> list[str]:
    """Obfuscated base64url ciphertexts of integer ``totals``, one per total, in order.

    ``obfuscators`` (for ``public_key.n``) supplies the ``r^n mod n²`` values; without it each
    is computed inline (about 9 ms per total at 2048 bits).
    """
    if len(totals) > MAX_VALUES:
        raise CryptoError(f"at most {MAX_VALUES} totals per call")
    limit = _paillier.max_plaintext(public_key.n)
    values = [_check_total(i, t, limit) for i, t in enumerate(totals)]
    ciphertexts = _paillier.encrypt(public_key.n, values, obfuscators=obfuscators)
    return [encode_ciphertext(public_key, c) for c in ciphertexts]


def add_ciphertexts(
    public_key: PaillierPublicKey,
    ciphertexts: Sequence[str],
    *,
    obfuscators: ObfuscatorSource | None = None,
) -> str:
    """The obfuscated ciphertext of the sum of ``ciphertexts`` (each validated first).

    The sum must stay below n/3 in magnitude to decrypt; a hub adding many totals keeps that
    margin (it is about 10^600 for a 2048-bit key, far beyond any money amount). The sum is
    re-randomised with one obfuscator from ``obfuscators`` (inline without it).
    """
    if not ciphertexts:
        raise CryptoError("nothing to add: at least one ciphertext is required")
    if len(ciphertexts) > MAX_VALUES:
        raise CryptoError(f"at most {MAX_VALUES} ciphertexts per call")
    values: list[int] = []
    for i, b64 in enumerate(ciphertexts):
        try:
            values.append(decode_ciphertext(public_key, b64))
        except CiphertextError as exc:
            raise CiphertextError(f"ciphertexts[{i}]: {exc}") from exc
    total = _paillier.add(public_key.n, values, obfuscators=obfuscators)
    return encode_ciphertext(public_key, total)


def _in_range(value: object, n_square: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < n_square


def add_raw(public_key: PaillierPublicKey, a: int, b: int) -> int:
    """The ciphertext of the sum of the plaintexts of ciphertexts ``a`` and ``b``: ``a·b mod n²``.

    For a hub's running sums: no fresh randomness is added (one modular exponentiation per
    addition would cost milliseconds); the product of obfuscated ciphertexts is itself
    randomised by their factors. Both inputs must be in ``0 < c < n²`` and coprime to n, as
    :func:`decode_ciphertext` guarantees; both are checked again here: the ranges first, then
    one gcd of the product (``gcd(a·b mod n², n) = 1`` exactly when both are coprime to n).
    That gcd costs more than the product itself: a long running sum is faster through
    :func:`add_raw_many`, with one gcd in all.
    """
    n = public_key.n
    n_square = _paillier.moduli(n)[1]
    for name, value in (("a", a), ("b", b)):
        if not _in_range(value, n_square):
            raise CiphertextError(f"ciphertext {name}: out of range (must satisfy 0 < c < n²)")
    total, coprime = _paillier.raw_product((a, b), n)
    if not coprime:
        name = "a" if not _paillier.coprime(a, n) else "b"
        raise CiphertextError(f"ciphertext {name}: shares a factor with n")
    return total


def add_raw_many(public_key: PaillierPublicKey, total: int, values: Iterable[int]) -> int:
    """``total`` plus every ciphertext of ``values``: their product mod n², checked as a whole.

    Every input must be in ``0 < c < n²`` (checked one by one) and coprime to n, which is
    checked once on the result: a prime factor of n divides the product exactly when it divides
    one of the factors. Inputs are expected to come from :func:`decode_ciphertext` (or to be
    earlier sums of such), so the gcd does not fail in practice; when it does, the culprit is
    named. Raw sums are not re-randomised (see :func:`add_raw`).
    """
    n = public_key.n
    n_square = _paillier.moduli(n)[1]
    items = [total, *values]
    if len(items) > MAX_VALUES + 1:
        raise CryptoError(f"at most {MAX_VALUES} ciphertexts per call")
    for i, value in enumerate(items):
        if not _in_range(value, n_square):
            raise CiphertextError(f"ciphertext {_where(i)}: out of range (must satisfy 0 < c < n²)")
    result, coprime = _paillier.raw_product(items, n)
    if not coprime:
        i = next(i for i, value in enumerate(items) if not _paillier.coprime(value, n))
        raise CiphertextError(f"ciphertext {_where(i)}: shares a factor with n")
    return result


def _where(index: int) -> str:
    return "total" if index == 0 else f"values[{index - 1}]"

"""Paillier ciphertexts on the wire: encrypt bucket totals, add ciphertexts, validate input.

A ciphertext travels as the unpadded base64url of its big-endian bytes, always exactly as long
as n² in bytes. Plaintexts are signed integers in minor units with one fixed encoding exponent
(0); negatives use python-paillier's convention (``n - |m|``, decoded back to ``-|m|``) and
``|m|`` must be at most ``n // 3 - 1``.

Every ciphertext read from outside goes through :func:`decode_ciphertext`, which refuses
non-canonical base64url, oversized input, values outside ``0 < c < n²``, values sharing a factor
with n, and values congruent to 1 mod n: those are unobfuscated encryptions (r = 1) whose
plaintext anyone can read as ``(c - 1) / n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.crypto import _paillier
from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.errors import CiphertextError, CryptoError

if TYPE_CHECKING:
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
    if math.gcd(value, n) != 1:
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


def encrypt_bucket_totals(public_key: PaillierPublicKey, totals: Sequence[int]) -> list[str]:
    """Obfuscated base64url ciphertexts of integer ``totals``, one per total, in order."""
    if len(totals) > MAX_VALUES:
        raise CryptoError(f"at most {MAX_VALUES} totals per call")
    limit = _paillier.max_plaintext(public_key.n)
    values = [_check_total(i, t, limit) for i, t in enumerate(totals)]
    return [encode_ciphertext(public_key, c) for c in _paillier.encrypt(public_key.n, values)]


def add_ciphertexts(public_key: PaillierPublicKey, ciphertexts: Sequence[str]) -> str:
    """The obfuscated ciphertext of the sum of ``ciphertexts`` (each validated first).

    The sum must stay below n/3 in magnitude to decrypt; a hub adding many totals keeps that
    margin (it is about 10^600 for a 2048-bit key, far beyond any money amount).
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
    return encode_ciphertext(public_key, _paillier.add(public_key.n, values))


def add_raw(public_key: PaillierPublicKey, a: int, b: int) -> int:
    """The ciphertext of the sum of the plaintexts of ciphertexts ``a`` and ``b``: ``a·b mod n²``.

    For a hub's running sums: no fresh randomness is added (one modular exponentiation per
    addition would cost seconds for a large contribution); the product of obfuscated
    ciphertexts is itself randomised by their factors. Both inputs must be in ``0 < c < n²``
    and coprime to n, as :func:`decode_ciphertext` guarantees.
    """
    n = public_key.n
    n_square = n * n
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < n_square:
            raise CiphertextError(f"ciphertext {name}: out of range (must satisfy 0 < c < n²)")
        if math.gcd(value, n) != 1:
            raise CiphertextError(f"ciphertext {name}: shares a factor with n")
    return (a * b) % n_square

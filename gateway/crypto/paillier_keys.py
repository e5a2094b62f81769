"""Paillier key documents (version 1): the insurer's public key and its private counterpart.

Public document::

    {"kty": "Paillier", "version": 1, "n": "<base64url>", "fingerprint": "sha256:<hex>"}

Private document (insurer only, file mode 0600)::

    {"kty": "Paillier", "version": 1, "n": "<base64url>", "p": "<base64url>", "q": "<base64url>"}

Integers are unsigned big-endian, minimal length (no leading zero byte), unpadded base64url.
The fingerprint is ``"sha256:" + hex(SHA-256(canonical_json({"kty": "Paillier", "n": n_b64})))``
so it depends on the modulus alone. Loading refuses moduli under 2048 bits, even moduli, moduli
with a prime factor below 10,000 and perfect squares (docs/key-formats.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import _paillier
from gateway.crypto.b64 import b64url_to_int, int_to_b64url
from gateway.crypto.ciphertext import decode_ciphertext
from gateway.errors import PaillierKeyError

MIN_PAILLIER_BITS = 2048
DEFAULT_PAILLIER_BITS = 3072
MAX_PAILLIER_BITS = 16384
DOCUMENT_VERSION = 1
_SMALL_PRIME_BOUND = 10_000


@cache
def _small_prime_product() -> int:
    """Product of every prime below 10,000 (one gcd replaces 1,229 trial divisions)."""
    sieve = bytearray([1]) * _SMALL_PRIME_BOUND
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(_SMALL_PRIME_BOUND) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return math.prod(i for i, is_prime in enumerate(sieve) if is_prime)


def check_modulus(n: int) -> None:
    """Refuse a modulus that is too small, too large, even, a square or has a small factor."""
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise PaillierKeyError("Paillier key: n must be a positive integer")
    if n.bit_length() < MIN_PAILLIER_BITS:
        raise PaillierKeyError(
            f"Paillier key: n has {n.bit_length()} bits; at least {MIN_PAILLIER_BITS} required"
        )
    if n.bit_length() > MAX_PAILLIER_BITS:
        raise PaillierKeyError(f"Paillier key: n exceeds {MAX_PAILLIER_BITS} bits")
    if n % 2 == 0:
        raise PaillierKeyError("Paillier key: n is even (not a product of two odd primes)")
    if math.gcd(n, _small_prime_product()) != 1:
        raise PaillierKeyError("Paillier key: n has a prime factor below 10,000")
    if math.isqrt(n) ** 2 == n:
        raise PaillierKeyError("Paillier key: n is a perfect square (p == q)")


def _check_members(doc: Any, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise PaillierKeyError("Paillier key document: expected a JSON object")
    missing = sorted(required - set(doc))
    unknown = sorted(set(doc) - required - optional)
    if missing or unknown:
        raise PaillierKeyError(f"Paillier key document: missing {missing}, unexpected {unknown}")
    if doc["kty"] != "Paillier":
        raise PaillierKeyError("Paillier key document: kty must be 'Paillier'")
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version != DOCUMENT_VERSION:
        raise PaillierKeyError(f"Paillier key document: version must be {DOCUMENT_VERSION}")
    return doc


def _read_int(doc: Mapping[str, Any], name: str) -> int:
    return b64url_to_int(doc[name], what=f"Paillier key document: {name}", error=PaillierKeyError)


@dataclass(frozen=True)
class PaillierPublicKey:
    """An insurer's Paillier public key. Validated on construction; immutable."""

    n: int
    fingerprint: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        check_modulus(self.n)
        body = canonical_json({"kty": "Paillier", "n": int_to_b64url(self.n)})
        object.__setattr__(self, "fingerprint", "sha256:" + sha256_hex(body))

    @property
    def bits(self) -> int:
        """Bit length of the modulus."""
        return self.n.bit_length()

    @property
    def ciphertext_bytes(self) -> int:
        """Byte length of n², the fixed length of every ciphertext this key produces."""
        return ((self.n * self.n).bit_length() + 7) // 8

    def to_document(self) -> dict[str, Any]:
        """The version-1 public key document."""
        return {
            "kty": "Paillier",
            "version": DOCUMENT_VERSION,
            "n": int_to_b64url(self.n),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> PaillierPublicKey:
        """Parse and check a public key document; the fingerprint must match when present."""
        checked = _check_members(doc, {"kty", "version", "n"}, {"fingerprint"})
        key = cls(_read_int(checked, "n"))
        if "fingerprint" in checked and checked["fingerprint"] != key.fingerprint:
            raise PaillierKeyError("Paillier key document: fingerprint does not match n")
        return key

    def __repr__(self) -> str:
        return f"PaillierPublicKey(bits={self.bits}, fingerprint={self.fingerprint!r})"


@dataclass(frozen=True)
class PaillierPrivateKey:
    """The insurer's Paillier private key (p, q). ``repr`` shows only the fingerprint."""

    public_key: PaillierPublicKey
    p: int = field(repr=False)
    q: int = field(repr=False)
    _decryptor: _paillier.Decryptor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        p, q, n = self.p, self.q, self.public_key.n
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (p, q)):
            raise PaillierKeyError("Paillier private key: p and q must be integers")
        if p == q or p * q != n:
            raise PaillierKeyError("Paillier private key: p and q do not form the modulus")
        if not (_paillier.is_probable_prime(p) and _paillier.is_probable_prime(q)):
            raise PaillierKeyError("Paillier private key: p or q is not prime")
        object.__setattr__(self, "_decryptor", _paillier.decryptor(n, p, q))

    @property
    def fingerprint(self) -> str:
        """The public key's fingerprint."""
        return self.public_key.fingerprint

    def to_document(self) -> dict[str, Any]:
        """The version-1 private key document (secret: store with mode 0600)."""
        return {
            "kty": "Paillier",
            "version": DOCUMENT_VERSION,
            "n": int_to_b64url(self.public_key.n),
            "p": int_to_b64url(self.p),
            "q": int_to_b64url(self.q),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> PaillierPrivateKey:
        """Parse and check a private key document."""
        checked = _check_members(doc, {"kty", "version", "n", "p", "q"}, set())
        public = PaillierPublicKey(_read_int(checked, "n"))
        return cls(public, _read_int(checked, "p"), _read_int(checked, "q"))

    def decrypt(self, ciphertext_b64: str) -> int:
        """The signed integer plaintext of a base64url ciphertext, validated first."""
        ciphertext = decode_ciphertext(self.public_key, ciphertext_b64)
        return _paillier.decrypt(self._decryptor, ciphertext)

    def __repr__(self) -> str:
        return f"PaillierPrivateKey(bits={self.public_key.bits}, fingerprint={self.fingerprint!r})"


def generate_paillier_keypair(bits: int = DEFAULT_PAILLIER_BITS) -> PaillierPrivateKey:
    """A fresh keypair; ``bits`` at least 2048 (default 3072). The public key is ``.public_key``."""
    if not isinstance(bits, int) or isinstance(bits, bool) or bits < MIN_PAILLIER_BITS:
        raise PaillierKeyError(f"Paillier key size must be at least {MIN_PAILLIER_BITS} bits")
    if bits > MAX_PAILLIER_BITS or bits % 2:
        raise PaillierKeyError(f"Paillier key size must be even and at most {MAX_PAILLIER_BITS}")
    n, p, q = _paillier.generate(bits)
    return PaillierPrivateKey(PaillierPublicKey(n), p, q)

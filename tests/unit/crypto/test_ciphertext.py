"""Paillier bucket totals: encryption, homomorphic sums and strict ciphertext validation."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    add_ciphertexts,
    decode_ciphertext,
    encrypt_bucket_totals,
)
from gateway.crypto.b64 import b64url_encode
from gateway.errors import CiphertextError, CryptoError


def _encode(public: PaillierPublicKey, value: int, length: int | None = None) -> str:
    size = public.ciphertext_bytes if length is None else length
    return b64url_encode(value.to_bytes(size, "big"))


def test_round_trip_including_negatives_and_range_edges(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    public = paillier_keypair.public_key
    edge = public.n // 3 - 1
    totals = [0, 1, -1, 123_456_789_012, -250_000, edge, -edge]
    ciphertexts = encrypt_bucket_totals(public, totals)
    assert [paillier_keypair.decrypt(ct) for ct in ciphertexts] == totals


def test_ciphertexts_have_fixed_length_and_fresh_randomness(
    paillier_public_key: PaillierPublicKey,
) -> None:
    a, b = encrypt_bucket_totals(paillier_public_key, [7, 7])
    assert a != b
    for ct in (a, b):
        raw = base64.urlsafe_b64decode(ct + "=" * (-len(ct) % 4))
        assert len(raw) == paillier_public_key.ciphertext_bytes == 512
        # Obfuscated: an unobfuscated ciphertext is 1 + n*m (mod n^2), i.e. 1 mod n.
        assert int.from_bytes(raw, "big") % paillier_public_key.n != 1


@pytest.mark.parametrize("bad", [True, 1.0, Decimal("1"), "1", None])
def test_only_integers_are_encrypted(paillier_public_key: PaillierPublicKey, bad: object) -> None:
    with pytest.raises(CryptoError, match=r"totals\[1\]: must be an integer"):
        encrypt_bucket_totals(paillier_public_key, [5, bad])  # type: ignore[list-item]


def test_totals_beyond_a_third_of_n_are_refused(paillier_public_key: PaillierPublicKey) -> None:
    limit = paillier_public_key.n // 3 - 1
    for value in (limit + 1, -(limit + 1), paillier_public_key.n):
        with pytest.raises(CryptoError, match="too large"):
            encrypt_bucket_totals(paillier_public_key, [value])


def test_homomorphic_sum_decrypts_to_the_sum(paillier_keypair: PaillierPrivateKey) -> None:
    public = paillier_keypair.public_key
    totals = [1_250_000, 730_050, -30_000, 0, 99]
    ciphertexts = encrypt_bucket_totals(public, totals)
    total = add_ciphertexts(public, ciphertexts)
    assert paillier_keypair.decrypt(total) == sum(totals)
    assert total not in ciphertexts
    assert add_ciphertexts(public, ciphertexts) != total  # the sum is re-randomised each time
    assert paillier_keypair.decrypt(add_ciphertexts(public, ciphertexts[:1])) == totals[0]


def test_sum_overflowing_the_range_fails_to_decrypt(paillier_keypair: PaillierPrivateKey) -> None:
    public = paillier_keypair.public_key
    limit = public.n // 3 - 1
    total = add_ciphertexts(public, encrypt_bucket_totals(public, [limit, limit]))
    with pytest.raises(CryptoError, match="overflow"):
        paillier_keypair.decrypt(total)


def test_adding_nothing_or_bad_ciphertexts_is_refused(
    paillier_public_key: PaillierPublicKey,
) -> None:
    with pytest.raises(CryptoError, match="at least one"):
        add_ciphertexts(paillier_public_key, [])
    good = encrypt_bucket_totals(paillier_public_key, [1])[0]
    with pytest.raises(CiphertextError, match=r"ciphertexts\[1\]"):
        add_ciphertexts(paillier_public_key, [good, _encode(paillier_public_key, 0)])


def test_a_valid_ciphertext_decodes(paillier_public_key: PaillierPublicKey) -> None:
    ct = encrypt_bucket_totals(paillier_public_key, [3])[0]
    value = decode_ciphertext(paillier_public_key, ct)
    assert 0 < value < paillier_public_key.n**2
    shorter = _encode(paillier_public_key, value, (value.bit_length() + 7) // 8)
    assert decode_ciphertext(paillier_public_key, shorter) == value  # length is at most, not exact


def _invalid_cases(
    public: PaillierPublicKey, private: PaillierPrivateKey
) -> dict[str, tuple[str, str]]:
    n, n2 = public.n, public.n**2
    good = encrypt_bucket_totals(public, [3])[0]
    return {
        "zero": (_encode(public, 0), "out of range"),
        "one": (_encode(public, 1), "not obfuscated"),
        "n_squared": (_encode(public, n2), "out of range"),
        "above_n_squared": (
            _encode(public, 2 ** (8 * public.ciphertext_bytes) - 1),
            "out of range",
        ),
        "multiple_of_p": (_encode(public, private.p * 12345), "shares a factor"),
        "multiple_of_n": (_encode(public, n * 7), "shares a factor"),
        "unobfuscated": (_encode(public, 1 + n * 5000), "not obfuscated"),
        "oversized": (_encode(public, 5, public.ciphertext_bytes + 1), "at most 512"),
        "padded": (good + "=" * (-len(good) % 4 or 4), "unpadded base64url"),
        "standard_alphabet": (good[:-2] + "+/", "unpadded base64url"),
        "whitespace": (good + "\n", "unpadded base64url"),
        "empty": ("", "out of range"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "zero",
        "one",
        "n_squared",
        "above_n_squared",
        "multiple_of_p",
        "multiple_of_n",
        "unobfuscated",
        "oversized",
        "padded",
        "standard_alphabet",
        "whitespace",
        "empty",
    ],
)
def test_invalid_ciphertexts_are_refused(paillier_keypair: PaillierPrivateKey, case: str) -> None:
    text, reason = _invalid_cases(paillier_keypair.public_key, paillier_keypair)[case]
    with pytest.raises(CiphertextError, match=reason):
        decode_ciphertext(paillier_keypair.public_key, text)
    with pytest.raises(CiphertextError):
        paillier_keypair.decrypt(text)

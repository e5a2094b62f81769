"""Raw homomorphic additions on ciphertext integers: GMP products, range and gcd checks."""

from __future__ import annotations

import functools

import pytest

from gateway.crypto import (
    DjnFixedBase,
    PaillierPrivateKey,
    add_raw,
    add_raw_many,
    decode_ciphertext,
    encrypt_bucket_totals,
)
from gateway.crypto.b64 import b64url_encode
from gateway.errors import CiphertextError, CryptoError


@pytest.fixture(scope="module")
def totals_and_ciphertexts(paillier_keypair: PaillierPrivateKey) -> tuple[list[int], list[int]]:
    public = paillier_keypair.public_key
    totals = [1_250_000, 730_050, -30_000, 0, 99, -1, 10**30]
    texts = encrypt_bucket_totals(public, totals, obfuscators=DjnFixedBase(public.n, window=4))
    return totals, [decode_ciphertext(public, t) for t in texts]


def _plain(key: PaillierPrivateKey, ciphertext: int) -> int:
    size = key.public_key.ciphertext_bytes
    return key.decrypt(b64url_encode(ciphertext.to_bytes(size, "big")))


def test_add_raw_and_add_raw_many_decrypt_to_the_sum(
    paillier_keypair: PaillierPrivateKey, totals_and_ciphertexts: tuple[list[int], list[int]]
) -> None:
    public = paillier_keypair.public_key
    totals, cts = totals_and_ciphertexts
    pairwise = functools.reduce(lambda a, b: add_raw(public, a, b), cts)
    many = add_raw_many(public, cts[0], cts[1:])
    assert many == pairwise == functools.reduce(lambda a, b: a * b % public.n**2, cts)
    assert _plain(paillier_keypair, many) == sum(totals)
    assert add_raw_many(public, cts[2], []) == cts[2]
    three = add_raw(public, add_raw(public, cts[0], cts[1]), cts[2])
    assert add_raw_many(public, cts[0], iter(cts[1:3])) == three


def test_add_raw_refuses_out_of_range_and_non_integers(
    paillier_keypair: PaillierPrivateKey, totals_and_ciphertexts: tuple[list[int], list[int]]
) -> None:
    public = paillier_keypair.public_key
    good = totals_and_ciphertexts[1][0]
    for bad in (0, public.n**2, -good, True):
        with pytest.raises(CiphertextError, match="ciphertext b: out of range"):
            add_raw(public, good, bad)
    with pytest.raises(CiphertextError, match="ciphertext a: out of range"):
        add_raw(public, 1.0, good)  # type: ignore[arg-type]


def test_add_raw_names_the_input_sharing_a_factor_with_n(
    paillier_keypair: PaillierPrivateKey, totals_and_ciphertexts: tuple[list[int], list[int]]
) -> None:
    public = paillier_keypair.public_key
    good = totals_and_ciphertexts[1][0]
    for bad in (paillier_keypair.p * 12_345, paillier_keypair.q, public.n * 7):
        with pytest.raises(CiphertextError, match="ciphertext a: shares a factor"):
            add_raw(public, bad, good)
        with pytest.raises(CiphertextError, match="ciphertext b: shares a factor"):
            add_raw(public, good, bad)


def test_add_raw_many_checks_every_input(
    paillier_keypair: PaillierPrivateKey, totals_and_ciphertexts: tuple[list[int], list[int]]
) -> None:
    public = paillier_keypair.public_key
    cts = totals_and_ciphertexts[1]
    with pytest.raises(CiphertextError, match=r"values\[2\]: out of range"):
        add_raw_many(public, cts[0], [cts[1], cts[2], public.n**2 + 5, cts[3]])
    with pytest.raises(CiphertextError, match="total: out of range"):
        add_raw_many(public, 0, cts)
    with pytest.raises(CiphertextError, match=r"values\[4\]: shares a factor"):
        add_raw_many(public, cts[0], [*cts[1:5], paillier_keypair.p * 3, cts[5]])
    with pytest.raises(CiphertextError, match="total: shares a factor"):
        add_raw_many(public, paillier_keypair.q, cts)
    with pytest.raises(CryptoError, match="at most"):
        add_raw_many(public, cts[0], [cts[1]] * 1_000_001)

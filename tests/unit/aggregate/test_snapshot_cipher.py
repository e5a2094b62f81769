"""Snapshot ciphertexts: unchanged buckets keep theirs, everything else is encrypted afresh,
and a stock python-paillier key decrypts every one to its bucket's total."""

from __future__ import annotations

import json

from phe import paillier

from gateway.aggregate import Aggregator, BucketKey
from gateway.aggregate.aggregator import Bucket
from gateway.aggregate.snapshot_cipher import snapshot_ciphertexts
from gateway.crypto import PaillierPrivateKey, decode_ciphertext


def _buckets(totals: dict[str, int]) -> list[Bucket]:
    aggregator = Aggregator(1)
    for buyer, total in totals.items():
        key = BucketKey(buyer=buyer, country="DE", currency="EUR", maturity_month="2026-05")
        aggregator.add(key, total)
    return list(aggregator.finish().buckets)


def _stock(private: PaillierPrivateKey) -> paillier.PaillierPrivateKey:
    public = paillier.PaillierPublicKey(private.public_key.n)
    return paillier.PaillierPrivateKey(public, private.p, private.q)


def _plain(private: PaillierPrivateKey, ciphertexts: list[str]) -> list[int]:
    stock = _stock(private)
    public = stock.public_key
    return [
        stock.decrypt(paillier.EncryptedNumber(public, decode_ciphertext(private.public_key, c)))
        for c in ciphertexts
    ]


def test_only_changed_and_new_buckets_are_encrypted_again(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    public = paillier_keypair.public_key
    first = _buckets({"a": 100, "b": 200, "c": 300})
    cts1, memory, fresh1 = snapshot_ciphertexts(public, first, None)
    assert fresh1 == 3 and _plain(paillier_keypair, cts1) == [100, 200, 300]
    second = _buckets({"a": 100, "b": 250, "c": 300, "d": 5})
    cts2, _, fresh2 = snapshot_ciphertexts(public, second, memory)
    assert fresh2 == 2
    assert _plain(paillier_keypair, cts2) == [100, 250, 300, 5]
    assert cts2[0] == cts1[0] and cts2[2] == cts1[2]  # unchanged: the same ciphertext
    assert cts2[1] != cts1[1]


def test_a_memory_under_another_key_or_unreadable_is_not_used(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    public = paillier_keypair.public_key
    buckets = _buckets({"a": 100})
    cts, memory, _ = snapshot_ciphertexts(public, buckets, None)
    other = json.loads(memory)
    other["key"] = "sha256:" + "0" * 64
    for bad in (json.dumps(other), "{not json", json.dumps({"key": public.fingerprint})):
        again, _, fresh = snapshot_ciphertexts(public, buckets, bad)
        assert fresh == 1 and again != cts
        assert _plain(paillier_keypair, again) == [100]


def test_a_remembered_ciphertext_for_another_total_is_not_reused(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    """The memory is looked up by bucket and total together: a bucket whose total changed back
    and forth still decrypts to its current total."""
    public = paillier_keypair.public_key
    _, memory, _ = snapshot_ciphertexts(public, _buckets({"a": 100}), None)
    _, memory, _ = snapshot_ciphertexts(public, _buckets({"a": 150}), memory)
    back, _, fresh = snapshot_ciphertexts(public, _buckets({"a": 100}), memory)
    assert fresh == 1 and _plain(paillier_keypair, back) == [100]

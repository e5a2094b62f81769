"""Obfuscator sources: stock python-paillier decrypts what they feed, none repeats a value."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

import gmpy2
import pytest
from phe import paillier
from phe.encoding import EncodedNumber

from gateway.crypto import (
    DjnFixedBase,
    ObfuscatorSource,
    PaillierPrivateKey,
    PaillierPublicKey,
    TextbookPool,
    _paillier,
    add_ciphertexts,
    decode_ciphertext,
    encrypt_bucket_totals,
    obfuscator_source,
)
from gateway.crypto.obfuscators import Patient, security_level
from gateway.errors import CryptoError


@pytest.fixture(scope="session")
def stock_private(paillier_keypair: PaillierPrivateKey) -> paillier.PaillierPrivateKey:
    """The same key as a plain python-paillier private key (no gateway code involved)."""
    public = paillier.PaillierPublicKey(paillier_keypair.public_key.n)
    return paillier.PaillierPrivateKey(public, paillier_keypair.p, paillier_keypair.q)


@pytest.fixture(scope="session")
def djn(paillier_public_key: PaillierPublicKey) -> DjnFixedBase:
    """A DJN source for the session key (its table is built once)."""
    return DjnFixedBase(paillier_public_key.n)


def _stock_decrypt(private: paillier.PaillierPrivateKey, ciphertext: int) -> int:
    value = private.decrypt(paillier.EncryptedNumber(private.public_key, ciphertext, 0))
    assert isinstance(value, int)
    return value


def _edge_values(n: int) -> list[int]:
    edge = n // 3 - 1  # phe's max_int
    return [0, 1, -1, 1_250_000, -730_050, edge, -edge, edge - 1]


class _FixedR(ObfuscatorSource):
    """Test double: obfuscators from a known list of r, so phe's own encryption can be replayed.

    Deliberately insecure (the caller picks r); it exists only to compare bytes with phe.
    """

    def __init__(self, n: int, rs: list[int]) -> None:
        self._n, self._rs = n, list(rs)

    @property
    def n(self) -> int:
        return self._n

    def take(self) -> Any:
        return gmpy2.powmod(self._rs.pop(0), self._n, self._n * self._n)


def test_encryption_is_byte_for_byte_phes_for_the_same_r(
    paillier_public_key: PaillierPublicKey,
) -> None:
    n = paillier_public_key.n
    public = paillier.PaillierPublicKey(n)
    values = _edge_values(n)
    rs = [secrets.randbelow(n - 2) + 2 for _ in values]
    ours = _paillier.encrypt(n, values, obfuscators=_FixedR(n, rs))
    theirs = [
        public.raw_encrypt(EncodedNumber.encode(public, v, max_exponent=0).encoding, r_value=r)
        for v, r in zip(values, rs, strict=True)
    ]
    assert ours == theirs


@pytest.mark.parametrize("bad", ["one", "n_plus_one", "n_square"])
def test_an_unusable_obfuscator_is_refused(
    paillier_public_key: PaillierPublicKey, bad: str
) -> None:
    n = paillier_public_key.n
    value = {"one": 1, "n_plus_one": n + 1, "n_square": n * n}[bad]
    source = _FixedR(n, [])
    source.take = lambda: gmpy2.mpz(value)  # type: ignore[method-assign]
    with pytest.raises(CryptoError, match="unusable value"):
        encrypt_bucket_totals(paillier_public_key, [5], obfuscators=source)


def test_djn_ciphertexts_decrypt_with_stock_phe(
    djn: DjnFixedBase,
    stock_private: paillier.PaillierPrivateKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    values = _edge_values(paillier_public_key.n)
    ciphertexts = encrypt_bucket_totals(paillier_public_key, values, obfuscators=djn)
    decoded = [decode_ciphertext(paillier_public_key, c) for c in ciphertexts]
    assert [_stock_decrypt(stock_private, c) for c in decoded] == values
    total = add_ciphertexts(paillier_public_key, ciphertexts[:5], obfuscators=djn)
    assert _stock_decrypt(stock_private, decode_ciphertext(paillier_public_key, total)) == sum(
        values[:5]
    )


def test_textbook_pool_ciphertexts_decrypt_with_stock_phe(
    stock_private: paillier.PaillierPrivateKey, paillier_public_key: PaillierPublicKey
) -> None:
    values = _edge_values(paillier_public_key.n)
    with TextbookPool(paillier_public_key.n, size=8, batch=4) as pool:
        assert pool.wait_stocked(4, timeout=60)
        ciphertexts = encrypt_bucket_totals(paillier_public_key, values, obfuscators=pool)
        assert pool.stats().pooled >= 4
    decoded = [decode_ciphertext(paillier_public_key, c) for c in ciphertexts]
    assert [_stock_decrypt(stock_private, c) for c in decoded] == values


def test_pool_never_repeats_across_worker_and_inline(
    stock_private: paillier.PaillierPrivateKey, paillier_public_key: PaillierPublicKey
) -> None:
    n = paillier_public_key.n
    pool = TextbookPool(n, size=16, batch=4).start()
    try:
        assert pool.wait_stocked(16, timeout=60)
        time.sleep(0.3)
        assert pool.stocked() == 16  # bounded: the worker waits instead of piling up more
        taken = [pool.take() for _ in range(24)]  # the stock, then whatever comes next
    finally:
        pool.close()
    taken += [pool.take() for _ in range(6)]  # closed: inline only
    stats = pool.stats()
    assert stats.pooled >= 16 and stats.inline >= 6
    assert stats.pooled + stats.inline == len(taken) == 30
    assert len({int(v) for v in taken}) == len(taken)
    # Each obfuscator is an encryption of 0: an n-th residue, never 1 mod n.
    assert all(v % n != 1 for v in taken)
    assert {_stock_decrypt(stock_private, int(v)) for v in taken[::5]} == {0}


def test_an_empty_pool_computes_inline_at_once(paillier_public_key: PaillierPublicKey) -> None:
    n = paillier_public_key.n
    idle = TextbookPool(n)  # never started: no worker, every value inline
    assert idle.pid is None and not idle.running
    values = {int(idle.take()) for _ in range(3)}
    assert len(values) == 3 and idle.stats().inline == 3
    with TextbookPool(n, size=16, batch=16) as pool:
        started = time.monotonic()
        first = pool.take()  # the worker is still booting: nothing is stocked yet
        assert time.monotonic() - started < 5
        assert pool.stats().inline == 1 and pool.stats().pooled == 0
        assert int(first) not in values


def test_close_stops_the_worker_process(paillier_public_key: PaillierPublicKey) -> None:
    pool = TextbookPool(paillier_public_key.n, size=8, batch=4)
    pool.start()
    pid = pool.pid
    assert pid is not None and pool.running
    os.kill(pid, 0)  # alive
    pool.close()
    assert not pool.running and pool.pid is None and pool.stocked() == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    pool.close()  # idempotent
    assert pool.take() % paillier_public_key.n != 1  # still usable, inline


def test_djn_table_matches_powmod(djn: DjnFixedBase) -> None:
    n_square = djn.n * djn.n
    bits = djn.exponent_bits
    exponents = [0, 1, 255, 256, 2**bits - 1, 1 << (bits - 1), int("01" * (bits // 2), 2)]
    exponents += [secrets.randbits(bits) for _ in range(8)]
    for a in exponents:
        assert djn.power(a) == gmpy2.powmod(djn.hs, a, n_square)
    for bad in (-1, 2**bits):
        with pytest.raises(CryptoError, match="out of the table's range"):
            djn.power(bad)


def test_djn_exponent_sizes_follow_the_security_level(
    paillier_public_key: PaillierPublicKey,
) -> None:
    n = paillier_public_key.n
    assert [security_level(b) for b in (2048, 3072, 4096, 7680, 15360)] == [112, 128, 128, 192, 256]
    assert DjnFixedBase(n, window=4).exponent_bits == 448
    assert DjnFixedBase(n, exponent_bits=1024, window=4).exponent_bits == 1024  # the paper's k/2
    with pytest.raises(CryptoError, match="at least 448 bits"):
        DjnFixedBase(n, exponent_bits=447)
    with pytest.raises(CryptoError, match="window"):
        DjnFixedBase(n, window=0)


def test_djn_obfuscators_are_fresh(djn: DjnFixedBase) -> None:
    taken = [int(djn.take()) for _ in range(300)]
    assert len(set(taken)) == len(taken)
    assert all(0 < v < djn.n * djn.n and v % djn.n != 1 for v in taken)


def test_a_source_for_another_key_is_refused(paillier_public_key: PaillierPublicKey) -> None:
    other = DjnFixedBase(paillier_public_key.n + 2, window=4)
    with pytest.raises(CryptoError, match="another Paillier key"):
        encrypt_bucket_totals(paillier_public_key, [1], obfuscators=other)


def test_factory_and_pool_parameters(paillier_public_key: PaillierPublicKey) -> None:
    n = paillier_public_key.n
    textbook = obfuscator_source(n, "textbook", pool_size=32)
    assert isinstance(textbook, TextbookPool) and not textbook.running
    assert isinstance(obfuscator_source(n, "djn"), DjnFixedBase)
    with pytest.raises(CryptoError, match="mode"):
        obfuscator_source(n, "fast")  # type: ignore[arg-type]
    with pytest.raises(CryptoError, match="batch"):
        TextbookPool(n, size=4, batch=8)


def test_a_patient_take_waits_for_the_worker_instead_of_computing_inline(
    stock_private: paillier.PaillierPrivateKey, paillier_public_key: PaillierPublicKey
) -> None:
    n = paillier_public_key.n
    with TextbookPool(n, size=8, batch=4) as pool:
        patient = Patient(pool, timeout=60)
        assert patient.n == n
        taken = [patient.take() for _ in range(12)]  # more than one stock's worth
        stats = pool.stats()
        assert stats.inline == 0 and stats.pooled == 12, "a patient take computed inline"
    assert len({int(v) for v in taken}) == 12
    ciphertexts = encrypt_bucket_totals(paillier_public_key, [5, -7], obfuscators=Patient(
        TextbookPool(n), timeout=60))  # never started: nothing to wait for, inline at once
    decoded = [decode_ciphertext(paillier_public_key, c) for c in ciphertexts]
    assert [_stock_decrypt(stock_private, c) for c in decoded] == [5, -7]


def test_a_patient_take_gives_up_after_its_timeout(paillier_public_key: PaillierPublicKey) -> None:
    with TextbookPool(paillier_public_key.n, size=16, batch=16) as pool:
        started = time.monotonic()
        value = pool.take_waiting(0.05)  # the worker is still booting
        assert time.monotonic() - started < 5
        assert pool.stats().inline == 1 and value % paillier_public_key.n != 1

"""Paillier key documents: round trips, fingerprints, weak keys refused, interoperability."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import phe
import pytest
from phe import paillier

from gateway.crypto import (
    MIN_PAILLIER_BITS,
    PaillierPrivateKey,
    PaillierPublicKey,
    encrypt_bucket_totals,
    generate_paillier_keypair,
)
from gateway.crypto.b64 import b64url_encode, int_to_b64url
from gateway.errors import PaillierKeyError

VECTOR = Path(__file__).resolve().parents[2] / "vectors" / "paillier_v1.json"


def _b64_to_int(text: str) -> int:
    """Decode the documented integer format (unpadded base64url, big-endian) independently."""
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def test_public_document_round_trip_and_documented_fingerprint(
    paillier_public_key: PaillierPublicKey,
) -> None:
    doc = paillier_public_key.to_document()
    assert set(doc) == {"kty", "version", "n", "fingerprint"}
    assert doc["kty"] == "Paillier" and doc["version"] == 1
    assert _b64_to_int(doc["n"]) == paillier_public_key.n
    expected = hashlib.sha256(f'{{"kty":"Paillier","n":"{doc["n"]}"}}'.encode()).hexdigest()
    assert doc["fingerprint"] == "sha256:" + expected
    again = PaillierPublicKey.from_document(json.loads(json.dumps(doc)))
    assert again == paillier_public_key and again.fingerprint == paillier_public_key.fingerprint
    assert paillier_public_key.bits == 2048
    without = {k: v for k, v in doc.items() if k != "fingerprint"}
    assert PaillierPublicKey.from_document(without).fingerprint == doc["fingerprint"]


def test_fixed_vector_fingerprint_and_ciphertexts() -> None:
    """A key and ciphertexts computed by textbook Paillier outside the library (see source)."""
    v = json.loads(VECTOR.read_text(encoding="utf-8"))
    public = PaillierPublicKey.from_document(v["public_key"])
    private = PaillierPrivateKey.from_document(v["private_key"])
    assert public.fingerprint == v["public_key"]["fingerprint"] == private.fingerprint
    assert public.ciphertext_bytes == v["ciphertext_bytes"]
    for case in v["cases"]:
        assert private.decrypt(case["ciphertext"]) == case["plaintext"]


def test_fresh_phe_private_key_decrypts_our_ciphertexts(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    """The private document is standard Paillier: phe, given only n, p, q, decrypts."""
    doc = json.loads(json.dumps(paillier_keypair.to_document()))
    assert set(doc) == {"kty", "version", "n", "p", "q"}
    n, p, q = (_b64_to_int(doc[name]) for name in ("n", "p", "q"))
    fresh = paillier.PaillierPrivateKey(paillier.PaillierPublicKey(n), p, q)
    totals = [0, 1, 987_654_321, -42, 10**15]
    for total, ct in zip(
        totals, encrypt_bucket_totals(paillier_keypair.public_key, totals), strict=True
    ):
        c = _b64_to_int(ct)
        assert fresh.decrypt(phe.EncryptedNumber(fresh.public_key, c, 0)) == total


def test_private_document_round_trip(paillier_keypair: PaillierPrivateKey) -> None:
    again = PaillierPrivateKey.from_document(paillier_keypair.to_document())
    assert again.public_key == paillier_keypair.public_key
    ct = encrypt_bucket_totals(paillier_keypair.public_key, [31337])[0]
    assert again.decrypt(ct) == 31337


def test_repr_never_shows_the_primes(paillier_keypair: PaillierPrivateKey) -> None:
    text = repr(paillier_keypair)
    assert str(paillier_keypair.p)[:20] not in text
    assert int_to_b64url(paillier_keypair.q)[:20] not in text
    assert paillier_keypair.fingerprint in text


def _doc(n: int) -> dict[str, Any]:
    return {"kty": "Paillier", "version": 1, "n": int_to_b64url(n)}


def test_1024_bit_key_is_refused() -> None:
    public, _ = paillier.generate_paillier_keypair(n_length=1024)
    with pytest.raises(PaillierKeyError, match="1024 bits; at least 2048"):
        PaillierPublicKey.from_document(_doc(public.n))


def test_even_modulus_is_refused(paillier_public_key: PaillierPublicKey) -> None:
    with pytest.raises(PaillierKeyError, match="even"):
        PaillierPublicKey.from_document(_doc(paillier_public_key.n + 1))


@pytest.mark.parametrize("factor", [3, 9973])
def test_modulus_with_small_factor_is_refused(factor: int) -> None:
    big = (1 << 2047) // factor * 2 + 1  # odd, so factor * big is odd and has >= 2048 bits
    n = factor * big
    assert n.bit_length() >= MIN_PAILLIER_BITS and n % 2 == 1
    with pytest.raises(PaillierKeyError, match="below 10,000"):
        PaillierPublicKey.from_document(_doc(n))


def test_square_modulus_is_refused(paillier_keypair: PaillierPrivateKey) -> None:
    n = paillier_keypair.q**2
    if n.bit_length() < MIN_PAILLIER_BITS:
        n = (paillier_keypair.q * 4 + 1) ** 2  # still odd; size is what matters here
    assert math.isqrt(n) ** 2 == n
    with pytest.raises(PaillierKeyError, match=r"perfect square|factor below"):
        PaillierPublicKey.from_document(_doc(n))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": 2}, "version"),
        ({"version": "1"}, "version"),
        ({"version": True}, "version"),
        ({"kty": "RSA"}, "kty"),
        ({"extra": 1}, "unexpected"),
        ({"fingerprint": "sha256:" + "0" * 64}, "fingerprint does not match"),
    ],
)
def test_malformed_public_documents_are_refused(
    paillier_public_key: PaillierPublicKey, change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(PaillierKeyError, match=reason):
        PaillierPublicKey.from_document({**paillier_public_key.to_document(), **change})


def test_non_canonical_n_encodings_are_refused(paillier_public_key: PaillierPublicKey) -> None:
    n_bytes = paillier_public_key.n.to_bytes(256, "big")
    for text in (
        b64url_encode(b"\x00" + n_bytes),  # leading zero byte
        base64.urlsafe_b64encode(n_bytes + b"\x01").decode(),  # padded
        base64.b64encode(n_bytes).decode().rstrip("="),  # standard alphabet
    ):
        if text == b64url_encode(n_bytes):
            continue
        with pytest.raises(PaillierKeyError):
            PaillierPublicKey.from_document(_doc(1) | {"n": text})
    with pytest.raises(PaillierKeyError, match="missing"):
        PaillierPublicKey.from_document({"kty": "Paillier", "version": 1})
    with pytest.raises(PaillierKeyError, match="JSON object"):
        PaillierPublicKey.from_document([])  # type: ignore[arg-type]


def test_private_document_with_wrong_or_composite_factors_is_refused(
    paillier_keypair: PaillierPrivateKey,
) -> None:
    doc = paillier_keypair.to_document()
    with pytest.raises(PaillierKeyError, match="do not form the modulus"):
        PaillierPrivateKey.from_document({**doc, "p": int_to_b64url(paillier_keypair.p + 2)})
    n = paillier_keypair.public_key.n
    composite = {**doc, "p": int_to_b64url(1), "q": int_to_b64url(n)}
    with pytest.raises(PaillierKeyError, match="not prime"):
        PaillierPrivateKey.from_document(composite)
    with pytest.raises(PaillierKeyError, match="unexpected"):
        PaillierPrivateKey.from_document({**doc, "fingerprint": paillier_keypair.fingerprint})


def test_generation_refuses_weak_sizes() -> None:
    for bits in (1024, 2047, 2049, True):
        with pytest.raises(PaillierKeyError):
            generate_paillier_keypair(bits)

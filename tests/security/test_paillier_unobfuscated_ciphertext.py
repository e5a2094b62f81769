"""Attack: an unobfuscated ciphertext (randomness r = 1), readable without the private key.

With g = n + 1, ``E(m) = (1 + n·m)·rⁿ mod n²``; if r = 1 anyone recovers ``m = (c - 1) / n``.
A broken or malicious encryptor that skips obfuscation leaks every bucket total in transit.
Such ciphertexts are exactly those congruent to 1 mod n, and are refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPrivateKey, PaillierPublicKey, SigningKey, decode_ciphertext
from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.errors import CiphertextError, VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks
from gateway.verify import verify_submission


def _unobfuscated(public: PaillierPublicKey, m: int) -> str:
    c = (1 + public.n * m) % (public.n**2)
    return b64url_encode(c.to_bytes(public.ciphertext_bytes, "big"))


def test_unobfuscated_ciphertext_leaks_and_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
    forge_jws: Any,
) -> None:
    public = paillier_keypair.public_key
    leaky = _unobfuscated(public, 1_250_000)
    c = int.from_bytes(b64url_decode(leaky), "big")
    assert (c - 1) // public.n == 1_250_000  # the leak: no private key needed
    with pytest.raises(CiphertextError, match="not obfuscated"):
        decode_ciphertext(public, leaky)
    submission_payload["exposure"]["buckets"][0]["ciphertext"] = leaky
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="not obfuscated"):
        verify_submission(token, build_jwks([signing_key]), public, now=submission_payload["iat"])

"""Attack: invalid Paillier ciphertexts in a submission's exposure buckets.

Receipts carry no ciphertexts; this is the submission verifier's check. Each value below is
refused inside a really signed submission: values outside ``0 < c < n²`` (0, n², above it, a
negative number in any spelling), values sharing a factor with n (n itself, multiples of the
primes p and q of a key generated for the test session), 1 and other unobfuscated encryptions
(``c ≡ 1 mod n``, whose plaintext anyone can read), and text that is not the one fixed-length,
canonical, unpadded base64url form (padding, standard alphabet, non-zero trailing bits,
whitespace, too short, oversized byte strings or strings).
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPrivateKey, SigningKey, decode_ciphertext
from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks
from gateway.verify import verify_submission

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SCHEMA_STRING = "ciphertext: Input should be a valid string"
_SCHEMA_PATTERN = "ciphertext: String should match pattern"


def _cases(key: PaillierPrivateKey, good: str) -> dict[str, tuple[Any, str]]:
    n, size = key.public_key.n, key.public_key.ciphertext_bytes
    real = int.from_bytes(b64url_decode(good), "big")
    small = real % 2 ** (8 * size - 8)  # a valid value that fits in one byte less
    assert decode_ciphertext(key.public_key, b64url_encode(small.to_bytes(size, "big"))) == small

    def fixed(value: int, length: int = size) -> str:
        return b64url_encode(value.to_bytes(length, "big"))

    return {
        "zero": (fixed(0), "out of range"),
        "one": (fixed(1), "not obfuscated"),
        "n": (fixed(n), "shares a factor with n"),
        "n_squared": (fixed(n * n), "out of range"),
        "above_n_squared": (fixed(n * n + 2), "out of range"),
        "multiple_of_p": (fixed(key.p * 65_537), "shares a factor with n"),
        "multiple_of_q_times_valid": (fixed(key.q * real % (n * n)), "shares a factor with n"),
        "unobfuscated": (fixed(1 + n * 1_250_000), "not obfuscated"),
        "negative_one_twos_complement": (fixed(2 ** (8 * size) - 1), "out of range"),
        "negative_two_twos_complement": (fixed(2 ** (8 * size) - 2), "out of range"),
        "negative_json_number": (-(real % 2**53), _SCHEMA_STRING),
        "negative_decimal_text": ("-" + str(real)[:39], "fixed-length"),
        "json_number": (small % 2**53, _SCHEMA_STRING),
        "noncanonical_trailing_bits": (
            good[:-1] + _ALPHABET[_ALPHABET.index(good[-1]) | 1],
            "not the canonical base64url",
        ),
        "padded": (good + "=", _SCHEMA_PATTERN),
        "standard_alphabet": (good[:-2] + "+/", _SCHEMA_PATTERN),
        "whitespace": (good + " ", _SCHEMA_PATTERN),
        "empty": ("", _SCHEMA_PATTERN),
        "leading_zero_bytes_stripped": (
            fixed(small, (small.bit_length() + 7) // 8),
            "fixed-length",
        ),
        "one_byte_short": (fixed(small, size - 1), "fixed-length"),
        "oversized_bytes": (fixed(real, size + 1), f"at most {size} for this key"),
        "oversized_string": ("A" * 8193, _SCHEMA_PATTERN),
        "huge_string": ("A" * 1_000_000, _SCHEMA_PATTERN),
    }


CASES = [
    "zero", "one", "n", "n_squared", "above_n_squared", "multiple_of_p",
    "multiple_of_q_times_valid", "unobfuscated", "negative_one_twos_complement",
    "negative_two_twos_complement", "negative_json_number", "negative_decimal_text",
    "json_number", "noncanonical_trailing_bits", "padded", "standard_alphabet", "whitespace",
    "empty", "leading_zero_bytes_stripped", "one_byte_short", "oversized_bytes",
    "oversized_string", "huge_string",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_verify_invalid_ciphertext_in_a_bucket_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
    forge_jws: Any,
    case: str,
) -> None:
    public = paillier_keypair.public_key
    jwks = build_jwks([signing_key])
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    token = forge_jws(header, canonical_json(submission_payload))
    verify_submission(token, jwks, public, now=submission_payload["iat"])
    bucket = submission_payload["exposure"]["buckets"][1]
    bucket["ciphertext"], reason = _cases(paillier_keypair, bucket["ciphertext"])[case]
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match=reason) as info:
        verify_submission(token, jwks, public, now=submission_payload["iat"])
    assert "buckets" in str(info.value)

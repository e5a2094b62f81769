"""Attack: tampering with a signed token (a flipped bit in the payload or the signature)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_submission


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flip(segment: str, byte: int, bit: int) -> str:
    data = bytearray(_b64d(segment))
    data[byte % len(data)] ^= 1 << bit
    return _b64e(bytes(data))


@pytest.mark.parametrize("byte", [0, 17, 200, -1])
@pytest.mark.parametrize("bit", [0, 7])
def test_bit_flip_in_payload_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    byte: int,
    bit: int,
) -> None:
    header, payload, signature = sign_submission(submission_payload, signing_key).split(".")
    token = f"{header}.{_flip(payload, byte, bit)}.{signature}"
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


@pytest.mark.parametrize("byte", [0, 31, 32, 63])
@pytest.mark.parametrize("bit", [0, 5])
def test_bit_flip_in_signature_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    byte: int,
    bit: int,
) -> None:
    header, payload, signature = sign_submission(submission_payload, signing_key).split(".")
    token = f"{header}.{payload}.{_flip(signature, byte, bit)}"
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )


def test_truncated_signature_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
) -> None:
    header, payload, signature = sign_submission(submission_payload, signing_key).split(".")
    token = f"{header}.{payload}.{_b64e(_b64d(signature)[:63])}"
    with pytest.raises(VerificationError, match="64 bytes"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

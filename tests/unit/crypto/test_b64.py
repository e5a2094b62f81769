"""Strict base64url: one accepted text per byte string, nothing lenient."""

from __future__ import annotations

import base64

import pytest

from gateway.crypto.b64 import b64url_decode, b64url_encode, b64url_to_int, int_to_b64url
from gateway.errors import CiphertextError, CryptoError


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", b"abc", bytes(range(256))])
def test_round_trip_matches_stdlib_without_padding(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(text) == data


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("QQ==", "unpadded"),  # padding
        ("Q Q", "unpadded"),  # whitespace
        ("QQ\n", "unpadded"),  # trailing newline
        ("a+/b", "unpadded"),  # standard alphabet, not URL-safe
        ("QUJDR", "impossible length"),  # 5 chars: length % 4 == 1
        ("QR", "canonical"),  # non-zero trailing bits: same byte as "QQ"
    ],
)
def test_non_strict_text_is_refused(text: str, reason: str) -> None:
    with pytest.raises(CryptoError, match=reason):
        b64url_decode(text, what="thing")


def test_error_class_and_label_are_the_callers() -> None:
    with pytest.raises(CiphertextError, match=r"^ciphertext: "):
        b64url_decode("QQ==", what="ciphertext", error=CiphertextError)


def test_non_string_is_refused() -> None:
    with pytest.raises(CryptoError):
        b64url_decode(b"QQ")  # type: ignore[arg-type]


def test_integers_are_minimal_big_endian_unless_a_length_is_fixed() -> None:
    assert int_to_b64url(0) == "AA"
    assert int_to_b64url(65537) == "AQAB"  # the RFC 7517 "e" of every RSA example
    assert int_to_b64url(1, length=3) == b64url_encode(b"\x00\x00\x01")
    assert b64url_to_int("AQAB") == 65537
    with pytest.raises(CryptoError, match="leading zero"):
        b64url_to_int(b64url_encode(b"\x00\x01"))
    assert b64url_to_int(b64url_encode(b"\x00\x01"), minimal=False) == 1
    with pytest.raises(CryptoError):
        int_to_b64url(-1)
    with pytest.raises(CryptoError):
        int_to_b64url(256, length=1)
    with pytest.raises(CryptoError, match="empty"):
        b64url_to_int("")

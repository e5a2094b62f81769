"""Strict JSON: duplicates, floats and odd encodings are refused without echoing content."""

from __future__ import annotations

import pytest

from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError


def _load(data: bytes) -> object:
    return loads_strict(data, what="doc", error=VerificationError)


def test_plain_json_parses() -> None:
    assert _load(b'{"a":[1,"x",null,true],"b":{"c":-3}}') == {
        "a": [1, "x", None, True],
        "b": {"c": -3},
    }


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a":1,"a":2}', "duplicate object key"),
        (b'{"o":{"secret":1,"secret":1}}', "duplicate object key"),
        (b'{"a":1.5}', "floating-point"),
        (b'{"a":1e3}', "floating-point"),
        (b'{"a":NaN}', "NaN or Infinity"),
        (b'{"a":-Infinity}', "NaN or Infinity"),
        (b'\xef\xbb\xbf{"a":1}', "byte-order mark"),
        (b'{"a":"\xff"}', "not UTF-8"),
        (b'{"a":', "not valid JSON"),
    ],
)
def test_refused(data: bytes, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason) as info:
        _load(data)
    assert "secret" not in str(info.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(VerificationError):
        _load(b"[" * 100_000 + b"]" * 100_000)

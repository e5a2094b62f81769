"""Attack: a decorated compact JWS (extra segments or dots, whitespace, padding, other alphabets).

Lenient parsers accept ``a.b.c.d``, surrounding whitespace, ``=`` padding or the standard
base64 alphabet; a token then has many accepted spellings, which defeats deduplication and lets
junk ride along a valid signature. Only the exact form is accepted: three non-empty segments,
each the unique unpadded base64url encoding of its bytes, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target


def _segment(token: str, index: int, change: Callable[[str], str]) -> str:
    parts = token.split(".")
    parts[index] = change(parts[index])
    return ".".join(parts)


def _noncanonical_tail(segment: str) -> str:
    # 64 signature bytes are 86 characters carrying 4 unused low bits in the last one.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return segment[:-1] + alphabet[alphabet.index(segment[-1]) | 1]


def _token_using_both_alphabets(target: Target) -> str:
    """A valid token holding ``-`` or ``_``, so it has a distinct standard-base64 spelling
    (signatures are random-looking; about 1 in 15 has neither character)."""
    for earlier in range(100):
        token = target.sign({**target.payload, "iat": target.payload["iat"] - earlier})
        if "-" in token or "_" in token:
            return token
    raise AssertionError("no token with a URL-safe base64 character")


MUTATIONS: dict[str, Callable[[str], str]] = {
    "fourth_segment": lambda t: t + ".AAAA",
    "fifth_segment": lambda t: t + ".AAAA.AAAA",
    "trailing_dot": lambda t: t + ".",
    "leading_dot": lambda t: "." + t,
    "double_dot": lambda t: t.replace(".", "..", 1),
    "two_segments": lambda t: t.rsplit(".", 1)[0],
    "empty_payload": lambda t: _segment(t, 1, lambda s: ""),
    "trailing_newline": lambda t: t + "\n",
    "trailing_crlf": lambda t: t + "\r\n",
    "leading_space": lambda t: " " + t,
    "tab_inside": lambda t: t.replace(".", ".\t", 1),
    "space_before_dot": lambda t: t.replace(".", " .", 1),
    "no_break_space": lambda t: t + "\u00a0",
    "zero_width_space": lambda t: t.replace(".", "\u200b.", 1),
    "line_separator": lambda t: t + "\u2028",
    "padding_on_header": lambda t: _segment(t, 0, lambda s: s + "=" * (-len(s) % 4 or 4)),
    "padding_on_payload": lambda t: _segment(t, 1, lambda s: s + "=" * (-len(s) % 4 or 4)),
    "padding_on_signature": lambda t: _segment(t, 2, lambda s: s + "=="),
    "standard_alphabet": lambda t: t.replace("-", "+").replace("_", "/"),
    "noncanonical_signature_bits": lambda t: _segment(t, 2, _noncanonical_tail),
    "json_serialisation": lambda t: json.dumps({"payload": t.split(".")[1], "signatures": []}),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_verify_trailing_segments_whitespace_and_padding_are_refused(
    verify_target: Target, mutation: str
) -> None:
    token = _token_using_both_alphabets(verify_target)
    verify_target.verify(token)
    mutated = MUTATIONS[mutation](token)
    assert mutated != token
    with pytest.raises(VerificationError, match="JWS"):
        verify_target.verify(mutated)

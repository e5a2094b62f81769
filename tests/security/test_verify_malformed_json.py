"""Attack: JSON built to crash the verifier instead of being refused (a 500 at the insurer).

Before the signature is checked the header is parsed from attacker-controlled bytes; after it,
the payload of anyone holding a trusted key. A 5,000-digit integer (Python's int-conversion
limit raises a bare ``ValueError``), a string holding a lone UTF-16 surrogate (no UTF-8 form:
canonicalisation raised ``UnicodeEncodeError``), deep nesting, floats and ``NaN`` must all end
in :class:`VerificationError`, so callers map them to a clean refusal.
"""

from __future__ import annotations

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target

HEADERS = {
    "huge_integer": b'{"alg":"EdDSA","kid":"%s","typ":"%s","n":' + b"9" * 5000 + b"}",
    "huge_negative_integer": b'{"alg":' + b"-" + b"1" * 100 + b',"kid":"%s","typ":"%s"}',
    "deep_nesting": b'{"alg":"EdDSA","kid":"%s","typ":"%s","x":'
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
    "float": b'{"alg":"EdDSA","kid":"%s","typ":"%s","x":1e400}',
    "nan": b'{"alg":"EdDSA","kid":"%s","typ":"%s","x":NaN}',
    "lone_surrogate_member": b'{"alg":"EdDSA","kid":"%s","typ":"%s","\\ud800":1}',
    "not_utf8": b'{"alg":"EdDSA","kid":"%s","typ":"%s","x":"\xff"}',
    "byte_order_mark": b'\xef\xbb\xbf{"alg":"EdDSA","kid":"%s","typ":"%s"}',
}


@pytest.mark.parametrize("case", sorted(HEADERS))
def test_verify_header_json_that_would_crash_a_parser_is_refused(
    verify_target: Target, case: str
) -> None:
    header = HEADERS[case].replace(b"%s", verify_target.key.kid.encode(), 1)
    header = header.replace(b"%s", verify_target.typ.encode(), 1)
    token = verify_target.forge(header, verify_target.body())
    with pytest.raises(VerificationError, match="JWS header"):
        verify_target.verify(token)


PAYLOAD_EDITS = {
    "lone_surrogate_value": (b'"iss":"', b'"iss":"\\ud800'),
    "lone_low_surrogate_value": (b'"iss":"', b'"iss":"\\udfff'),
    "lone_surrogate_member": (b"{", b'{"\\udc00":1,'),
    "huge_integer": (b'"iat":', b'"iat":' + b"1" * 5000),
    "float": (b'"iat":', b'"iat":1.5e3,"x":'),
    "nan": (b'"iat":', b'"iat":NaN,"x":'),
}


@pytest.mark.parametrize("case", sorted(PAYLOAD_EDITS))
def test_verify_signed_payload_json_that_would_crash_a_parser_is_refused(
    verify_target: Target, case: str
) -> None:
    old, new = PAYLOAD_EDITS[case]
    body = verify_target.body()
    assert old in body
    token = verify_target.forge(verify_target.header(), body.replace(old, new, 1))
    with pytest.raises(VerificationError, match="payload"):
        verify_target.verify(token)

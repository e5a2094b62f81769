"""Attack: duplicate JSON member names, so that two parsers read two different documents.

Python's ``json`` keeps the last duplicate, other parsers the first: ``{"alg":"none",...,
"alg":"EdDSA"}`` or a payload with two ``aud`` members can mean one thing to the verifier and
another to whoever acts on it. Duplicates are refused in the header and anywhere in the payload,
also when one spelling is a JSON escape (``"\\u0061lg"`` is ``"alg"``), even when really signed.
"""

from __future__ import annotations

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target

HEADER_DUPLICATES = {
    "alg_none_first": '{{"alg":"none","alg":"EdDSA","kid":"{kid}","typ":"{typ}"}}',
    "alg_none_last": '{{"alg":"EdDSA","kid":"{kid}","typ":"{typ}","alg":"none"}}',
    "escaped_alg": '{{"alg":"EdDSA","\\u0061lg":"HS256","kid":"{kid}","typ":"{typ}"}}',
    "kid_twice": '{{"alg":"EdDSA","kid":"attacker","kid":"{kid}","typ":"{typ}"}}',
    "typ_twice": '{{"alg":"EdDSA","kid":"{kid}","typ":"JWT","typ":"{typ}"}}',
}


@pytest.mark.parametrize("case", sorted(HEADER_DUPLICATES))
def test_verify_duplicate_header_member_is_refused(verify_target: Target, case: str) -> None:
    header = HEADER_DUPLICATES[case].format(kid=verify_target.key.kid, typ=verify_target.typ)
    token = verify_target.forge(header.encode(), verify_target.body())
    with pytest.raises(VerificationError, match="JWS header: duplicate object key"):
        verify_target.verify(token)


@pytest.mark.parametrize("case", ["aud_twice", "escaped_aud", "iat_twice", "nested"])
def test_verify_duplicate_payload_member_is_refused(verify_target: Target, case: str) -> None:
    body = verify_target.body()
    assert body.startswith(b"{") and b'"ledger":{"hash":' in body
    prefix = {
        "aud_twice": b'{"aud":"party-other",',
        "escaped_aud": b'{"\\u0061ud":"party-other",',
        "iat_twice": b'{"iat":0,',
        "nested": b"{",
    }[case]
    doubled = prefix + body[1:]
    if case == "nested":
        doubled = doubled.replace(b'"ledger":{"hash":', b'"ledger":{"seq":0,"hash":', 1)
    token = verify_target.forge(verify_target.header(), doubled)
    with pytest.raises(VerificationError, match="payload: duplicate object key is not allowed"):
        verify_target.verify(token, audience=verify_target.payload["aud"])

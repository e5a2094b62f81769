"""Attack: extra or decorated segments (a fourth segment, whitespace, padding, JSON form).

Lenient parsers accept ``a.b.c.d``, surrounding whitespace or ``=`` padding; a token then has more
than one accepted spelling, which breaks deduplication and lets junk ride along a valid
signature. Only the exact compact form is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_submission

MUTATIONS: dict[str, Callable[[str], str]] = {
    "fourth_segment": lambda t: t + ".AAAA",
    "empty_fourth_segment": lambda t: t + ".",
    "trailing_newline": lambda t: t + "\n",
    "trailing_space": lambda t: t + " ",
    "leading_space": lambda t: " " + t,
    "inner_whitespace": lambda t: t.replace(".", ". ", 1),
    "padding_on_signature": lambda t: t + "==",
    "padding_on_header": lambda t: t.replace(".", "=.", 1),
    "two_segments": lambda t: t.rsplit(".", 1)[0],
    "json_serialisation": lambda t: json.dumps({"payload": t.split(".")[1]}),
    "non_ascii": lambda t: t + "\u00e9",
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_trailing_or_decorated_segments_are_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    mutation: str,
) -> None:
    token = sign_submission(submission_payload, signing_key)
    jwks = build_jwks([signing_key])
    verify_submission(token, jwks, paillier_public_key, now=submission_payload["iat"])
    with pytest.raises(VerificationError, match="JWS"):
        verify_submission(
            MUTATIONS[mutation](token), jwks, paillier_public_key, now=submission_payload["iat"]
        )

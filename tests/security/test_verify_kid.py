"""Attack: a ``kid`` that is not in the verifier's static key map, or that looks like a path/URL.

Keys are looked up only in the JWKS the caller passed: a kid is never a file name, a URL or a
database key. A well-formed but unknown kid (the attacker's own thumbprint) is refused as an
unknown signing key; a kid with a path, URL, query or control characters is refused by shape.
While the verifier runs, opening a file or a socket fails the test.
"""

from __future__ import annotations

import builtins
import io
import os
from typing import Any

import pytest

from gateway.crypto import generate_signing_key
from gateway.errors import VerificationError
from tests.security.verify_kit import Target


def test_verify_unknown_kid_is_refused(verify_target: Target, no_network: list[Any]) -> None:
    attacker = generate_signing_key()
    token = verify_target.forge(
        verify_target.header(kid=attacker.kid), verify_target.body(), attacker
    )
    with pytest.raises(VerificationError, match="kid is not in the given JWKS"):
        verify_target.verify(token)


KIDS = {
    "relative_path": lambda kid: "../../etc/passwd",
    "absolute_path": lambda kid: "/etc/passwd",
    "kid_then_path": lambda kid: kid + "/../../etc/passwd",
    "file_url": lambda kid: "file:///etc/passwd",
    "https_url": lambda kid: "https://attacker.invalid/jwks.json#" + kid,
    "query": lambda kid: kid + "?x=1",
    "sql": lambda kid: kid + "' OR '1'='1",
    "newline": lambda kid: kid + "\n",
    "nul": lambda kid: kid + "\x00",
    "trailing_space": lambda kid: kid + " ",
    "too_long": lambda kid: kid * 4,
    "empty": lambda kid: "",
    "number": lambda kid: 7,
    "list": lambda kid: [kid],
}


@pytest.mark.parametrize("case", sorted(KIDS))
def test_verify_kid_with_path_or_url_is_refused_without_io(
    verify_target: Target, no_network: list[Any], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    token = verify_target.forge(
        verify_target.header(kid=KIDS[case](verify_target.key.kid)), verify_target.body()
    )
    verify_target.verify(verify_target.sign())  # warm up: every module the verifier needs

    def no_file(*args: Any, **kwargs: Any) -> None:
        pytest.fail("the verifier opened a file")

    with monkeypatch.context() as patch:
        for module in (builtins, io):
            patch.setattr(module, "open", no_file)
        patch.setattr(os, "open", no_file)
        with pytest.raises(VerificationError, match="kid must be a base64url key thumbprint"):
            verify_target.verify(token)

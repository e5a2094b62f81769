"""What the verifier attack tests share: one target per token kind, checked by its own verifier.

A :class:`Target` bundles a valid payload of one kind (submission or receipt), its ``typ``, the
trusted signing key and JWKS, and the verifier of that kind, so each attack runs against both
``verify_submission`` and ``verify_receipt``. Tokens are really signed (Ed25519): a refusal is
for the token's content, not for a broken signature, unless the test says otherwise.
"""

from __future__ import annotations

import base64
import copy
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.sign import RECEIPT_TYP, SUBMISSION_TYP, build_jwks, sign_receipt, sign_submission
from gateway.verify import verify_receipt, verify_submission
from tests.support import sample_receipt

KINDS = ("submission", "receipt")

#: ``iat`` of every sample payload (tests/conftest.py's submission uses the same instant).
IAT = 1_767_225_600


def receipt_payload() -> dict[str, Any]:
    """A valid ``ecg.receipt/1`` payload (a fresh copy per call)."""
    return sample_receipt({"seq": 6, "hash": "7e" * 32})


def b64(data: bytes) -> str:
    """Unpadded base64url, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Target:
    """One kind of signed token and the verifier that must refuse every attack on it."""

    kind: str
    payload: dict[str, Any]
    key: SigningKey
    paillier: PaillierPublicKey
    jwks: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.jwks = build_jwks([self.key])

    @property
    def typ(self) -> str:
        return SUBMISSION_TYP if self.kind == "submission" else RECEIPT_TYP

    def header(self, **members: Any) -> dict[str, Any]:
        """The valid protected header, with ``members`` added or replaced."""
        return {"alg": "EdDSA", "kid": self.key.kid, "typ": self.typ, **members}

    def body(self, payload: dict[str, Any] | None = None) -> bytes:
        """Canonical JSON of ``payload`` (default: this target's valid payload)."""
        return canonical_json(self.payload if payload is None else payload)

    def sign(self, payload: dict[str, Any] | None = None) -> str:
        """A token from the gateway's own signer (so the payload must be schema-valid)."""
        signer = sign_submission if self.kind == "submission" else sign_receipt
        return signer(copy.deepcopy(self.payload if payload is None else payload), self.key)

    def forge(
        self, header: dict[str, Any] | bytes, body: bytes, key: SigningKey | None = None
    ) -> str:
        """A compact JWS of arbitrary header and body bytes, really signed by ``key``."""
        header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
        signing_input = f"{b64(header_bytes)}.{b64(body)}"
        signature = (key or self.key).jws_key().sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64(signature)}"

    def verify(self, token: str, **options: Any) -> Any:
        """Run this kind's verifier; ``now`` defaults to the payload's ``iat``."""
        options.setdefault("now", IAT)
        if self.kind == "submission":
            return verify_submission(token, self.jwks, self.paillier, **options)
        return verify_receipt(token, self.jwks, **options)


@pytest.fixture(params=KINDS)
def verify_target(
    request: pytest.FixtureRequest,
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    submission_payload: dict[str, Any],
) -> Target:
    """Each attack test runs once per token kind (submission, receipt)."""
    payload = submission_payload if request.param == "submission" else receipt_payload()
    assert payload["iat"] == IAT
    return Target(request.param, payload, signing_key, paillier_public_key)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail the test if anything tries to resolve a name or open a connection meanwhile."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args[1:] if args else kwargs)
        pytest.fail("network access attempted during verification")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], "the verifier tried to use the network"

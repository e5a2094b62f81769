"""Attack: the token names or carries its own verification key (jwk, jku, x5u, x5c, crit...).

A verifier that trusts an embedded ``jwk`` accepts anyone's signature; one that follows ``jku``
or ``x5u`` fetches attacker-chosen keys (and makes requests on the attacker's behalf). The
verifier must refuse these headers outright and never touch the network.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey, generate_signing_key
from gateway.errors import VerificationError
from gateway.sign import SUBMISSION_TYP, build_jwks
from gateway.verify import verify_submission


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and block) any attempt to open a connection while the verifier runs."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise OSError("network access attempted during verification")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def _extra_headers(attacker: SigningKey) -> dict[str, Any]:
    return {
        "jwk": attacker.public_jwk(),
        "jku": "https://attacker.invalid/jwks.json",
        "x5u": "https://attacker.invalid/cert.pem",
        "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
        "x5t": "dGh1bWJwcmludA",
        "x5t#S256": "dGh1bWJwcmludA",
        "crit": ["exp"],
        "b64": False,
    }


@pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64"])
@pytest.mark.parametrize("signer", ["attacker", "gateway"])
def test_key_bearing_header_is_refused_without_network(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
    no_network: list[Any],
    name: str,
    signer: str,
) -> None:
    attacker = generate_signing_key()
    key = attacker if signer == "attacker" else signing_key
    header = {"alg": "EdDSA", "kid": key.kid, "typ": SUBMISSION_TYP}
    header[name] = _extra_headers(attacker)[name]
    token = forge_jws(header, canonical_json(submission_payload), key)
    with pytest.raises(VerificationError, match=f"parameter '{name}' is not accepted"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )
    assert no_network == []


def test_unknown_extra_header_is_refused(
    submission_payload: dict[str, Any],
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    forge_jws: Any,
) -> None:
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP, "cty": "JWT"}
    token = forge_jws(header, canonical_json(submission_payload))
    with pytest.raises(VerificationError, match="exactly alg, kid, typ"):
        verify_submission(
            token, build_jwks([signing_key]), paillier_public_key, now=submission_payload["iat"]
        )

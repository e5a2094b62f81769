"""Session tokens: issue, verify, expiry, tampering, algorithm confusion, audience and issuer.

Keys are fresh random bytes; time is an injected clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from gateway.auth import Role, SessionManager
from gateway.auth.sessions import AUDIENCE, ISSUER
from gateway.errors import ConfigError
from gateway.store import UserRecord

T0 = 1_767_225_600
TTL = 3600


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def user(name: str = "kim", role: str = "compliance", epoch: int = 0) -> UserRecord:
    return UserRecord(
        username=name, role=role, password_hash="$argon2id$unused", created_at=datetime.now(UTC),
        disabled=False, session_epoch=epoch,
    )


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(key: bytes, clock: Clock) -> SessionManager:
    return SessionManager(key, TTL, clock=clock)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], key: bytes, digest: Any) -> str:
    """A token with any header, HMAC-signed with ``key`` under ``digest``."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    mac = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(mac)}"


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_fresh_token_verifies_with_every_claim(manager: SessionManager) -> None:
    token, principal = manager.issue(user(epoch=3))
    claims = manager.verify(token)
    assert claims is not None
    assert (claims.sub, claims.role, claims.epoch) == ("kim", Role.COMPLIANCE, 3)
    assert (claims.iat, claims.exp) == (T0, T0 + TTL)
    raw = claims_of(token)
    assert set(raw) == {"sub", "role", "iat", "exp", "sid", "csrf", "epoch", "aud", "iss"}
    assert (raw["aud"], raw["iss"]) == ("ecg-dashboard", "ecg-gateway")
    assert len(base64.urlsafe_b64decode(raw["csrf"] + "==")) == 32
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert principal.username == "kim" and principal.role is Role.COMPLIANCE
    assert principal.csrf == claims.csrf
    assert principal.expires_at == datetime.fromtimestamp(T0 + TTL, UTC)


def test_each_session_gets_its_own_id_and_csrf_token(manager: SessionManager) -> None:
    first, second = (claims_of(manager.issue(user())[0]) for _ in range(2))
    assert first["sid"] != second["sid"]
    assert first["csrf"] != second["csrf"]


def test_the_token_expires_exactly_at_exp(manager: SessionManager, clock: Clock) -> None:
    token, _ = manager.issue(user())
    clock.now = T0 + TTL - 1
    assert manager.verify(token) is not None
    clock.now = T0 + TTL
    assert manager.verify(token) is None


def test_a_token_issued_in_the_future_is_refused(manager: SessionManager, clock: Clock) -> None:
    token, _ = manager.issue(user())
    clock.now = T0 - 1
    assert manager.verify(token) is None


def test_a_token_longer_lived_than_the_ttl_is_refused(key: bytes, clock: Clock) -> None:
    long_lived, _ = SessionManager(key, TTL * 10, clock=clock).issue(user())
    assert SessionManager(key, TTL, clock=clock).verify(long_lived) is None


def test_a_token_signed_with_another_key_is_refused(manager: SessionManager, clock: Clock) -> None:
    forged, _ = SessionManager(os.urandom(32), TTL, clock=clock).issue(user())
    assert manager.verify(forged) is None


def test_a_changed_payload_is_refused(manager: SessionManager) -> None:
    token, _ = manager.issue(user(role="auditor"))
    header, _, signature = token.split(".")
    claims = claims_of(token) | {"role": "compliance"}
    assert manager.verify(f"{header}.{b64(json.dumps(claims).encode())}.{signature}") is None


def test_alg_none_is_refused(manager: SessionManager) -> None:
    token, _ = manager.issue(user())
    claims = claims_of(token)
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{b64(json.dumps(claims).encode())}."
    assert manager.verify(unsigned) is None


def test_hs512_with_the_real_key_is_refused(manager: SessionManager, key: bytes) -> None:
    claims = claims_of(manager.issue(user())[0])
    token = forge({"alg": "HS512", "typ": "JWT"}, claims, key, hashlib.sha512)
    assert manager.verify(token) is None


def test_rs256_header_with_the_key_used_as_hmac_secret_is_refused(
    manager: SessionManager, key: bytes
) -> None:
    """Algorithm confusion: the session key used as an HMAC secret under another ``alg``."""
    claims = claims_of(manager.issue(user())[0])
    token = forge({"alg": "RS256", "typ": "JWT"}, claims, key, hashlib.sha256)
    assert manager.verify(token) is None
    # The same forgery labelled HS256 is accepted: the refusal above is the alg check.
    assert manager.verify(forge({"alg": "HS256", "typ": "JWT"}, claims, key, hashlib.sha256))


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "ecg-insurer"), ("iss", "someone-else"), ("aud", ["ecg-dashboard", "x"]),
     ("iss", "ecg-gatewa")],
)
def test_a_wrong_audience_or_issuer_is_refused(
    manager: SessionManager, key: bytes, claim: str, value: object
) -> None:
    claims = claims_of(manager.issue(user())[0]) | {claim: value}
    assert manager.verify(jwt.encode(claims, key, algorithm="HS256")) is None


@pytest.mark.parametrize("missing", ["sub", "role", "iat", "exp", "sid", "csrf", "epoch"])
def test_a_missing_claim_is_refused(manager: SessionManager, key: bytes, missing: str) -> None:
    claims = claims_of(manager.issue(user())[0])
    del claims[missing]
    assert manager.verify(jwt.encode(claims, key, algorithm="HS256")) is None


@pytest.mark.parametrize(
    ("claim", "value"),
    [("role", "root"), ("epoch", -1), ("epoch", "0"), ("epoch", True), ("exp", str(T0 + 60)),
     ("sub", ""), ("csrf", 7), ("extra", "x")],
)
def test_a_malformed_claim_is_refused(
    manager: SessionManager, key: bytes, claim: str, value: object
) -> None:
    claims = claims_of(manager.issue(user())[0]) | {claim: value}
    assert manager.verify(jwt.encode(claims, key, algorithm="HS256")) is None


def test_the_epoch_travels_in_the_token(manager: SessionManager) -> None:
    """``principal_of`` compares it with the stored user's epoch (tests/security)."""
    old = manager.verify(manager.issue(user(epoch=0))[0])
    new = manager.verify(manager.issue(user(epoch=1))[0])
    assert old is not None and new is not None
    assert (old.epoch, new.epoch) == (0, 1)


def test_a_revoked_session_is_refused_and_others_are_not(manager: SessionManager) -> None:
    token, _ = manager.issue(user())
    other, _ = manager.issue(user())
    claims = manager.verify(token)
    assert claims is not None
    manager.revoke(claims)
    assert manager.verify(token) is None
    assert manager.verify(other) is not None


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 5000, None])
def test_garbage_is_refused(manager: SessionManager, token: Any) -> None:
    assert manager.verify(token) is None


def test_a_short_key_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes") as caught:
        SessionManager(b"k" * 31, TTL)
    assert "kkkk" not in str(caught.value)


def test_the_manager_repr_holds_no_key(key: bytes) -> None:
    assert key.hex() not in repr(SessionManager(key, TTL)) and str(key) not in repr(
        SessionManager(key, TTL)
    )


def test_constants_are_the_contract_ones() -> None:
    assert (AUDIENCE, ISSUER) == ("ecg-dashboard", "ecg-gateway")

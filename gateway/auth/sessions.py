"""Dashboard sessions: short-lived HS256 JWTs signed with the gateway's session key.

A token carries who (``sub``), the role it was issued for, when it was issued and expires
(``iat``, ``exp``), a random session id (``sid``), the session's CSRF token (``csrf``, 32 random
bytes) and the user's ``epoch``: the store bumps a user's ``session_epoch`` whenever the
password, the role or the disabled flag changes, and a token whose epoch is not the current one
is refused (:func:`gateway.auth.web.principal_of` checks that against the store on every
request). ``aud`` is ``ecg-dashboard`` and ``iss`` ``ecg-gateway``, so no other token the gateway
handles can pass for a session.

Verification is strict: HS256 only (``none``, HS512, RS256 and every other ``alg`` are refused),
every claim required and of the right type, no unknown claims, no leeway, ``iat`` not in the
future, ``exp - iat`` at most the configured lifetime, and the key at least 32 bytes. Time
comes from the injected ``clock``. Logging out revokes the session id until it would expire
anyway (kept in memory: a restart forgets it, and the token still expires at ``exp``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import jwt

from gateway.auth.roles import Role
from gateway.errors import KeyMaterialError

ALGORITHM: Final = "HS256"
AUDIENCE: Final = "ecg-dashboard"
ISSUER: Final = "ecg-gateway"
MIN_KEY_BYTES: Final = 32
CSRF_BYTES: Final = 32
MAX_TOKEN_CHARS: Final = 4096
CLAIMS: Final = frozenset({"sub", "role", "iat", "exp", "sid", "csrf", "epoch", "aud", "iss"})


class SessionUser(Protocol):
    """What a session is issued for (``gateway.store.UserRecord`` fits)."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def session_epoch(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of one request."""

    username: str
    role: Role
    csrf: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """The claims of a token that verified."""

    sub: str
    role: Role
    iat: int
    exp: int
    sid: str
    csrf: str = field(repr=False)
    epoch: int

    def principal(self) -> Principal:
        return Principal(
            username=self.sub, role=self.role, csrf=self.csrf,
            expires_at=datetime.fromtimestamp(self.exp, UTC),
        )


class SessionManager:
    """Issues and verifies session tokens with one key and one lifetime."""

    def __init__(
        self, key: bytes, ttl_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
            raise KeyMaterialError(f"the session key must be at least {MIN_KEY_BYTES} bytes")
        if ttl_s < 1:
            raise KeyMaterialError("the session lifetime must be at least one second")
        self._key = key
        self.ttl_s = ttl_s
        self.clock = clock
        self._revoked: dict[str, int] = {}  # sid -> exp
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"SessionManager(ttl_s={self.ttl_s})"

    def issue(self, user: SessionUser) -> tuple[str, Principal]:
        """A new token for ``user`` and the principal it stands for."""
        now = int(self.clock())
        claims = SessionClaims(
            sub=user.username, role=Role(user.role), iat=now, exp=now + self.ttl_s,
            sid=secrets.token_urlsafe(16), csrf=secrets.token_urlsafe(CSRF_BYTES),
            epoch=user.session_epoch,
        )
        payload: dict[str, Any] = {
            "sub": claims.sub, "role": claims.role.value, "iat": claims.iat, "exp": claims.exp,
            "sid": claims.sid, "csrf": claims.csrf, "epoch": claims.epoch,
            "aud": AUDIENCE, "iss": ISSUER,
        }
        token = jwt.encode(payload, self._key, algorithm=ALGORITHM, headers={"typ": "JWT"})
        return token, claims.principal()

    def verify(self, token: str) -> SessionClaims | None:
        """The claims of ``token`` if it is a valid, unexpired, unrevoked session; else None."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            payload = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                leeway=0,
                options={
                    "require": sorted(CLAIMS), "verify_signature": True, "verify_aud": True,
                    "verify_iss": True, "verify_exp": False, "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            return None
        claims = _typed(payload)
        if claims is None or not self._current(claims):
            return None
        return claims

    def revoke(self, claims: SessionClaims) -> None:
        """Refuse this session from now on (logout), until it would have expired anyway."""
        now = int(self.clock())
        with self._lock:
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[claims.sid] = claims.exp

    def _current(self, claims: SessionClaims) -> bool:
        now = self.clock()
        if not claims.iat <= now < claims.exp or claims.exp - claims.iat > self.ttl_s:
            return False
        with self._lock:
            return claims.sid not in self._revoked


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _typed(payload: dict[str, Any]) -> SessionClaims | None:
    """The claims with their types checked; None for anything unexpected."""
    if set(payload) != CLAIMS or payload["aud"] != AUDIENCE or payload["iss"] != ISSUER:
        return None
    sub, role, sid, csrf = (payload[k] for k in ("sub", "role", "sid", "csrf"))
    iat, exp, epoch = (_int(payload[k]) for k in ("iat", "exp", "epoch"))
    if not all(isinstance(v, str) and v for v in (sub, role, sid, csrf)):
        return None
    if iat is None or exp is None or epoch is None or epoch < 0:
        return None
    if role not in {r.value for r in Role}:
        return None
    return SessionClaims(
        sub=sub, role=Role(role), iat=iat, exp=exp, sid=sid, csrf=csrf, epoch=epoch
    )

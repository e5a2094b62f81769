"""Dashboard passwords: argon2id hashes, a minimum policy, and verification that takes the same
time whether or not the user exists.

Parameters are RFC 9106's second recommended option ("low memory"), which is argon2-cffi's
default profile: argon2id, 3 passes over 64 MiB with 4 lanes, a 16-byte random salt and a
32-byte tag. One verification costs roughly 50-100 ms of one core: slow enough that a stolen
store is expensive to attack, fast enough for a sign-in. Hashes are self-describing PHC strings
(``$argon2id$v=19$m=65536,t=3,p=4$...``), so stronger parameters later only need
:func:`needs_rehash` and a new hash at the next sign-in.

Passwords and hashes never appear in an error message or a log line: errors say what rule was
broken, not what was typed.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import Argon2Error, InvalidHashError

from gateway.errors import ConfigError

MIN_PASSWORD_CHARS: Final = 12
MAX_PASSWORD_CHARS: Final = 1024  # bounds the work one sign-in attempt can cause
PLACEHOLDER_MARKERS: Final = ("replace_me", "replaceme", "changeme", "change_me", "placeholder")

TIME_COST: Final = 3
MEMORY_COST_KIB: Final = 65_536
PARALLELISM: Final = 4
HASH_LEN: Final = 32
SALT_LEN: Final = 16


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_COST_KIB,
        parallelism=PARALLELISM,
        hash_len=HASH_LEN,
        salt_len=SALT_LEN,
        type=Type.ID,
    )


@cache
def _dummy_hash() -> str:
    """A hash of a random secret nobody knows, with the current parameters: verifying against
    it costs what verifying a real user's password costs, and never succeeds."""
    return _hasher().hash(secrets.token_urlsafe(32))


def check_password(username: str, password: str) -> None:
    """Refuse a password the dashboard will not store, saying which rule it breaks."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ConfigError(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    folded = password.casefold()
    if folded.strip() == username.casefold().strip():
        raise ConfigError("the password must not be the user name")
    if len(set(password)) == 1:
        raise ConfigError("the password must not repeat a single character")
    if any(marker in folded for marker in PLACEHOLDER_MARKERS):
        raise ConfigError("the password looks like a placeholder; choose a real one")


def hash_password(username: str, password: str) -> str:
    """The argon2id hash to store for ``username``'s new ``password`` (checked first)."""
    check_password(username, password)
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``.

    With ``None`` (the user is unknown or disabled) the password is still verified, against a
    dummy hash, and the answer is ``False``: both paths do the same argon2 work, so the time an
    answer takes does not tell which user names exist. A malformed stored hash is a mismatch.
    """
    candidate = password[:MAX_PASSWORD_CHARS]
    try:
        matched = _hasher().verify(password_hash or _dummy_hash(), candidate)
    except (Argon2Error, InvalidHashError):
        return False
    return bool(matched) and password_hash is not None and len(password) <= MAX_PASSWORD_CHARS


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than the current ones."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (Argon2Error, InvalidHashError, ValueError):
        return True


def rehash(password: str) -> str:
    """A hash with the current parameters for a password that just verified (no policy check:
    a password set under an older policy stays usable until it is changed)."""
    return _hasher().hash(password[:MAX_PASSWORD_CHARS])

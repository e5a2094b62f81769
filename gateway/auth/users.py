"""Dashboard user management and sign-in checks, on whatever store is passed in (no IO here).

User names are 1-64 characters of lower-case letters, digits and ``. _ @ -``, starting with a
letter or digit; sign-in ignores case and surrounding spaces. Every change to a user (password,
role, disabled) makes the store bump the user's session epoch, which ends every session issued
before the change.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.auth import passwords
from gateway.auth.roles import Role, parse_role
from gateway.errors import ConfigError
from gateway.store import Store, UserRecord

USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


def normalise_username(name: str) -> str:
    """``name`` as stored: trimmed and lower case; a :class:`ConfigError` if not a valid name."""
    folded = name.strip().lower()
    if not USERNAME.fullmatch(folded):
        raise ConfigError(
            "a user name has 1-64 characters: letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    return folded


def _existing(store: Store, username: str) -> UserRecord:
    user = store.get_user(normalise_username(username))
    if user is None:
        raise ConfigError(f"no user {normalise_username(username)} (see `gateway users list`)")
    return user


def add_user(store: Store, username: str, role: Role | str, password: str) -> UserRecord:
    """Create a user; refuses an invalid name, an unknown role, a weak password or a duplicate."""
    name = normalise_username(username)
    checked = parse_role(str(role))
    if store.get_user(name) is not None:
        raise ConfigError(f"user {name} already exists")
    return store.add_user(name, checked.value, passwords.hash_password(name, password))


def change_password(store: Store, username: str, password: str) -> UserRecord:
    """Set a new password; the user's existing sessions end."""
    user = _existing(store, username)
    return store.update_user(
        user.username, password_hash=passwords.hash_password(user.username, password)
    )


def set_role(store: Store, username: str, role: Role | str) -> UserRecord:
    """Give the user another role; the user's existing sessions end."""
    user = _existing(store, username)
    return store.update_user(user.username, role=parse_role(str(role)).value)


def set_disabled(store: Store, username: str, disabled: bool) -> UserRecord:
    """Disable (or enable again) a user; disabling ends the user's sessions at once."""
    user = _existing(store, username)
    return store.update_user(user.username, disabled=disabled)


def authenticate(store: Store, username: str, password: str) -> UserRecord | None:
    """The enabled user ``username`` if ``password`` is theirs; None otherwise.

    The same argon2 work is done whatever the reason for a refusal (malformed name, unknown
    user, disabled user, unknown role, wrong password), so neither the answer nor its timing
    tells which user names exist. A hash made with older parameters is replaced after a
    successful check.
    """
    try:
        name: str | None = normalise_username(username)
    except ConfigError:
        name = None
    user = store.get_user(name) if name is not None else None
    usable = user is not None and not user.disabled and user.role in {r.value for r in Role}
    stored = user.password_hash if user is not None and usable else None
    if not passwords.verify_password(stored, password) or user is None:
        return None
    if passwords.needs_rehash(user.password_hash):
        user = store.update_user(user.username, password_hash=passwords.rehash(password))
    return user

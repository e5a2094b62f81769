"""User management and sign-in checks on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from gateway.auth import (
    Role,
    add_user,
    authenticate,
    change_password,
    normalise_username,
    set_disabled,
    set_role,
)
from gateway.errors import ConfigError
from gateway.store import SqliteStore

PASSWORD = "correct horse battery 42"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "gateway.sqlite3") as opened:
        yield opened


def test_added_users_sign_in_with_their_password_only(store: SqliteStore) -> None:
    added = add_user(store, "Kim.Lee", Role.COMPLIANCE, PASSWORD)
    assert (added.username, added.role, added.disabled) == ("kim.lee", "compliance", False)
    assert PASSWORD not in added.password_hash
    signed_in = authenticate(store, "  KIM.lee ", PASSWORD)
    assert signed_in is not None and signed_in.username == "kim.lee"
    assert authenticate(store, "kim.lee", PASSWORD + "!") is None
    assert authenticate(store, "nobody", PASSWORD) is None
    assert authenticate(store, "not a valid name!", PASSWORD) is None


def test_a_duplicate_an_unknown_role_or_a_bad_name_is_refused(store: SqliteStore) -> None:
    add_user(store, "kim", "auditor", PASSWORD)
    with pytest.raises(ConfigError, match="already exists"):
        add_user(store, "KIM", "auditor", PASSWORD)
    with pytest.raises(ConfigError, match="unknown role"):
        add_user(store, "lee", "root", PASSWORD)
    with pytest.raises(ConfigError, match="1-64 characters"):
        add_user(store, "-lee", "auditor", PASSWORD)
    assert [u.username for u in store.list_users()] == ["kim"]


@pytest.mark.parametrize("name", ["", " ", "a" * 65, "kim lee", "kim/lee", ".kim", "김"])
def test_invalid_user_names(name: str) -> None:
    with pytest.raises(ConfigError):
        normalise_username(name)


def test_every_change_bumps_the_session_epoch(store: SqliteStore) -> None:
    user = add_user(store, "kim", "auditor", PASSWORD)
    epochs = [user.session_epoch]
    epochs.append(change_password(store, "kim", "another good password").session_epoch)
    epochs.append(set_role(store, "kim", Role.COMPLIANCE).session_epoch)
    epochs.append(set_disabled(store, "kim", True).session_epoch)
    epochs.append(set_disabled(store, "kim", False).session_epoch)
    assert epochs == sorted(set(epochs)) and len(epochs) == 5


def test_a_disabled_user_cannot_sign_in(store: SqliteStore) -> None:
    add_user(store, "kim", "auditor", PASSWORD)
    set_disabled(store, "kim", True)
    assert authenticate(store, "kim", PASSWORD) is None
    set_disabled(store, "kim", False)
    assert authenticate(store, "kim", PASSWORD) is not None


def test_a_user_with_an_unknown_stored_role_cannot_sign_in(store: SqliteStore) -> None:
    store.add_user("kim", "superuser", PasswordHasher().hash(PASSWORD))
    assert authenticate(store, "kim", PASSWORD) is None


def test_changing_an_unknown_user_is_refused(store: SqliteStore) -> None:
    with pytest.raises(ConfigError, match="no user ghost"):
        set_role(store, "ghost", "auditor")


def test_a_new_password_replaces_the_old_one(store: SqliteStore) -> None:
    add_user(store, "kim", "auditor", PASSWORD)
    change_password(store, "kim", "another good password")
    assert authenticate(store, "kim", PASSWORD) is None
    assert authenticate(store, "kim", "another good password") is not None


def test_an_old_hash_is_replaced_at_sign_in(store: SqliteStore) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    store.add_user("kim", "auditor", old)
    user = authenticate(store, "kim", PASSWORD)
    assert user is not None
    stored = store.get_user("kim")
    assert stored is not None and stored.password_hash != old
    assert stored.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert authenticate(store, "kim", PASSWORD) is not None

"""argon2id password hashes, the password rules, and the dummy verification for unknown users."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from gateway.auth import passwords
from gateway.auth.passwords import (
    check_password,
    hash_password,
    needs_rehash,
    rehash,
    verify_password,
)
from gateway.errors import ConfigError

GOOD = "correct horse battery 42"


def test_a_hash_is_argon2id_with_the_documented_parameters() -> None:
    stored = hash_password("kim", GOOD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert GOOD not in stored


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("kim", GOOD) != hash_password("kim", GOOD)


def test_verification_accepts_the_password_and_refuses_any_other() -> None:
    stored = hash_password("kim", GOOD)
    assert verify_password(stored, GOOD) is True
    assert verify_password(stored, GOOD + " ") is False
    assert verify_password(stored, GOOD.upper()) is False
    assert verify_password(stored, "") is False


def test_no_stored_hash_is_always_a_mismatch_even_for_the_dummy_secret() -> None:
    assert verify_password(None, GOOD) is False
    assert verify_password(None, "") is False


def test_a_malformed_stored_hash_is_a_mismatch_not_an_exception() -> None:
    assert verify_password("not-a-hash", GOOD) is False
    assert verify_password("$argon2id$v=19$m=65536,t=3,p=4$AAAA$BBBB", GOOD) is False


def test_an_overlong_password_never_verifies() -> None:
    long = "x" * 1024 + "y"
    stored = PasswordHasher().hash(long[:1024])
    assert verify_password(stored, long[:1024]) is True
    assert verify_password(stored, long) is False


@pytest.mark.parametrize(
    ("username", "password", "rule"),
    [
        ("kim", "short-pass1", "at least 12 characters"),
        ("kim", "x" * 1025, "at most 1024"),
        ("kim.lee@example.com", "Kim.Lee@example.com", "not be the user name"),
        ("kim", "aaaaaaaaaaaaaaaa", "single character"),
        ("kim", "REPLACE_ME-2026-secret", "placeholder"),
        ("kim", "please changeme now", "placeholder"),
    ],
)
def test_weak_passwords_are_refused_without_echoing_them(
    username: str, password: str, rule: str
) -> None:
    with pytest.raises(ConfigError, match=rule) as caught:
        hash_password(username, password)
    assert password not in str(caught.value)
    assert password not in caught.value.diagnostics()


def test_twelve_characters_are_enough() -> None:
    check_password("kim", "abcdefghijk1")


def test_needs_rehash_sees_weaker_parameters() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    assert needs_rehash(weak) is True
    assert needs_rehash(hash_password("kim", GOOD)) is False
    fresh = rehash(GOOD)
    assert needs_rehash(fresh) is False
    assert verify_password(fresh, GOOD) is True


def test_the_dummy_hash_uses_the_same_parameters_as_real_ones() -> None:
    """Same parameters, same cost: the timing of a refusal does not depend on the user."""
    dummy = passwords._dummy_hash()
    real = hash_password("kim", GOOD)
    assert dummy.split("$")[1:4] == real.split("$")[1:4]

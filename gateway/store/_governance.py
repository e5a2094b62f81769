"""Policy versions, their activations and dashboard users, inside the caller's connection.

A policy version is stored as the JSON of its ``{path: text}`` modules under its content hash;
activations are an append-only log (``seq`` 1, 2, ...), the latest being the active version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from gateway.errors import StoreError
from gateway.store._rows import from_text, to_json
from gateway.store.base import PolicyActivation, PolicyVersion, UserRecord

ACTIONS = ("activate", "rollback")


def _policy_version(row: sqlite3.Row) -> PolicyVersion:
    added = from_text(row["added_at"])
    assert added is not None
    return PolicyVersion(row["version"], row["name"], json.loads(row["modules"]), added)


def _activation(row: sqlite3.Row) -> PolicyActivation:
    at = from_text(row["at"])
    assert at is not None
    return PolicyActivation(
        seq=row["seq"],
        version=row["version"],
        action=row["action"],
        actor=row["actor"],
        at=at,
        reason=row["reason"],
        exceptions=json.loads(row["exceptions"]),
        previous_version=row["previous_version"],
    )


def _user(row: sqlite3.Row) -> UserRecord:
    created = from_text(row["created_at"])
    assert created is not None
    return UserRecord(
        username=row["username"],
        role=row["role"],
        password_hash=row["password_hash"],
        created_at=created,
        disabled=bool(row["disabled"]),
        session_epoch=row["session_epoch"],
    )


def put_policy_version(
    conn: sqlite3.Connection, version: str, name: str, modules: Mapping[str, str], now: str
) -> PolicyVersion:
    text = to_json(dict(modules), "policy modules")
    conn.execute(
        "INSERT INTO policy_versions (version, name, modules, added_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (version) DO NOTHING",
        (version, name, text, now),
    )
    found = get_policy_version(conn, version)
    assert found is not None
    return found


def get_policy_version(conn: sqlite3.Connection, version: str) -> PolicyVersion | None:
    row = conn.execute("SELECT * FROM policy_versions WHERE version = ?", (version,)).fetchone()
    return None if row is None else _policy_version(row)


def list_policy_versions(conn: sqlite3.Connection) -> list[PolicyVersion]:
    rows = conn.execute("SELECT * FROM policy_versions ORDER BY added_at, version").fetchall()
    return [_policy_version(row) for row in rows]


def record_activation(
    conn: sqlite3.Connection,
    version: str,
    *,
    action: str,
    actor: str,
    reason: str | None,
    exceptions: Mapping[str, str],
    now: str,
) -> PolicyActivation:
    if action not in ACTIONS:
        raise StoreError(f"unknown policy action {action!r}")
    if get_policy_version(conn, version) is None:
        raise StoreError(f"policy version {version[:12]} is not stored")
    previous = active_policy(conn)
    seq = 1 if previous is None else previous.seq + 1
    conn.execute(
        "INSERT INTO policy_activations (seq, version, action, actor, at, reason, exceptions, "
        "previous_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq, version, action, actor, now, reason,
            to_json(dict(exceptions), "policy exceptions"),
            None if previous is None else previous.version,
        ),
    )
    found = active_policy(conn)
    assert found is not None
    return found


def activations(conn: sqlite3.Connection) -> list[PolicyActivation]:
    rows = conn.execute("SELECT * FROM policy_activations ORDER BY seq").fetchall()
    return [_activation(row) for row in rows]


def active_policy(conn: sqlite3.Connection) -> PolicyActivation | None:
    row = conn.execute("SELECT * FROM policy_activations ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else _activation(row)


def add_user(
    conn: sqlite3.Connection, username: str, role: str, password_hash: str, now: str
) -> UserRecord:
    if get_user(conn, username) is not None:
        raise StoreError(f"user {username} already exists")
    conn.execute(
        "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
        (username, role, password_hash, now),
    )
    found = get_user(conn, username)
    assert found is not None
    return found


def get_user(conn: sqlite3.Connection, username: str) -> UserRecord | None:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else _user(row)


def list_users(conn: sqlite3.Connection) -> list[UserRecord]:
    return [_user(row) for row in conn.execute("SELECT * FROM users ORDER BY username")]


def update_user(
    conn: sqlite3.Connection,
    username: str,
    *,
    role: str | None,
    password_hash: str | None,
    disabled: bool | None,
) -> UserRecord:
    user = get_user(conn, username)
    if user is None:
        raise StoreError(f"user {username} does not exist")
    new_role = user.role if role is None else role
    new_hash = user.password_hash if password_hash is None else password_hash
    new_disabled = user.disabled if disabled is None else disabled
    changed = (new_role, new_hash, new_disabled) != (user.role, user.password_hash, user.disabled)
    conn.execute(
        "UPDATE users SET role = ?, password_hash = ?, disabled = ?, session_epoch = ? "
        "WHERE username = ?",
        (new_role, new_hash, int(new_disabled), user.session_epoch + int(changed), username),
    )
    found = get_user(conn, username)
    assert found is not None
    return found

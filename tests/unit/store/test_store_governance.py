"""Policy versions, the activation log and dashboard users in a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.errors import StoreError
from gateway.policy.bundle import PolicyBundle
from gateway.store import SqliteStore


def other_policy() -> PolicyBundle:
    modules = dict(builtin_policy().modules)
    path = next(p for p in modules if not p.endswith("_test.rego"))
    modules[path] += "\n# edited\n"
    return PolicyBundle(modules, name="edited")


def test_policy_versions_are_kept_once_by_hash(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    bundle = builtin_policy()
    first = store.put_policy_version(bundle)
    again = store.put_policy_version(bundle)
    assert first == again and dict(first.modules) == dict(bundle.modules)
    assert [v.version for v in store.list_policy_versions()] == [bundle.version]
    assert store.get_policy_version("0" * 64) is None


def test_activations_are_an_ordered_log_whose_latest_entry_is_active(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    a, b = builtin_policy(), other_policy()
    assert store.active_policy() is None
    with pytest.raises(StoreError, match="not stored"):
        store.record_activation(a.version, action="activate", actor="x", reason=None,
                                exceptions={})
    for bundle in (a, b):
        store.put_policy_version(bundle)
    store.record_activation(a.version, action="activate", actor="kim", reason=None, exceptions={})
    store.record_activation(b.version, action="activate", actor="lee", reason="why",
                            exceptions={"line_items": "justified at length, see minutes"})
    back = store.record_activation(a.version, action="rollback", actor="kim", reason="back",
                                   exceptions={})
    log = store.activations()
    assert [(e.seq, e.version, e.action) for e in log] == [
        (1, a.version, "activate"), (2, b.version, "activate"), (3, a.version, "rollback")
    ]
    assert log[1].exceptions == {"line_items": "justified at length, see minutes"}
    assert back == store.active_policy() and back.previous_version == b.version
    with pytest.raises(StoreError, match="unknown policy action"):
        store.record_activation(a.version, action="delete", actor="x", reason=None,
                                exceptions={})


def test_user_changes_bump_the_session_epoch_only_when_something_changes(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "s.db")
    user = store.add_user("kim", "compliance", "hash-1")
    assert (user.role, user.disabled, user.session_epoch) == ("compliance", False, 0)
    with pytest.raises(StoreError, match="already exists"):
        store.add_user("kim", "admin", "hash-2")
    assert store.update_user("kim", role="compliance").session_epoch == 0
    assert store.update_user("kim", password_hash="hash-2").session_epoch == 1
    assert store.update_user("kim", disabled=True).session_epoch == 2
    assert store.update_user("kim", role="auditor").session_epoch == 3
    assert "hash-2" not in repr(store.get_user("kim"))
    assert [u.username for u in store.list_users()] == ["kim"]
    with pytest.raises(StoreError, match="does not exist"):
        store.update_user("nobody", disabled=True)

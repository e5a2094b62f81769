"""Activation checks and rollback targets (real regopy engine, real SQLite store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.crypto import PseudonymKey
from gateway.errors import PolicyError
from gateway.policy.bundle import PolicyBundle
from gateway.policy.lifecycle import (
    ActivationRefused,
    activate,
    active_bundle,
    check_bundle,
    resolve_version,
)
from gateway.store import SqliteStore
from gateway.transform import OperatorContext
from tests.support import unit_record

CONTEXT = OperatorContext(pseudonym_key=PseudonymKey("psk-unit", os.urandom(32)))
RULE = "redaction/export_record.rego"


def variant(old: str, new: str, *, tests: bool = True) -> PolicyBundle:
    modules = {
        path: text for path, text in builtin_policy().modules.items()
        if tests or not path.endswith("_test.rego")
    }
    assert modules[RULE].count(old) == 1
    modules[RULE] = modules[RULE].replace(old, new)
    return PolicyBundle(modules, name="variant")


def test_the_shipped_policy_passes_on_a_sample_record() -> None:
    check = check_bundle(builtin_policy(), [unit_record(1).policy_input()], CONTEXT)
    assert check.ok and check.attached == 1 and check.samples == 1
    assert check.tests and all(t.passed for t in check.tests)
    assert check.findings == [] and check.warnings == []


def test_a_policy_without_tests_is_refused() -> None:
    bundle = variant("max_tenor_days := 720", "max_tenor_days := 700", tests=False)
    check = check_bundle(bundle, [unit_record(1).policy_input()], CONTEXT)
    assert not check.ok and any("no Rego unit tests" in p for p in check.problems)


def test_a_policy_that_does_not_compile_is_refused_with_the_reason() -> None:
    check = check_bundle(variant("max_tenor_days := 720", "max_tenor_days := "), [], CONTEXT)
    assert not check.ok and check.problems[0].startswith("the policy cannot be used")


def test_no_attached_sample_is_a_warning_not_a_pass_of_the_protected_check() -> None:
    check = check_bundle(builtin_policy(), [], CONTEXT)
    assert check.ok and check.attached == 0
    assert any("saw nothing leave" in w for w in check.warnings)


def test_activate_refuses_a_failed_check_and_a_check_of_another_version(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    bad = variant('"buyer.name": ["buyer_token"],', '"buyer.name": ["keep"],')
    check = check_bundle(bad, [unit_record(1).policy_input()], CONTEXT)
    assert [f.field for f in check.findings] == ["buyer.name"]
    with pytest.raises(ActivationRefused) as refused:
        activate(store, bad, check, actor="kim", reason=None)
    assert refused.value.check is check
    good = check_bundle(builtin_policy(), [unit_record(1).policy_input()], CONTEXT)
    with pytest.raises(PolicyError, match="different policy version"):
        activate(store, bad, good, actor="kim", reason=None)
    with pytest.raises(PolicyError, match="must be named"):
        activate(store, builtin_policy(), good, actor="  ", reason=None)
    assert store.activations() == [] and active_bundle(store) is None


def test_rollback_targets(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(PolicyError, match="ever activated"):
        resolve_version(store, None)
    a = builtin_policy()
    b = variant("max_tenor_days := 720", "max_tenor_days := 720 # days")
    samples = [unit_record(1).policy_input()]
    activate(store, a, check_bundle(a, samples, CONTEXT), actor="kim", reason=None)
    with pytest.raises(PolicyError, match="no earlier version"):
        resolve_version(store, None)
    activate(store, b, check_bundle(b, samples, CONTEXT), actor="kim", reason=None)
    assert resolve_version(store, None) == a.version
    assert resolve_version(store, a.version[:8].upper()) == a.version
    with pytest.raises(PolicyError, match="already the active version"):
        resolve_version(store, b.version[:10])
    with pytest.raises(PolicyError, match="at least 8 hex digits"):
        resolve_version(store, a.version[:7])
    assert active_bundle(store) == b

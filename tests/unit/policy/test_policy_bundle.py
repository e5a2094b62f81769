"""PolicyBundle: the version names exactly the text, tests are kept apart, paths are checked."""

from __future__ import annotations

import hashlib
import json

import pytest

from gateway.errors import PolicyError
from gateway.policy import PolicyBundle

POLICY = "package redaction.export_record\n\nimport rego.v1\n\nx := 1\n"
TEST = "package redaction.export_record_test\n\nimport rego.v1\n\ntest_x if true\n"


def _bundle(**changes: str) -> PolicyBundle:
    modules = {"redaction/export_record.rego": POLICY, "redaction/export_record_test.rego": TEST}
    modules.update(changes)
    return PolicyBundle(modules)


def test_version_is_sha256_of_the_canonical_json_of_sorted_modules() -> None:
    modules = {"b/z.rego": POLICY, "a/y_test.rego": TEST}
    # For ASCII text, RFC 8785 is sorted keys, no whitespace: an independent computation.
    expected = hashlib.sha256(
        json.dumps(modules, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    bundle = PolicyBundle(modules)
    assert bundle.version == expected
    assert bundle.short_version == expected[:12]


def test_version_ignores_insertion_order() -> None:
    one = PolicyBundle({"a.rego": POLICY, "b.rego": POLICY + "\n"})
    two = PolicyBundle({"b.rego": POLICY + "\n", "a.rego": POLICY})
    assert one.version == two.version
    assert list(two.modules) == ["a.rego", "b.rego"]


@pytest.mark.parametrize(
    "changes",
    [
        {"redaction/export_record.rego": POLICY.replace("x := 1", "x := 2")},
        {"redaction/export_record_test.rego": TEST + "\n"},
        {"redaction/extra.rego": POLICY.replace("export_record", "extra")},
    ],
    ids=["policy-text", "test-text", "added-module"],
)
def test_any_change_to_any_module_changes_the_version(changes: dict[str, str]) -> None:
    assert _bundle(**changes).version != _bundle().version


def test_renaming_a_module_changes_the_version() -> None:
    assert PolicyBundle({"a.rego": POLICY}).version != PolicyBundle({"b.rego": POLICY}).version


def test_test_modules_are_separated_from_policy_modules() -> None:
    bundle = _bundle()
    assert list(bundle.policy_modules) == ["redaction/export_record.rego"]
    assert list(bundle.test_modules) == ["redaction/export_record_test.rego"]
    assert bundle.policy_modules["redaction/export_record.rego"] == POLICY


def test_modules_are_read_only() -> None:
    bundle = _bundle()
    with pytest.raises(TypeError):
        bundle.modules["evil.rego"] = POLICY  # type: ignore[index]


@pytest.mark.parametrize(
    "path",
    [
        "../escape.rego",
        "/abs/x.rego",
        "a/../b.rego",
        "x.txt",
        "a\\b.rego",
        "",
        "a//b.rego",
        "sp ace.rego",
    ],
)
def test_paths_must_be_relative_posix_rego_paths(path: str) -> None:
    with pytest.raises(PolicyError, match="relative POSIX path"):
        PolicyBundle({path: POLICY})


def test_a_bundle_needs_a_policy_module() -> None:
    with pytest.raises(PolicyError, match="no policy module"):
        PolicyBundle({"x_test.rego": TEST})
    with pytest.raises(PolicyError, match="no policy module"):
        PolicyBundle({})


def test_name_is_a_short_label_outside_the_version() -> None:
    named = PolicyBundle({"a.rego": POLICY}, name="default")
    other = PolicyBundle({"a.rego": POLICY}, name="exporter-2026.1")
    assert named.name == "default"
    assert named.version == other.version
    assert named != other
    with pytest.raises(PolicyError, match="policy name"):
        PolicyBundle({"a.rego": POLICY}, name="has space")

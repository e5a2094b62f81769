"""Loading policy bundles from real directories and from the shipped package data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.adapters.policy_files import MAX_MODULE_BYTES, builtin_policy, load_policy_dir
from gateway.errors import ConfigError

POLICY = "package redaction.export_record\n\nimport rego.v1\n\nx := 1\n"
REPO_POLICIES = Path(__file__).resolve().parents[3] / "policies"


def _write(root: Path, relative: str, data: bytes | str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_reads_rego_files_recursively_with_relative_posix_keys(tmp_path: Path) -> None:
    root = tmp_path / "mypolicy"
    _write(root, "redaction/export_record.rego", POLICY)
    _write(root, "redaction/export_record_test.rego", "package t\n")
    _write(root, "lib/deep/util.rego", "package lib.deep.util\n")
    _write(root, "README.md", "not rego")
    _write(root, ".hidden/skipped.rego", "package hidden\n")
    _write(root, ".#lock.rego", "package lock\n")
    bundle = load_policy_dir(root)
    assert list(bundle.modules) == [
        "lib/deep/util.rego",
        "redaction/export_record.rego",
        "redaction/export_record_test.rego",
    ]
    assert bundle.modules["redaction/export_record.rego"] == POLICY
    assert bundle.name == "mypolicy"


def test_explicit_name_and_fallback_name(tmp_path: Path) -> None:
    root = tmp_path / "odd name!"
    _write(root, "p.rego", POLICY)
    assert load_policy_dir(root).name == "custom"
    assert load_policy_dir(root, name="q1-2026").name == "q1-2026"


def test_invalid_utf8_names_the_file_and_not_the_content(tmp_path: Path) -> None:
    _write(tmp_path, "ok.rego", POLICY)
    _write(tmp_path, "sub/bad.rego", b"package bad\n# SECRETCANARY \xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_policy_dir(tmp_path)
    assert "sub/bad.rego" in str(info.value)
    assert "UTF-8" in str(info.value)
    assert "SECRETCANARY" not in str(info.value)


def test_cp949_text_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "korean.rego", "package k\n# 수출\n".encode("cp949"))
    with pytest.raises(ConfigError, match=r"korean\.rego: not valid UTF-8"):
        load_policy_dir(tmp_path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "big.rego", POLICY + "#" * MAX_MODULE_BYTES)
    with pytest.raises(ConfigError, match=r"big\.rego: larger than"):
        load_policy_dir(tmp_path)


def test_byte_order_mark_and_nul_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "bom.rego", "\ufeff" + POLICY)
    with pytest.raises(ConfigError, match=r"bom\.rego: starts with a byte-order mark"):
        load_policy_dir(tmp_path)
    (tmp_path / "bom.rego").unlink()
    _write(tmp_path, "nul.rego", POLICY + "\x00")
    with pytest.raises(ConfigError, match=r"nul\.rego: contains a NUL"):
        load_policy_dir(tmp_path)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside/secret.rego", POLICY)
    root = tmp_path / "policy"
    _write(root, "p.rego", POLICY)
    (root / "linked.rego").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"linked\.rego: symbolic links"):
        load_policy_dir(root)


def test_bad_module_path_is_a_config_error_naming_it(tmp_path: Path) -> None:
    _write(tmp_path, "has space.rego", POLICY)
    with pytest.raises(ConfigError, match=r"has space\.rego"):
        load_policy_dir(tmp_path)


def test_empty_directory_and_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \.rego files"):
        load_policy_dir(tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        load_policy_dir(tmp_path / "missing")


def test_builtin_policy_is_the_shipped_directory() -> None:
    shipped = builtin_policy()
    from_disk = load_policy_dir(REPO_POLICIES)
    assert shipped.name == "default"
    assert shipped.version == from_disk.version
    assert set(shipped.policy_modules) == {"redaction/export_record.rego"}
    assert set(shipped.test_modules) == {"redaction/export_record_test.rego"}

"""A policy bundle: the Rego sources of one policy version, by relative path.

The version is the SHA-256 of the canonical JSON of the sorted ``{path: text}`` map, so it names
exactly the text that was evaluated (test modules included: a change to a policy's tests is a
change to what was reviewed). Submissions and the ledger carry it. Reading files is the job of
``gateway.adapters.policy_files``; this module only holds and checks text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Final

from gateway.canonical import canonical_json, sha256_hex
from gateway.errors import PolicyError

TEST_SUFFIX: Final = "_test.rego"
NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME_RE: Final = re.compile(NAME_PATTERN)
_SEGMENT: Final = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_PATH_RE: Final = re.compile(rf"^(?:{_SEGMENT}/)*{_SEGMENT}\.rego$")


def _check_path(path: object) -> str:
    if not isinstance(path, str) or not _PATH_RE.match(path) or ".." in path.split("/"):
        raise PolicyError(
            f"policy module path {path!r} is not a relative POSIX path ending in .rego"
        )
    return path


class PolicyBundle:
    """Rego modules by relative POSIX path (``redaction/export_record.rego``).

    Modules whose name ends in ``_test.rego`` are test modules: they count towards the version
    but are never loaded into the engine that decides. ``name`` is a short human label carried
    next to the version in submissions (``default`` for the shipped policy); the version alone
    identifies the text.
    """

    def __init__(self, modules: Mapping[str, str], *, name: str = "custom") -> None:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise PolicyError("policy name must be 1-64 letters, digits, '.', '_' or '-'")
        self.name = name
        checked: dict[str, str] = {}
        for path, text in sorted(modules.items()):
            name = _check_path(path)
            if not isinstance(text, str):
                raise PolicyError(f"policy module {name}: source is not text")
            checked[name] = text
        if not any(not p.endswith(TEST_SUFFIX) for p in checked):
            raise PolicyError("the policy bundle holds no policy module (only tests, or nothing)")
        self._modules: Mapping[str, str] = MappingProxyType(checked)

    @property
    def modules(self) -> Mapping[str, str]:
        """Every module, sorted by path (read-only)."""
        return self._modules

    @property
    def policy_modules(self) -> Mapping[str, str]:
        """The modules that decide (everything but ``*_test.rego``)."""
        items = self._modules.items()
        return MappingProxyType({p: t for p, t in items if not p.endswith(TEST_SUFFIX)})

    @property
    def test_modules(self) -> Mapping[str, str]:
        """The Rego unit-test modules (``*_test.rego``)."""
        return MappingProxyType({p: t for p, t in self._modules.items() if p.endswith(TEST_SUFFIX)})

    @cached_property
    def version(self) -> str:
        """Lower-case hex SHA-256 over the canonical JSON of the sorted ``{path: text}`` map."""
        return sha256_hex(canonical_json(dict(self._modules)))

    @property
    def short_version(self) -> str:
        """The first 12 hex digits of :attr:`version`, for humans."""
        return self.version[:12]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolicyBundle):
            return NotImplemented
        return (other.name, other.version) == (self.name, self.version)

    def __hash__(self) -> int:
        return hash((self.name, self.version))

    def __repr__(self) -> str:
        return f"PolicyBundle({self.name!r}, {len(self._modules)} modules, {self.short_version})"

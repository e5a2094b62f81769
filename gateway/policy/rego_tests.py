"""Run a bundle's Rego unit tests through the embedded engine.

Tests live beside the policy in ``*_test.rego`` modules, as ``opa test`` expects. A test is a
rule named ``test_*`` at the start of a line (``opa fmt`` layout); it passes iff it evaluates to
``true``. Undefined is a failure, and so is an evaluation error (with rego-cpp's message: test
inputs are fixtures, not records).

rego-cpp 1.x cannot evaluate ``with input as ...`` over a rule that calls a built-in (the whole
module then fails); tests should call the policy's functions with a record instead, which is
portable to OPA and reads more directly anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from gateway.policy._regopy import EvaluationError, evaluate, new_interpreter
from gateway.policy.bundle import PolicyBundle

_IDENT: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_PACKAGE_RE: Final = re.compile(rf"^package\s+({_IDENT}(?:\.{_IDENT})*)\s*$", re.M)
_TEST_RE: Final = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.M)


@dataclass(frozen=True)
class RegoTestCase:
    """One discovered test: ``data.<package>.<name>``."""

    package: str
    name: str
    module: str

    @property
    def query(self) -> str:
        """The Rego reference that evaluates the test."""
        return f"data.{self.package}.{self.name}"


@dataclass(frozen=True)
class RegoTestResult:
    """The outcome of one Rego test; ``error`` says why it did not pass."""

    name: str
    package: str
    passed: bool
    error: str | None = None


def discover_rego_tests(bundle: PolicyBundle) -> list[RegoTestCase]:
    """Every ``test_*`` rule of the bundle's test modules, in module then source order."""
    cases: list[RegoTestCase] = []
    for path, source in bundle.test_modules.items():
        package = _PACKAGE_RE.search(source)
        if package is None:
            continue
        seen: set[str] = set()
        for match in _TEST_RE.finditer(source):
            name = match.group(1)
            if name not in seen:  # a test may be defined incrementally, in several bodies
                seen.add(name)
                cases.append(RegoTestCase(package=package.group(1), name=name, module=path))
    return cases


def run_rego_tests(bundle: PolicyBundle) -> list[RegoTestResult]:
    """Evaluate every discovered test with the policy and test modules loaded together.

    A module that does not parse raises :class:`~gateway.errors.PolicyError` naming it.
    """
    cases = discover_rego_tests(bundle)
    interpreter = new_interpreter(bundle.modules)
    results: list[RegoTestResult] = []
    for case in cases:
        try:
            outcome = evaluate(interpreter, case.query, detail=True)
        except EvaluationError as exc:
            results.append(RegoTestResult(case.name, case.package, False, str(exc)))
            continue
        if not outcome.defined:
            results.append(RegoTestResult(case.name, case.package, False, "undefined"))
        elif outcome.value is not True:
            results.append(RegoTestResult(case.name, case.package, False, "not true"))
        else:
            results.append(RegoTestResult(case.name, case.package, True))
    return results

"""The shipped policy's Rego unit tests, one pytest test each, through the embedded engine.

Also shows the runner is honest: a policy that breaks a rule makes the matching Rego test fail,
and errors and undefined results are failures.
"""

from __future__ import annotations

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.errors import PolicyError
from gateway.policy import (
    PolicyBundle,
    RegoTestCase,
    RegoTestResult,
    discover_rego_tests,
    run_rego_tests,
)

SHIPPED = builtin_policy()
CASES = discover_rego_tests(SHIPPED)
POLICY_PATH = "redaction/export_record.rego"


@pytest.fixture(scope="module")
def shipped_results() -> dict[tuple[str, str], RegoTestResult]:
    return {(r.package, r.name): r for r in run_rego_tests(SHIPPED)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.package}.{c.name}")
def test_rego(case: RegoTestCase, shipped_results: dict[tuple[str, str], RegoTestResult]) -> None:
    result = shipped_results[(case.package, case.name)]
    assert result.passed, f"{case.query} in {case.module}: {result.error}"


def test_the_shipped_suite_covers_both_sides() -> None:
    names = [c.name for c in CASES]
    assert sum(n.startswith("test_success_") for n in names) >= 5
    assert sum(n.startswith("test_fail_") for n in names) >= 5
    assert len(names) == len(set(names))
    assert {c.package for c in CASES} == {"redaction.export_record_test"}


def _mutated(old: str, new: str) -> PolicyBundle:
    modules = dict(SHIPPED.modules)
    assert old in modules[POLICY_PATH]
    modules[POLICY_PATH] = modules[POLICY_PATH].replace(old, new)
    return PolicyBundle(modules)


@pytest.mark.parametrize(
    ("old", "new", "must_fail"),
    [
        (
            'exporter_country := "KR"',
            'exporter_country := "JP"',
            "test_fail_domestic_buyer_is_quarantined",
        ),
        (
            '"hs_code": ["hs4"],',
            '"hs_code": ["hs4"],\n\t"source_ref": ["keep"],',
            "test_success_secret_fields_are_never_named",
        ),
        (
            "record.credit_days > max_tenor_days",
            "record.credit_days >= max_tenor_days",
            "test_success_tenor_of_exactly_720_days_is_attached",
        ),
        ('"50000", "100000"', '"100000", "50000"', "test_success_band_edges_ascend"),
        (
            '{"type": "encrypt"}',
            '{"type": "paillier"}',
            "test_success_operators_use_only_contract_types",
        ),
    ],
    ids=["domestic", "secret-field", "tenor-boundary", "band-order", "operator-type"],
)
def test_a_broken_policy_fails_its_rego_tests(old: str, new: str, must_fail: str) -> None:
    failed = {r.name for r in run_rego_tests(_mutated(old, new)) if not r.passed}
    assert must_fail in failed


def _bundle_with_tests(tests: str) -> PolicyBundle:
    return PolicyBundle(
        {
            "p/policy.rego": "package p\n\nimport rego.v1\n\nanswer := 42\n\ndouble(x) := x * 2\n",
            "p/policy_test.rego": "package p_test\n\nimport rego.v1\n\nimport data.p\n\n" + tests,
        }
    )


def test_runner_reports_pass_fail_undefined_and_error() -> None:
    bundle = _bundle_with_tests(
        "test_passes if p.answer == 42\n\n"
        "test_false if p.answer == 41\n\n"
        "test_value := 7\n\n"
        'test_errors if to_number("not a number") > 1\n\n'
        "test_passes if p.double(21) == 42\n\n"
        "helper_not_a_test if true\n"
    )
    results = {r.name: r for r in run_rego_tests(bundle)}
    assert list(results) == ["test_passes", "test_false", "test_value", "test_errors"]
    assert results["test_passes"] == RegoTestResult("test_passes", "p_test", True, None)
    assert results["test_false"].error == "undefined"
    assert results["test_value"].error == "not true"
    assert results["test_errors"].passed is False
    assert results["test_errors"].error is not None
    assert "data.p_test.test_errors failed" in results["test_errors"].error


def test_runner_refuses_a_test_module_that_does_not_parse() -> None:
    with pytest.raises(PolicyError, match=r"^p/policy_test\.rego line \d+: "):
        run_rego_tests(_bundle_with_tests("test_broken if {\n"))


def test_a_bundle_without_tests_has_no_cases() -> None:
    bundle = PolicyBundle({"p.rego": "package p\n\nimport rego.v1\n\nx := 1\n"})
    assert discover_rego_tests(bundle) == []
    assert run_rego_tests(bundle) == []

"""Record values never reach error text, decision reasons or the process's output streams.

rego-cpp puts input values into its conflict errors and, at its default log level, prints them to
standard error. The precondition test shows that this policy really makes it do so with the canary;
the other tests show that none of it escapes through the gateway.
"""

from __future__ import annotations

import ctypes
import traceback
from collections.abc import Callable

import pytest
from regopy import Interpreter

from gateway.errors import PolicyError
from gateway.model import ExportRecord
from gateway.policy import Decision, PolicyBundle, RegoEngine
from gateway.policy._regopy import EvaluationError, evaluate, new_interpreter, set_input

CANARY = "Canary Buyer Zq7Xv Ltd"

# Two partial definitions of decisions that disagree on every key, both carrying the buyer's
# name: a conflict whose message rego-cpp prints with both values quoted.
LEAKY_POLICY = """package redaction.export_record

import rego.v1

operators := {}

decisions[key] := d if {
	some i, record in input.records
	key := format_int(i, 10)
	d := {"outcome": "withhold", "reason": "first.rule", "n": record["buyer.name"]}
}

decisions[key] := d if {
	some i, record in input.records
	key := format_int(i, 10)
	d := {"outcome": "withhold", "reason": "second.rule", "n": record["buyer.name"]}
}
"""

_libc = ctypes.CDLL(None)


def _native_output(capfd: pytest.CaptureFixture[str]) -> str:
    """Everything written to file descriptors 1 and 2, native stdio buffers flushed first."""
    _libc.fflush(None)
    captured = capfd.readouterr()
    return captured.out + captured.err


@pytest.fixture
def leaky_bundle() -> PolicyBundle:
    return PolicyBundle({"redaction/export_record.rego": LEAKY_POLICY})


@pytest.fixture
def canary_input(record: Callable[..., ExportRecord]) -> dict[str, object]:
    return record(buyer={"name": CANARY}).policy_input()


def test_precondition_regopy_itself_would_print_the_canary(
    leaky_bundle: PolicyBundle, canary_input: dict[str, object], capfd: pytest.CaptureFixture[str]
) -> None:
    raw = Interpreter()  # default log level, as a naive integration would use it
    for path, text in leaky_bundle.modules.items():
        raw.add_module(path, text)
    raw.set_input({"records": [canary_input]})
    output = raw.query("data.redaction.export_record.decisions")
    assert not output.ok()
    assert CANARY in _native_output(capfd)


def test_decide_leaks_nothing(
    leaky_bundle: PolicyBundle, canary_input: dict[str, object], capfd: pytest.CaptureFixture[str]
) -> None:
    engine = RegoEngine(leaky_bundle)
    decisions = engine.decide([canary_input])
    assert decisions == [Decision.withhold("policy.error")]
    assert all(CANARY not in repr(d) for d in decisions)
    assert CANARY not in _native_output(capfd)


def test_evaluation_errors_carry_no_record_values(
    leaky_bundle: PolicyBundle, canary_input: dict[str, object], capfd: pytest.CaptureFixture[str]
) -> None:
    interpreter = new_interpreter(leaky_bundle.policy_modules)
    set_input(interpreter, {"records": [canary_input]})
    with pytest.raises(EvaluationError) as info:
        evaluate(interpreter, "data.redaction.export_record.decisions")
    shown = "".join(traceback.format_exception(info.value))
    assert CANARY not in shown
    assert CANARY not in info.value.diagnostics()
    assert CANARY not in _native_output(capfd)


def test_builtin_error_on_a_record_value_leaks_nothing(
    minimal_policy: Callable[..., PolicyBundle],
    canary_input: dict[str, object],
    capfd: pytest.CaptureFixture[str],
) -> None:
    bundle = minimal_policy('decision(record) := x if x := to_number(record["buyer.name"])')
    interpreter = new_interpreter(bundle.policy_modules)
    set_input(interpreter, {"records": [canary_input]})
    with pytest.raises(EvaluationError) as info:
        evaluate(interpreter, "data.redaction.export_record.decisions")
    assert CANARY not in "".join(traceback.format_exception(info.value))
    assert RegoEngine(bundle).decide([canary_input]) == [Decision.withhold("policy.error")]
    assert CANARY not in _native_output(capfd)


def test_a_failing_policy_at_load_does_not_echo_other_modules() -> None:
    secret_comment = "# internal pricing floor " + CANARY
    bundle = PolicyBundle(
        {
            "lib/notes.rego": f"package lib\n\nimport rego.v1\n\n{secret_comment}\nx := 1\n",
            "redaction/export_record.rego": "package redaction.export_record\n\n123 if true\n",
        }
    )
    with pytest.raises(PolicyError) as info:
        RegoEngine(bundle)
    assert "redaction/export_record.rego" in str(info.value)
    assert CANARY not in str(info.value)

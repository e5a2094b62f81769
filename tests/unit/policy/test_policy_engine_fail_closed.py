"""RegoEngine fails closed on every kind of bad decision, and fails fast on a bad policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.errors import PolicyError
from gateway.model import ExportRecord
from gateway.policy import Decision, Outcome, PolicyBundle, PolicySettings, RegoEngine

Record = Callable[..., ExportRecord]
Policy = Callable[..., PolicyBundle]

ATTACH_CURRENCY = '{"outcome": "attach", "fields": {"currency": ["keep"]}}'


def _reasons(decisions: list[Decision]) -> list[str | None]:
    return [d.reason for d in decisions]


# -- failing closed ----------------------------------------------------------------------------


def test_records_without_a_decision_are_undefined(minimal_policy: Policy, record: Record) -> None:
    engine = RegoEngine(
        minimal_policy(f'decision(record) := {ATTACH_CURRENCY} if record["buyer.country"] == "DE"')
    )
    decisions = engine.decide(
        [record().policy_input(), record(buyer={"country": "FR"}).policy_input()]
    )
    assert decisions[0].outcome is Outcome.ATTACH
    assert decisions[1] == Decision.withhold("policy.undefined")


def test_an_undefined_decisions_document_withholds_the_whole_batch(record: Record) -> None:
    module = f"""package redaction.export_record

import rego.v1

operators := {{"keep": {{"type": "keep"}}}}

has_fr if {{
	some r in input.records
	r["buyer.country"] == "FR"
}}

decisions := result if {{
	not has_fr
	result := {{key: d |
		some i, r in input.records
		key := format_int(i, 10)
		d := {ATTACH_CURRENCY}
	}}
}}
"""
    engine = RegoEngine(PolicyBundle({"redaction/export_record.rego": module}))
    assert engine.decide([record().policy_input()])[0].outcome is Outcome.ATTACH
    mixed = engine.decide([record().policy_input(), record(buyer={"country": "FR"}).policy_input()])
    assert _reasons(mixed) == ["policy.undefined", "policy.undefined"]


@pytest.mark.parametrize(
    "decision",
    [
        '{"outcome": "approve"}',
        '{"outcome": "attach"}',
        '{"outcome": "attach", "fields": {"buyer.secret": ["keep"]}}',
        '{"outcome": "attach", "fields": {"currency": ["keep", 7]}}',
        '{"outcome": "withhold", "reason": "Not A Code"}',
        '{"outcome": "attach", "fields": {"currency": ["keep"]}, "why": "extra"}',
        '"attach"',
    ],
    ids=[
        "outcome",
        "no-fields",
        "unknown-field",
        "operator-not-string",
        "reason",
        "extra",
        "string",
    ],
)
def test_malformed_decisions_are_withheld(
    minimal_policy: Policy, record: Record, decision: str
) -> None:
    engine = RegoEngine(minimal_policy(f"decision(record) := {decision}"))
    assert engine.decide([record().policy_input()]) == [Decision.withhold("policy.malformed")]


def test_unknown_operator_names_pass_through_to_the_transform_stage(
    minimal_policy: Policy, record: Record
) -> None:
    engine = RegoEngine(
        minimal_policy(
            'decision(record) := {"outcome": "attach", "fields": {"currency": ["nope"]}}'
        )
    )
    [decision] = engine.decide([record().policy_input()])
    assert decision.fields == {"currency": ("nope",)}


def test_a_result_that_is_not_an_index_object_is_malformed(record: Record) -> None:
    head = """package redaction.export_record

import rego.v1

operators := {}

decisions := {} if count(input.records) == 0

decisions := ["attach"] if count(input.records) > 0
"""
    engine = RegoEngine(PolicyBundle({"redaction/export_record.rego": head}))
    assert _reasons(engine.decide([record().policy_input()] * 2)) == ["policy.malformed"] * 2


def test_decisions_for_indexes_outside_the_batch_make_it_malformed(
    minimal_policy: Policy, record: Record
) -> None:
    head = f"""package redaction.export_record

import rego.v1

operators := {{}}

extra := {{"9": {ATTACH_CURRENCY}}} if count(input.records) > 0 else := {{}}

decisions := object.union(extra, {{key: d |
	some i, r in input.records
	key := format_int(i, 10)
	d := {ATTACH_CURRENCY}
}})
"""
    engine = RegoEngine(minimal_policy("", head=head))
    assert _reasons(engine.decide([record().policy_input()])) == ["policy.malformed"]


def test_conflicting_rules_at_runtime_withhold_the_batch_as_error(
    minimal_policy: Policy, record: Record
) -> None:
    rules = f"""decision(record) := {ATTACH_CURRENCY}

decision(record) := {{"outcome": "withhold", "reason": "x.y"}} if record["buyer.country"] == "FR"
"""
    engine = RegoEngine(minimal_policy(rules))
    assert engine.decide([record().policy_input()])[0].outcome is Outcome.ATTACH
    batch = [record().policy_input(), record(buyer={"country": "FR"}).policy_input()]
    assert _reasons(engine.decide(batch)) == ["policy.error", "policy.error"]


def test_builtin_errors_are_errors_not_silently_undefined(
    minimal_policy: Policy, record: Record
) -> None:
    """A withhold check that fails on bad data must not fall through to attach."""
    rules = f"""decision(record) := {{"outcome": "withhold", "reason": "amount.large"}} if {{
	to_number(record["buyer.name"]) > 100
}} else := {ATTACH_CURRENCY}
"""
    engine = RegoEngine(minimal_policy(rules))
    assert engine.decide([record().policy_input()]) == [Decision.withhold("policy.error")]


def test_input_the_engine_cannot_represent_exactly_is_withheld_alone(record: Record) -> None:
    """On whole records (a policy without a projection); with one, see test_projection.py."""
    from tests.unit.policy.test_projection import _without_projection

    default_engine = RegoEngine(_without_projection())
    good = record().policy_input()
    huge = {**good, "amount_minor": 2**63}
    floaty = {**good, "amount": 1.5}
    nul = {**good, "buyer.name": "A\x00B"}
    not_a_mapping: Any = ["x"]
    decisions = default_engine.decide([huge, good, floaty, nul, not_a_mapping, good])
    assert _reasons(decisions) == [
        "policy.input",
        None,
        "policy.input",
        "policy.input",
        "policy.input",
        None,
    ]


# -- failing fast at load ----------------------------------------------------------------------


def test_syntax_error_names_the_module_and_line() -> None:
    broken = "package redaction.export_record\n\nimport rego.v1\n\nx := 1\n\n123 if true\n"
    bundle = PolicyBundle(
        {
            "lib/ok.rego": "package lib\n\nimport rego.v1\n\ny := 1\n",
            "redaction/export_record.rego": broken,
        }
    )
    with pytest.raises(PolicyError, match=r"^redaction/export_record\.rego line 7: "):
        RegoEngine(bundle)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("decisions := {}", "operators must be defined"),
        ('operators := {"keep": "keep"}\ndecisions := {}', "operators.keep: must be an object"),
        ('operators := {"Keep It": {"type": "keep"}}\ndecisions := {}', "operator names"),
        ("operators := {}", "decisions must be an object"),
        ("operators := {}\ndecisions := []", "decisions must be an object"),
        ('operators := {}\ndecisions := {}\nsettings := {"k": 1}', "settings: k:"),
        (
            'operators := {}\ndecisions := {}\nsettings := {"k": 3, "bucket": ["city"]}',
            "settings: bucket",
        ),
        ('operators := {}\ndecisions := {}\nsettings := {"k": 3, "extra": 1}', "settings: extra"),
        (
            'operators := {}\ndecisions := {}\nsettings := {"bucket": ["buyer", "buyer"]}',
            "must not repeat",
        ),
    ],
    ids=[
        "no-operators",
        "operator-not-object",
        "operator-name",
        "no-decisions",
        "decisions-array",
        "k-too-small",
        "bucket-dimension",
        "settings-extra",
        "bucket-repeat",
    ],
)
def test_wrong_shapes_fail_at_load(body: str, message: str) -> None:
    module = f"package redaction.export_record\n\nimport rego.v1\n\n{body}\n"
    with pytest.raises(PolicyError, match=message):
        RegoEngine(PolicyBundle({"redaction/export_record.rego": module}))


def test_settings_default_when_the_policy_defines_none(minimal_policy: Policy) -> None:
    engine = RegoEngine(minimal_policy(f"decision(record) := {ATTACH_CURRENCY}"))
    assert engine.settings() == PolicySettings()
    assert engine.settings().k == 3
    assert engine.settings().bucket == ("buyer", "country", "currency", "maturity_month")


def test_test_modules_are_not_loaded_into_the_deciding_engine(
    minimal_policy: Policy, record: Record
) -> None:
    policy = minimal_policy(f"decision(record) := {ATTACH_CURRENCY}")
    # Would turn every decision into a conflict if it were loaded.
    conflicting = (
        "package redaction.export_record\n\nimport rego.v1\n\n"
        'decision(record) := {"outcome": "withhold", "reason": "x.y"}\n'
    )
    bundle = PolicyBundle({**policy.modules, "redaction/export_record_test.rego": conflicting})
    engine = RegoEngine(bundle)
    assert engine.decide([record().policy_input()])[0].outcome is Outcome.ATTACH

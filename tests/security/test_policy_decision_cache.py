"""Attack: make the decision cache hand one record's decision to a record the policy would have
decided differently (cache confusion), or use the cache to let a field through unseen.

The defence is the declared projection: the policy is only ever shown the projection, so two
records with the same projection are the same input to it. A projection that leaves out a field
the policy reads would make the policy's own Rego tests (which see whole records) disagree with
what runs; activation compares both on the sample records and refuses such a version.
"""

from __future__ import annotations

import os

from gateway.crypto import PseudonymKey
from gateway.policy import Outcome, PolicyBundle, RegoEngine
from gateway.policy.lifecycle import check_bundle
from gateway.transform import OperatorContext
from tests.support import unit_record

CONTEXT = OperatorContext(pseudonym_key=PseudonymKey("psk-security", os.urandom(32)))

# Withholds one buyer by name, but its projection forgets buyer.name: on the projection the
# name is only "present", so the rule can never fire.
POLICY = """package redaction.export_record

import rego.v1

operators := {"keep": {"type": "keep"}}

projection := {"values": ["currency"], "present": ["buyer.name"]}

decisions := {key: d |
	some i, record in input.records
	key := format_int(i, 10)
	d := decision(record)
}

decision(record) := {"outcome": "withhold", "reason": "buyer.sanctioned"} if {
	record["buyer.name"] == "Blocked Trading"
} else := {"outcome": "attach", "fields": {"currency": ["keep"]}}
"""

TESTS = """package redaction.export_record_test

import rego.v1

import data.redaction.export_record

test_success_blocked_buyer_is_withheld if {
	d := export_record.decision({"buyer.name": "Blocked Trading", "currency": "USD"})
	d.reason == "buyer.sanctioned"
}
"""


def _bundle(projection: str) -> PolicyBundle:
    policy = POLICY.replace(
        'projection := {"values": ["currency"], "present": ["buyer.name"]}', projection
    )
    return PolicyBundle(
        {"redaction/export_record.rego": policy, "redaction/export_record_test.rego": TESTS},
        name="sanctions",
    )


def test_a_cached_decision_is_never_served_to_a_record_the_policy_sees_differently() -> None:
    engine = RegoEngine(_bundle('projection := {"values": ["currency", "buyer.name"]}'))
    ordinary = unit_record(1, buyer="Acme").policy_input()
    blocked = unit_record(2, buyer="Blocked Trading").policy_input()
    first, second, third = engine.decide([ordinary, blocked, ordinary])
    assert first.outcome is Outcome.ATTACH and third == first
    assert (second.outcome, second.reason) == (Outcome.WITHHOLD, "buyer.sanctioned")
    [again] = engine.decide([blocked])  # from the cache: still the blocked buyer's decision
    assert again == second


def test_a_projection_hiding_a_field_the_policy_reads_is_refused_at_activation() -> None:
    hiding = _bundle('projection := {"values": ["currency"], "present": ["buyer.name"]}')
    samples = [unit_record(1, buyer="Blocked Trading").policy_input()]
    check = check_bundle(hiding, samples, CONTEXT)
    assert any("the projection hides a field the policy reads" in p for p in check.problems)
    assert all("Blocked" not in p for p in check.problems)  # no record content in the message
    honest = _bundle('projection := {"values": ["currency", "buyer.name"]}')
    assert check_bundle(honest, samples, CONTEXT).problems == []

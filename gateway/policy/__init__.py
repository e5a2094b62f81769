"""Policy decision stage: Rego policies, evaluated in batches, failing closed.

The policy (``data.redaction.export_record``) decides per record whether it is attached,
withheld or quarantined and which action applies to each field; everything it does not
name stays with the exporter.
"""

from gateway.policy.bundle import PolicyBundle
from gateway.policy.decision import Decision, Outcome, parse_decision
from gateway.policy.engine import PolicyEngine, PolicySettings, RegoEngine
from gateway.policy.rego_tests import (
    RegoTestCase,
    RegoTestResult,
    discover_rego_tests,
    run_rego_tests,
)
from gateway.policy.schema import input_schema

__all__ = [
    "Decision",
    "Outcome",
    "PolicyBundle",
    "PolicyEngine",
    "PolicySettings",
    "RegoEngine",
    "RegoTestCase",
    "RegoTestResult",
    "discover_rego_tests",
    "input_schema",
    "parse_decision",
    "run_rego_tests",
]

"""Fixtures for the policy tests: the shipped policy, a real engine over it, real records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.model import ExportRecord
from gateway.policy import PolicyBundle, RegoEngine

# A complete, unremarkable export: German buyer, USD, open account, 90 days.
BASE_RECORD: dict[str, Any] = {
    "source_ref": "sales.csv:2",
    "invoice_number": "INV-2026-0001",
    "invoice_date": "2026-01-05",
    "shipment_date": "2026-01-07",
    "declaration_number": "12345-26-000001X",
    "buyer": {
        "name": "Example Trading GmbH",
        "country": "DE",
        "registration_id": "HRB 12345",
        "address": "1 Example Street, Hamburg",
    },
    "currency": "USD",
    "amount": "125000.00",
    "payment_method": "OA",
    "due_date": "2026-04-07",
    "tenor_days": 90,
    "incoterms": "FOB",
    "hs_code": "8542.31.00",
    "description": "Memory chips",
    "line_items": [{"description": "DRAM", "quantity": "1000", "unit_price": "125.00"}],
}

MINIMAL_POLICY_HEAD = """package redaction.export_record

import rego.v1

operators := {"keep": {"type": "keep"}}

decisions := {key: d |
	some i, record in input.records
	key := format_int(i, 10)
	d := decision(record)
}
"""


def make_record(buyer: dict[str, Any] | None = None, **changes: Any) -> ExportRecord:
    """A real ``ExportRecord`` from :data:`BASE_RECORD` with top-level and buyer changes."""
    data = {**BASE_RECORD, **changes}
    data["buyer"] = {**BASE_RECORD["buyer"], **(buyer or {})}
    return ExportRecord.model_validate(data)


def make_minimal_policy(rules: str, *, head: str = MINIMAL_POLICY_HEAD) -> PolicyBundle:
    """A one-module bundle: the standard entrypoint plus ``rules`` (which define decision)."""
    return PolicyBundle({"redaction/export_record.rego": head + "\n" + rules})


@pytest.fixture
def record() -> Callable[..., ExportRecord]:
    """Build a real record: ``record(currency="EUR", buyer={"country": "KR"})``."""
    return make_record


@pytest.fixture
def minimal_policy() -> Callable[..., PolicyBundle]:
    """Build a bundle from ``decision(record)`` rules under the standard entrypoint."""
    return make_minimal_policy


@pytest.fixture(scope="session")
def default_bundle() -> PolicyBundle:
    bundle: PolicyBundle = builtin_policy()
    return bundle


@pytest.fixture(scope="session")
def default_engine(default_bundle: PolicyBundle) -> RegoEngine:
    return RegoEngine(default_bundle)

"""Shared fixtures for the transform tests: real keys, a real record, a real operator set."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.model import ExportRecord
from gateway.transform import OperatorContext, OperatorSet, build_operators

OPERATORS_CONFIG: dict[str, dict[str, Any]] = {
    "hs4": {"type": "truncate", "digits": 4},
    "buyer_token": {"type": "pseudonymise", "domain": "buyer"},
    "amount_band": {
        "type": "band",
        "edges": {"USD": ["0", "10000", "50000"], "KRW": ["0", "10000000"]},
    },
    "exposure": {"type": "encrypt"},
    "keep": {"type": "keep"},
    "month": {"type": "month"},
}


@dataclass(frozen=True)
class StandInDecision:
    """Stand-in for gateway.policy.Decision: transform reads only ``fields`` (its protocol)."""

    fields: Mapping[str, Sequence[str]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def pseudonym_key() -> PseudonymKey:
    return PseudonymKey("k2026a", secrets.token_bytes(32))


@pytest.fixture(scope="session")
def rotated_key() -> PseudonymKey:
    return PseudonymKey("k2026b", secrets.token_bytes(32))


@pytest.fixture(scope="session")
def operators(pseudonym_key: PseudonymKey) -> OperatorSet:
    return build_operators(OPERATORS_CONFIG, OperatorContext(pseudonym_key))


@pytest.fixture(scope="session")
def operators_config() -> dict[str, dict[str, Any]]:
    return OPERATORS_CONFIG


@pytest.fixture(scope="session")
def make_decision() -> Callable[..., StandInDecision]:
    """``make_decision(field=("op",), ...)`` or ``make_decision({"buyer.name": (...)})``."""

    def make(fields: Mapping[str, Sequence[str]] | None = None) -> StandInDecision:
        return StandInDecision(dict(fields or {}))

    return make


@pytest.fixture(scope="session")
def make_record() -> Callable[..., ExportRecord]:
    return _make_record


def _make_record(**overrides: Any) -> ExportRecord:
    """A valid export record; keyword arguments replace fields."""
    data: dict[str, Any] = {
        "source_ref": "sales.csv:2",
        "invoice_number": "INV-2026-0001",
        "invoice_date": "2026-03-01",
        "shipment_date": "2026-03-02",
        "buyer": {"name": "Acme Trading GmbH", "country": "DE"},
        "currency": "USD",
        "amount": "12500.50",
        "payment_method": "OA",
        "due_date": "2026-06-30",
        "hs_code": "847130",
    }
    data.update(overrides)
    return ExportRecord.model_validate(data)


@pytest.fixture
def record_input() -> dict[str, Any]:
    return _make_record().policy_input()

"""transform(): the decision's allowlist applied to one record."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.model import POLICY_FIELDS
from gateway.transform import OperatorError, OperatorSet, pseudonym, transform

CANARY = "CANARY-7f3a-Zebra Holdings"


def test_only_named_fields_appear(
    operators: OperatorSet, record_input: dict[str, Any], make_decision: Any
) -> None:
    decision = make_decision({"currency": ("keep",), "buyer.country": ("keep",)})
    result = transform(record_input, decision, operators)
    assert result.attachment == {"currency": "USD", "buyer.country": "DE"}
    assert result.exposure_minor is None


def test_empty_decision_discloses_nothing(
    operators: OperatorSet, record_input: dict[str, Any], make_decision: Any
) -> None:
    result = transform(record_input, make_decision(), operators)
    assert result.attachment == {} and result.exposure_minor is None


def test_typical_policy_output(
    operators: OperatorSet,
    record_input: dict[str, Any],
    make_decision: Any,
    pseudonym_key: PseudonymKey,
) -> None:
    decision = make_decision(
        {
            "buyer.name": ("buyer_token",),
            "buyer.country": ("keep",),
            "currency": ("keep",),
            "amount": ("amount_band", "exposure"),
            "due_date": ("month",),
            "hs_code": ("hs4",),
            "invoice_number": ("drop",),
            "line_items": (),
        }
    )
    result = transform(record_input, decision, operators)
    assert result.attachment == {
        "buyer.name": pseudonym(pseudonym_key, "buyer", "Acme Trading GmbH"),
        "buyer.country": "DE",
        "currency": "USD",
        "amount": {"currency": "USD", "lower": "10000", "upper": "50000"},
        "due_date": "2026-06",
        "hs_code": "8471",
    }
    assert result.exposure_minor == 1_250_050


def test_encrypt_alone_attaches_nothing_for_the_amount(
    operators: OperatorSet, record_input: dict[str, Any], make_decision: Any
) -> None:
    result = transform(record_input, make_decision({"amount": ("encrypt",)}), operators)
    assert result.attachment == {}
    assert result.exposure_minor == record_input["amount_minor"]


def test_planted_canary_never_leaves_through_dropped_fields(
    operators: OperatorSet, make_record: Any, make_decision: Any
) -> None:
    record = make_record(
        buyer={"name": CANARY, "country": "DE", "address": CANARY, "registration_id": CANARY},
        description=CANARY,
        invoice_number=CANARY,
        line_items=[{"description": CANARY, "quantity": "1", "unit_price": "12500.50"}],
    ).policy_input()
    decision = make_decision(
        {
            "buyer.name": ("buyer_token",),
            "buyer.address": ("drop",),
            "invoice_number": (),
            "currency": ("keep",),
            "amount": ("encrypt",),
        }
    )
    result = transform(record, decision, operators)
    dumped = json.dumps(result.attachment) + repr(result)
    assert CANARY not in dumped
    assert CANARY.casefold() not in dumped.casefold()
    assert set(result.attachment) == {"buyer.name", "currency"}
    unnamed = set(POLICY_FIELDS) - set(decision.fields)
    assert unnamed and not unnamed & set(result.attachment)


def test_transform_does_not_alias_or_mutate_the_record(
    operators: OperatorSet, record_input: dict[str, Any], make_decision: Any
) -> None:
    before = json.dumps(record_input, sort_keys=True)
    allowed = dataclasses.replace(operators, clear_allowed=frozenset({"line_items"}))
    result = transform(record_input, make_decision({"line_items": ("keep",)}), allowed)
    result.attachment["line_items"].append("x")  # type: ignore[union-attr]
    assert json.dumps(record_input, sort_keys=True) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"buyer.name": ("rot13",)}, "transform.unknown_operator"),
        ({"buyer.name": ("band",)}, "transform.unknown_operator"),
        ({"buyer.country": ("keep", "buyer_token")}, "transform.operator_conflict"),
        ({"buyer.name": ("keep",)}, "transform.protected"),
        ({"line_items": ("keep",)}, "transform.protected"),
        ({"invoice_number": ("keep",)}, "transform.protected"),
        ({"amount": ("amount_band", "keep", "encrypt")}, "transform.operator_conflict"),
        ({"buyer.secret_margin": ("keep",)}, "transform.unknown_field"),
        ({"hs_code": ("keep",), "amount_minor": ("encrypt",)}, "transform.encrypt"),
        ({"currency": ("amount_band",)}, "transform.band"),
    ],
)
def test_bad_decisions_fail_closed(
    operators: OperatorSet,
    make_record: Any,
    make_decision: Any,
    fields: dict[str, tuple[str, ...]],
    code: str,
) -> None:
    record = make_record(buyer={"name": CANARY, "country": "DE"}).policy_input()
    with pytest.raises(OperatorError) as info:
        transform(record, make_decision(fields), operators)
    assert info.value.reason_code == code
    assert CANARY not in str(info.value) and CANARY not in info.value.diagnostics()


def test_duplicate_operator_names_are_harmless(
    operators: OperatorSet, record_input: dict[str, Any], make_decision: Any
) -> None:
    decision = make_decision({"currency": ("keep", "keep"), "amount": ("encrypt", "exposure")})
    result = transform(record_input, decision, operators)
    assert result.attachment == {"currency": "USD"}
    assert result.exposure_minor == 1_250_050


def test_operator_error_names_field_and_operator_but_not_value(
    operators: OperatorSet, make_record: Any, make_decision: Any
) -> None:
    record = make_record(hs_code="8471").policy_input()
    record["hs_code"] = "84"  # shorter than the record model allows: only a policy bug gets here
    with pytest.raises(OperatorError) as info:
        transform(record, make_decision({"hs_code": ("hs4",)}), operators)
    assert (info.value.field, info.value.operator) == ("hs_code", "truncate")
    assert "hs_code" in str(info.value) and "truncate" in str(info.value)
    assert "84" not in str(info.value).replace("hs_code", "")

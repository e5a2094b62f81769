"""Attacks that try to read pseudonymised values or key material out of errors and reprs."""

from __future__ import annotations

import secrets

import pytest

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.transform import (
    JSONValue,
    OperatorContext,
    OperatorError,
    RecordContext,
    build_operators,
)

SECRET_NAME = "Secret Buyer 4711 Corp"


@pytest.fixture(scope="module")
def key() -> PseudonymKey:
    return PseudonymKey("leak-k1", secrets.token_bytes(32))


def test_operator_and_key_reprs_hold_no_secret(key: PseudonymKey) -> None:
    """Logging the operator set must not print the HMAC key."""
    ops = build_operators(
        {"tok": {"type": "pseudonymise", "domain": "buyer"}}, OperatorContext(key)
    )
    text = repr(ops) + repr(ops.get("tok")) + repr(key)
    assert key.secret.hex() not in text and repr(key.secret) not in text


def test_pseudonymise_error_does_not_echo_the_value(key: PseudonymKey) -> None:
    """A value the operator refuses (a list holding a buyer name, as a broken source mapping
    might produce) must not appear in the error, its diagnostics or its repr."""
    ops = build_operators(
        {"tok": {"type": "pseudonymise", "domain": "buyer"}}, OperatorContext(key)
    )
    operator = ops.get("tok")
    assert operator is not None
    secret_list: JSONValue = [SECRET_NAME]
    with pytest.raises(OperatorError) as info:
        operator.apply(secret_list, RecordContext({"buyer.name": secret_list}, "buyer.name"))
    assert SECRET_NAME not in str(info.value) + info.value.diagnostics() + repr(info.value)

"""Start-up validation of the operators config (gateway.transform.registry)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.errors import ConfigError
from gateway.transform import BUILTIN_NAMES, REGISTRY, OperatorContext, build_operators
from gateway.transform.operators import Band, Pseudonymise, Truncate


def _build(config: dict[str, Any], key: PseudonymKey | None = None) -> Any:
    return build_operators(config, OperatorContext(key))


def test_registry_maps_every_type_name_to_its_class() -> None:
    assert set(REGISTRY) == {"keep", "drop", "pseudonymise", "band", "truncate", "month", "encrypt"}
    assert all(cls.type_name == name for name, cls in REGISTRY.items())


def test_full_config_builds_typed_operators(
    pseudonym_key: PseudonymKey, operators_config: dict[str, Any]
) -> None:
    ops = _build(operators_config, pseudonym_key)
    hs4 = ops.get("hs4")
    assert isinstance(hs4, Truncate) and hs4.digits == 4
    band = ops.get("amount_band")
    assert isinstance(band, Band)
    assert band.edges["USD"] == (Decimal("0"), Decimal("10000"), Decimal("50000"))
    token_op = ops.get("buyer_token")
    assert isinstance(token_op, Pseudonymise) and token_op.domain == "buyer"
    assert list(ops) == sorted(ops.operators)


def test_builtin_names_exist_without_configuration() -> None:
    ops = _build({})
    for name in BUILTIN_NAMES:
        operator = ops.get(name)
        assert operator is not None and operator.type_name == name
    assert "band" not in ops and "truncate" not in ops and "pseudonymise" not in ops


@pytest.mark.parametrize(
    ("config", "must_mention"),
    [
        ({"x": {"type": "rot13"}}, ["operator x", "type"]),
        ({"x": {}}, ["operator x", "type"]),
        ({"x": {"type": 7}}, ["operator x", "type"]),
        ({"x": "keep"}, ["operator x"]),
        ({"Bad-Name": {"type": "keep"}}, ["operator names"]),
        ({"keep": {"type": "drop"}}, ["operator keep", "built-in"]),
        ({"hs": {"type": "truncate"}}, ["operator hs", "digits"]),
        ({"hs": {"type": "truncate", "digits": 1}}, ["operator hs", "digits"]),
        ({"hs": {"type": "truncate", "digits": 11}}, ["operator hs", "digits"]),
        ({"hs": {"type": "truncate", "digits": "4"}}, ["operator hs", "digits"]),
        ({"hs": {"type": "truncate", "digits": True}}, ["operator hs", "digits"]),
        ({"hs": {"type": "truncate", "digits": 4, "pad": 1}}, ["operator hs", "pad"]),
        ({"m": {"type": "month", "format": "x"}}, ["operator m", "format"]),
        ({"b": {"type": "band"}}, ["operator b", "edges"]),
        ({"b": {"type": "band", "edges": {}}}, ["operator b", "edges"]),
        ({"b": {"type": "band", "edges": {"USD": []}}}, ["operator b", "edges"]),
        ({"b": {"type": "band", "edges": {"USD": [0.5, 1]}}}, ["operator b", "edges", "float"]),
        ({"b": {"type": "band", "edges": {"USD": ["10", "5"]}}}, ["operator b", "ascending"]),
        ({"b": {"type": "band", "edges": {"USD": ["5", "5"]}}}, ["operator b", "ascending"]),
        ({"b": {"type": "band", "edges": {"USD": ["-1", "5"]}}}, ["operator b", "non-negative"]),
        ({"b": {"type": "band", "edges": {"USD": ["NaN"]}}}, ["operator b", "edges"]),
        ({"b": {"type": "band", "edges": {"XYZ": ["0"]}}}, ["operator b", "ISO 4217"]),
        ({"b": {"type": "band", "edges": {"KRW": ["0", "0.5"]}}}, ["operator b", "edges"]),
        ({"b": {"type": "band", "edges": {"USD": ["0", "x"]}}}, ["operator b", "edges"]),
    ],
)
def test_bad_config_is_refused_at_start_up(config: dict[str, Any], must_mention: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        _build(config)
    for text in must_mention:
        assert text in str(info.value)


@pytest.mark.parametrize(
    "domain", ["", "Buyer", "1buyer", "buyer-name", "b" * 33, "büyer", "buyer\n"]
)
def test_bad_pseudonym_domain_is_refused(pseudonym_key: PseudonymKey, domain: str) -> None:
    with pytest.raises(ConfigError, match="operator tok: parameter domain"):
        _build({"tok": {"type": "pseudonymise", "domain": domain}}, pseudonym_key)


def test_config_errors_do_not_echo_parameter_values(pseudonym_key: PseudonymKey) -> None:
    canary = "CanaryDomainValue9"
    with pytest.raises(ConfigError) as info:
        _build({"tok": {"type": "pseudonymise", "domain": canary}}, pseudonym_key)
    assert canary not in str(info.value)
    assert canary not in info.value.diagnostics()


def test_pseudonymise_without_a_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="operator tok: pseudonymise needs"):
        _build({"tok": {"type": "pseudonymise", "domain": "buyer"}})


def test_band_params_are_exact_and_frozen() -> None:
    ops = _build({"b": {"type": "band", "edges": {"USD": [0, "0.10", "1E+4"]}}})
    band = ops.get("b")
    assert isinstance(band, Band)
    assert band.edges["USD"] == (Decimal(0), Decimal("0.1"), Decimal(10000))
    params = Band.Params.model_validate({"edges": {"USD": ["1"]}})
    with pytest.raises(Exception, match="frozen"):
        params.edges = {}


@pytest.mark.parametrize("config", [[("keep", {"type": "keep"})], "keep", None])
def test_config_must_be_an_object(config: Any) -> None:
    with pytest.raises(ConfigError, match="operators config must be an object"):
        _build(config)

"""The insurer configuration's hub fields and exposure limits, read from real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.crypto import PaillierPrivateKey, SigningKey, dump_signing_key, generate_signing_key
from gateway.errors import ConfigError
from gateway.examples.insurer_api import load_config
from gateway.examples.insurer_api.config import to_minor
from gateway.sign import build_jwks

SECRET_LIMIT = "98765432.10"


@pytest.fixture(scope="module")
def hub_key() -> SigningKey:
    return generate_signing_key()


def _write(tmp_path: Path, paillier: PaillierPrivateKey, hub_key: SigningKey,
           **extra: Any) -> Path:
    (tmp_path / "receipt.pem").write_bytes(dump_signing_key(generate_signing_key(), None))
    (tmp_path / "paillier.json").write_text(json.dumps(paillier.to_document()), "utf-8")
    for name in ("receipt.pem", "paillier.json"):
        (tmp_path / name).chmod(0o600)
    (tmp_path / "hub.jwks.json").write_text(json.dumps(build_jwks([hub_key])), "utf-8")
    path = tmp_path / "insurer.json"
    path.write_text(json.dumps({
        "insurer_id": "insurer-x", "receipt_key": "receipt.pem",
        "paillier_private_key": "paillier.json", "gateways": {}, "state_path": "state.db",
        **extra,
    }), encoding="utf-8")
    return path


def test_hub_and_limits_are_read_in_minor_units(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    config = load_config(_write(
        tmp_path, paillier_keypair, hub_key, hub_id="hub-1", hub_jwks="hub.jwks.json",
        hub_min_k=4,
        limits={"per_buyer": {"EUR": "2500000.50", "JPY": 300000000},
                "per_country": {"KWD": "1.005"}},
    ))
    assert (config.hub_id, config.hub_min_k) == ("hub-1", 4)
    assert config.hub_jwks == build_jwks([hub_key])
    assert dict(config.limits.per_buyer) == {"EUR": 250_000_050, "JPY": 300_000_000}
    assert dict(config.limits.per_country) == {"KWD": 1_005}


def test_without_hub_fields_the_insurer_has_no_hub(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    config = load_config(_write(tmp_path, paillier_keypair, hub_key))
    assert config.hub_id is None and config.hub_jwks is None and config.hub_min_k == 3
    assert dict(config.limits.per_buyer) == {} and dict(config.limits.per_country) == {}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"hub_id": "hub-1"}, "hub_id and hub_jwks go together"),
        ({"hub_id": "hub-1", "hub_jwks": "hub.jwks.json", "hub_min_k": 1}, "hub_min_k"),
        ({"limits": {"per_buyer": {"EUR": 98765432.1}}}, "limits.per_buyer.EUR"),
        ({"limits": {"per_buyer": {"EUR": SECRET_LIMIT + "1"}}}, "more decimals than EUR"),
        ({"limits": {"per_country": {"XAU": "1"}}}, "not an ISO 4217 currency"),
        ({"limits": {"per_country": {"USD": "-" + SECRET_LIMIT}}}, "zero or more"),
        ({"limits": {"per_country": {"USD": "lots " + SECRET_LIMIT}}}, "not a decimal"),
        ({"limits": {"per_region": {}}}, "limits.per_region"),
    ],
)
def test_bad_hub_or_limit_settings_are_refused_without_echoing_values(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey,
    extra: dict[str, Any], reason: str,
) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        load_config(_write(tmp_path, paillier_keypair, hub_key, **extra))
    assert SECRET_LIMIT not in str(caught.value) and "98765432" not in str(caught.value)


def test_to_minor_is_exact() -> None:
    assert to_minor("0.01", "USD", "x") == 1
    assert to_minor(" 12 ", "JPY", "x") == 12
    assert to_minor("7.000", "JPY", "x") == 7  # zeros after the point are no decimals
    assert to_minor("1E3", "USD", "x") == 100_000
    with pytest.raises(ConfigError, match="digits before the point"):
        to_minor("1E40", "USD", "x")
    assert to_minor("123456789012345678901234567890.12", "EUR", "x") == (
        12345678901234567890123456789012
    )

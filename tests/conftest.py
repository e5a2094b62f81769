"""Shared fixtures: real keys generated once per test session.

Paillier keys are 2048 bits here (the minimum the gateway accepts) to keep the suite fast; the
3072-bit default is exercised by one test marked ``slow``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    SigningKey,
    encrypt_bucket_totals,
    generate_paillier_keypair,
    generate_signing_key,
)

# A background obfuscator process for every test gateway's insurer key would keep a core busy
# through the whole suite; the suite computes obfuscators when needed, and
# tests/integration/test_encryption_pool.py syncs with the pool and with DJN obfuscators.
os.environ.setdefault("GATEWAY_ENCRYPTION__POOL_SIZE", "0")

#: ``iat`` of the sample submission; tests verify with ``now=payload["iat"]``.
SAMPLE_IAT = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="session")
def paillier_keypair() -> PaillierPrivateKey:
    """A 2048-bit Paillier private key (its public key is ``.public_key``)."""
    return generate_paillier_keypair(2048)


@pytest.fixture(scope="session")
def paillier_public_key(paillier_keypair: PaillierPrivateKey) -> PaillierPublicKey:
    """The public half of :func:`paillier_keypair`."""
    return paillier_keypair.public_key


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """A fresh Ed25519 gateway signing key."""
    return generate_signing_key()


@pytest.fixture(scope="session")
def sample_ciphertexts(paillier_public_key: PaillierPublicKey) -> list[str]:
    """Ciphertexts of the sample bucket totals 1,250,000 and 730,050 (minor units)."""
    return encrypt_bucket_totals(paillier_public_key, [1_250_000, 730_050])


@pytest.fixture
def submission_payload(
    paillier_public_key: PaillierPublicKey, sample_ciphertexts: list[str]
) -> dict[str, Any]:
    """A valid ``ecg.submission/1`` payload dict (a fresh copy per test)."""
    return {
        "schema": "ecg.submission/1",
        "jti": "sub_" + "0123456789abcdef" * 2,
        "iss": "exporter-kr-001",
        "aud": "insurer-ksure",
        "iat": SAMPLE_IAT,
        "policy": {"version": "ab" * 32, "name": "default"},
        "batch": {"run_id": "run_" + "fedcba9876543210" * 2, "sequence": 0, "final": True},
        "attachments": [
            {
                "invoice_number": "INV-2026-0001",
                "buyer.token": "pby_psk-20260101-a1b2c3_4f9d",
                "buyer.country": "US",
                "amount_band": {"currency": "USD", "lower": "10000", "upper": "50000"},
                "tenor_days": 90,
                "insured": True,
                "description": None,
            },
            {
                "invoice_number": "INV-2026-0002",
                "buyer.country": "DE",
                "amount_band": {"currency": "EUR", "lower": "1000000", "upper": None},
            },
        ],
        "exposure": {
            "key_fingerprint": paillier_public_key.fingerprint,
            "encoding": {"unit": "minor", "exponent": 0},
            "buckets": [
                {
                    "key": {
                        "buyer": "pby_psk-20260101-a1b2c3_4f9d",
                        "country": "US",
                        "currency": "USD",
                        "maturity_month": "2026-04",
                    },
                    "records": 3,
                    "ciphertext": sample_ciphertexts[0],
                },
                {
                    "key": {
                        "buyer": "*",
                        "country": "DE",
                        "currency": "EUR",
                        "maturity_month": "*",
                    },
                    "records": 5,
                    "ciphertext": sample_ciphertexts[1],
                },
            ],
            "suppressed_records": 1,
        },
        "ledger": {"seq": 6, "hash": "7e" * 32},
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="session")
def forge_jws(signing_key: SigningKey) -> Callable[..., str]:
    """Build a compact JWS from arbitrary header and payload bytes, really signed (Ed25519).

    For attack tests: it bypasses every rule of the gateway's signer, so what the verifier
    refuses is refused for its content, not for a bad signature.
    """

    def forge(header: dict[str, Any] | bytes, payload: bytes, key: SigningKey = signing_key) -> str:
        header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
        signing_input = f"{_b64(header_bytes)}.{_b64(payload)}"
        signature = key.jws_key().sign(signing_input.encode("ascii"))
        return f"{signing_input}.{_b64(signature)}"

    return forge

"""Fixtures for tests that run the reference insurer over real loopback HTTP.

Keys are real: the session's 2048-bit Paillier keypair, Ed25519 keys generated per session.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from gateway.crypto import (
    PaillierPrivateKey,
    SigningKey,
    encrypt_bucket_totals,
    generate_signing_key,
)
from gateway.examples.insurer_api import (
    InsurerConfig,
    RunningServer,
    create_app,
    serve_in_thread,
)
from gateway.sign import build_jwks, sign_submission
from tests.integration.delivery_harness import h, runtime  # noqa: F401 - fixtures

INSURER_ID = "insurer-test"
EXPORTER_A = "exporter-a"
EXPORTER_B = "exporter-b"
POLICY = {"version": "ab" * 32, "name": "default"}

BucketSpec = tuple[Mapping[str, str], int, int]  # (key, records, total_minor)


@pytest.fixture(scope="session")
def insurer_paillier_key(paillier_keypair: PaillierPrivateKey) -> PaillierPrivateKey:
    """The insurer's key: the session's shared 2048-bit keypair (tests/conftest.py)."""
    return paillier_keypair


@pytest.fixture(scope="session")
def exporter_a_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def exporter_b_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def receipt_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def insurer_config(
    tmp_path: Path,
    insurer_paillier_key: PaillierPrivateKey,
    exporter_a_key: SigningKey,
    exporter_b_key: SigningKey,
    receipt_key: SigningKey,
) -> InsurerConfig:
    return InsurerConfig(
        insurer_id=INSURER_ID,
        receipt_key=receipt_key,
        gateways={
            EXPORTER_A: build_jwks([exporter_a_key]),
            EXPORTER_B: build_jwks([exporter_b_key]),
        },
        paillier_private_key=insurer_paillier_key,
        state_path=tmp_path / "insurer.db",
        max_body_bytes=256 * 1024,
    )


@pytest.fixture
def insurer_server(insurer_config: InsurerConfig) -> Iterator[RunningServer]:
    server = serve_in_thread(create_app(insurer_config))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_submission(
    insurer_paillier_key: PaillierPrivateKey, exporter_a_key: SigningKey
) -> Callable[..., tuple[str, dict[str, Any]]]:
    """Build, encrypt and sign an ``ecg.submission/1``; returns ``(jws, payload)``."""

    def build(
        buckets: Sequence[BucketSpec] = (),
        *,
        attachments: Sequence[dict[str, Any]] = ({"invoice_number": "INV-1"},),
        key: SigningKey = exporter_a_key,
        iss: str = EXPORTER_A,
        aud: str = INSURER_ID,
        jti: str | None = None,
        fingerprint: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        public = insurer_paillier_key.public_key
        exposure = None
        if buckets:
            cts = encrypt_bucket_totals(public, [total for _, _, total in buckets])
            exposure = {
                "key_fingerprint": fingerprint or public.fingerprint,
                "encoding": {"unit": "minor", "exponent": 0},
                "buckets": [
                    {"key": dict(k), "records": n, "ciphertext": ct}
                    for (k, n, _), ct in zip(buckets, cts, strict=True)
                ],
                "suppressed_records": 0,
            }
        payload = {
            "schema": "ecg.submission/1",
            "jti": jti or "sub_" + secrets.token_hex(16),
            "iss": iss,
            "aud": aud,
            "iat": int(time.time()),
            "policy": POLICY,
            "batch": {"run_id": "run_" + secrets.token_hex(16), "sequence": 0, "final": True},
            "attachments": list(attachments),
            "exposure": exposure,
            "ledger": None,
        }
        return sign_submission(payload, key), payload

    return build

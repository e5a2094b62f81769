"""Attack: replaying a submission the insurer already accepted (network retry or an attacker).

The reference insurer (examples/insurer_api) keys each submission by its signed ``jti``: a
replay, before or after a restart, is answered with the original receipt, byte for byte, and
stored, counted and summed once. A replay under another ``Idempotency-Key`` is refused, so a
replay can never create a second record. Real parts: the insurer over loopback HTTP with its
SQLite state, real Ed25519 and Paillier keys.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx

from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import PaillierPrivateKey, SigningKey, encrypt_bucket_totals
from gateway.examples.insurer_api import InsurerConfig, create_app, serve_in_thread
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_receipt

INSURER_ID, EXPORTER_A = "insurer-test", "exporter-a"  # as in tests/integration/conftest.py


def _submission(key: SigningKey, paillier: PaillierPrivateKey) -> tuple[str, dict[str, Any]]:
    public = paillier.public_key
    bucket = {"buyer": "tok_a", "country": "US", "currency": "USD", "maturity_month": "2026-04"}
    payload = {
        "schema": "ecg.submission/1",
        "jti": "sub_" + secrets.token_hex(16),
        "iss": EXPORTER_A,
        "aud": INSURER_ID,
        "iat": int(time.time()),
        "policy": {"version": "ab" * 32, "name": "default"},
        "batch": {"run_id": "run_" + secrets.token_hex(16), "sequence": 0, "final": True},
        "attachments": [{"invoice_number": "INV-1"}],
        "exposure": {
            "key_fingerprint": public.fingerprint,
            "encoding": {"unit": "minor", "exponent": 0},
            "buckets": [
                {
                    "key": bucket,
                    "records": 1,
                    "ciphertext": encrypt_bucket_totals(public, [500])[0],
                }
            ],
            "suppressed_records": 0,
        },
        "ledger": None,
    }
    return sign_submission(payload, key), payload


def _post(base_url: str, jws: str, idempotency_key: str) -> httpx.Response:
    headers = {"Content-Type": "application/jose", "Idempotency-Key": idempotency_key}
    return httpx.post(f"{base_url}/v1/attachments", content=jws.encode(), headers=headers)


def test_verify_replayed_submission_gets_the_original_receipt(
    insurer_config: InsurerConfig,
    exporter_a_key: SigningKey,
    insurer_paillier_key: PaillierPrivateKey,
    receipt_key: SigningKey,
) -> None:
    jws, payload = _submission(exporter_a_key, insurer_paillier_key)
    jti = payload["jti"]
    with serve_in_thread(create_app(insurer_config)) as server:
        first = _post(server.base_url, jws, jti)
        replays = [_post(server.base_url, jws, jti) for _ in range(3)]
        other_key = _post(server.base_url, jws, "sub_" + secrets.token_hex(16))
    with serve_in_thread(create_app(insurer_config)) as server:  # restarted, same state file
        after_restart = _post(server.base_url, jws, jti)
        listed = httpx.get(f"{server.base_url}/v1/submissions").json()
        exposure = httpx.get(f"{server.base_url}/v1/exposure").json()
    assert first.status_code == 201
    receipt = first.json()["receipt"]
    for again in [*replays, after_restart]:
        assert again.status_code == 200
        assert again.json()["receipt"] == receipt
    assert other_key.status_code == 422
    verified = verify_receipt(
        receipt,
        build_jwks([receipt_key]),
        submission_id=jti,
        issuer=INSURER_ID,
        audience=EXPORTER_A,
    )
    assert verified.payload.payload_sha256 == sha256_hex(canonical_json(payload))
    assert [row["submission_id"] for row in listed] == [jti]
    assert [row["total_minor"] for row in exposure] == [500]

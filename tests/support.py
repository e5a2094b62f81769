"""Building blocks several test modules share (imported as ``tests.support``)."""

from __future__ import annotations

import base64
import json
import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from gateway.adapters.policy_files import builtin_policy
from gateway.booking import ReconcileSetup
from gateway.crypto import PaillierPublicKey, PseudonymKey, SigningKey
from gateway.model import Buyer, ExportRecord, PaymentMethod
from gateway.pipeline import Runtime
from gateway.policy.engine import RegoEngine
from gateway.sign import build_jwks
from gateway.transform import OperatorContext, build_operators


def default_policy_runtime(
    *,
    exporter_id: str,
    insurer_id: str,
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    receipt_key: SigningKey,
    reconcile: ReconcileSetup | None = None,
) -> Runtime:
    """A runtime on the built-in default policy (real regopy engine) with a fresh pseudonym key."""
    engine = RegoEngine(builtin_policy())
    pkey = PseudonymKey("psk-test", os.urandom(32))
    return Runtime(
        exporter_id=exporter_id,
        insurer_id=insurer_id,
        policy_name="default",
        engine=engine,
        operators=build_operators(engine.operators(), OperatorContext(pseudonym_key=pkey)),
        signing_key=signing_key,
        pseudonym_key=pkey,
        paillier_public_key=paillier_public_key,
        receipt_jwks=build_jwks([receipt_key]),
        reconcile=reconcile,
    )


def unit_record(
    i: int, *, currency: str = "USD", country: str = "US", buyer: str = "Acme"
) -> ExportRecord:
    """The ``i``-th of a run of open-account invoices the default policy attaches (shipped over
    five days from 2026-05-01, due 60 days later)."""
    ship = date(2026, 5, 1) + timedelta(days=i % 5)
    return ExportRecord(
        source_ref=f"unit.csv:{i + 2}",
        invoice_number=f"INV-{i}",
        invoice_date=ship,
        shipment_date=ship,
        buyer=Buyer(name=buyer, country=country),
        currency=currency,
        amount=Decimal("1000.50") + i,
        payment_method=PaymentMethod.OA,
        due_date=ship + timedelta(days=60),
        hs_code="847130",
    )


#: ``iat`` of the sample receipt (tests/conftest.py's sample submission uses the same instant).
SAMPLE_IAT = 1_767_225_600


def sample_receipt(ledger: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid ``ecg.receipt/1`` payload (a fresh copy per call)."""
    return {
        "schema": "ecg.receipt/1",
        "jti": "rcpt_" + "1" * 32,
        "iss": "insurer-ksure",
        "aud": "exporter-kr-001",
        "iat": SAMPLE_IAT,
        "submission_id": "sub_" + "0123456789abcdef" * 2,
        "payload_sha256": "cd" * 32,
        "status": "accepted",
        "attachments": 2,
        "buckets": 2,
        "ledger": ledger,
    }


def jws_payload(jws: str) -> dict[str, Any]:
    """The payload of a compact JWS, decoded without verification (tests read what was sent)."""
    segment = jws.split(".")[1]
    doc: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return doc

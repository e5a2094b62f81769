"""Building blocks several test modules share (imported as ``tests.support``)."""

from __future__ import annotations

import os

from gateway.adapters.policy_files import builtin_policy
from gateway.booking import ReconcileSetup
from gateway.crypto import PaillierPublicKey, PseudonymKey, SigningKey
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

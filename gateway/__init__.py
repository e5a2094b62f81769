"""Exporter-side data-sovereignty gateway for export credit insurance.

The public API is re-exported here (sorted ``__all__``, frozen by ``tests/unit/test_public_api.py``)
and loaded lazily, so ``import gateway.errors`` stays cheap and importing the package builds
nothing. The verification function is ``gateway.verify.verify`` (also exported here as
``verify_submission``): a top-level ``verify`` would shadow the ``gateway.verify`` subpackage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from gateway.account import SyncResult
    from gateway.crypto import (
        PaillierPrivateKey,
        PaillierPublicKey,
        PseudonymKey,
        SigningKey,
        encrypt_bucket_totals,
        generate_paillier_keypair,
        generate_signing_key,
    )
    from gateway.errors import (
        AccountingError,
        CiphertextError,
        ConfigError,
        CryptoError,
        DeliveryError,
        GatewayError,
        KeyMaterialError,
        PaillierKeyError,
        PolicyError,
        RecordError,
        SourceError,
        StoreError,
        VerificationError,
    )
    from gateway.ingest import ColumnMapping, Quarantined
    from gateway.limits import Limits
    from gateway.model import Buyer, ExportRecord, LineItem
    from gateway.pipeline import Pipeline, PreviewRow, Runtime
    from gateway.policy import Decision, PolicyBundle, RegoEngine
    from gateway.runtime import build_runtime
    from gateway.settings import Settings, get_settings, load_settings
    from gateway.sign import build_jwks, sign_submission
    from gateway.store import SqliteStore, Store
    from gateway.verify import (
        VerifiedReceipt,
        VerifiedSubmission,
        verify_receipt,
        verify_submission,
    )

_ORIGIN: dict[str, str] = {
    **dict.fromkeys(
        (
            "PaillierPrivateKey",
            "PaillierPublicKey",
            "PseudonymKey",
            "SigningKey",
            "encrypt_bucket_totals",
            "generate_paillier_keypair",
            "generate_signing_key",
        ),
        "gateway.crypto",
    ),
    **dict.fromkeys(
        (
            "AccountingError",
            "CiphertextError",
            "ConfigError",
            "CryptoError",
            "DeliveryError",
            "GatewayError",
            "KeyMaterialError",
            "PaillierKeyError",
            "PolicyError",
            "RecordError",
            "SourceError",
            "StoreError",
            "VerificationError",
        ),
        "gateway.errors",
    ),
    **dict.fromkeys(("ColumnMapping", "Quarantined"), "gateway.ingest"),
    "Limits": "gateway.limits",
    **dict.fromkeys(("Buyer", "ExportRecord", "LineItem"), "gateway.model"),
    **dict.fromkeys(("Pipeline", "PreviewRow", "Runtime"), "gateway.pipeline"),
    "SyncResult": "gateway.account",
    **dict.fromkeys(("Decision", "PolicyBundle", "RegoEngine"), "gateway.policy"),
    "build_runtime": "gateway.runtime",
    **dict.fromkeys(("Settings", "get_settings", "load_settings"), "gateway.settings"),
    **dict.fromkeys(("build_jwks", "sign_submission"), "gateway.sign"),
    **dict.fromkeys(("SqliteStore", "Store"), "gateway.store"),
    **dict.fromkeys(
        ("VerifiedReceipt", "VerifiedSubmission", "verify_receipt", "verify_submission"),
        "gateway.verify",
    ),
}

__all__ = [
    "AccountingError",
    "Buyer",
    "CiphertextError",
    "ColumnMapping",
    "ConfigError",
    "CryptoError",
    "Decision",
    "DeliveryError",
    "ExportRecord",
    "GatewayError",
    "KeyMaterialError",
    "Limits",
    "LineItem",
    "PaillierKeyError",
    "PaillierPrivateKey",
    "PaillierPublicKey",
    "Pipeline",
    "PolicyBundle",
    "PolicyError",
    "PreviewRow",
    "PseudonymKey",
    "Quarantined",
    "RecordError",
    "RegoEngine",
    "Runtime",
    "Settings",
    "SigningKey",
    "SourceError",
    "SqliteStore",
    "Store",
    "StoreError",
    "SyncResult",
    "VerificationError",
    "VerifiedReceipt",
    "VerifiedSubmission",
    "build_jwks",
    "build_runtime",
    "encrypt_bucket_totals",
    "generate_paillier_keypair",
    "generate_signing_key",
    "get_settings",
    "load_settings",
    "sign_submission",
    "verify_receipt",
    "verify_submission",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _ORIGIN.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

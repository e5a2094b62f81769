"""The public API of ``gateway`` is a sorted, frozen ``__all__`` (STYLE.md item 5).

Changing the list is a deliberate act: update ``EXPECTED`` here and the CHANGELOG together.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from importlib.metadata import version

import pytest

import gateway

EXPECTED = [
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


def test_all_is_frozen() -> None:
    assert gateway.__all__ == EXPECTED


def test_all_is_sorted_and_unique() -> None:
    assert gateway.__all__ == sorted(set(gateway.__all__))


@pytest.mark.parametrize("name", EXPECTED)
def test_every_public_name_resolves_to_the_object_of_its_home_module(name: str) -> None:
    value = getattr(gateway, name)
    home = inspect.getmodule(value)
    assert home is not None and home.__name__.startswith("gateway.")
    assert not name.startswith("_")
    origin = importlib.import_module(gateway._ORIGIN[name])
    assert getattr(origin, name) is value


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from gateway import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == EXPECTED


def test_errors_form_one_tree() -> None:
    errors = [getattr(gateway, n) for n in EXPECTED if n.endswith("Error")]
    assert gateway.GatewayError in errors
    assert all(issubclass(e, gateway.GatewayError) for e in errors)


def test_unknown_attributes_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = gateway.no_such_name


def test_the_verify_subpackage_is_not_shadowed() -> None:
    """``gateway.verify.verify(jws, jwks, key)`` (README) keeps working: the subpackage wins."""
    import gateway.verify as verify_package

    assert inspect.ismodule(gateway.verify)
    assert verify_package.verify is gateway.verify_submission


def test_importing_the_package_builds_and_loads_nothing_heavy() -> None:
    """Importing ``gateway`` stays cheap: the stages load on first use of a name."""
    code = (
        "import sys, gateway, gateway.errors;"
        "heavy = [m for m in ('regopy', 'phe', 'httpx', 'sqlalchemy', 'fastapi',"
        " 'gateway.pipeline') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_the_version_is_the_distribution_version() -> None:
    assert gateway.__version__ == version("export-credit-gateway")

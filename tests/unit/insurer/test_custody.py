"""The key custodian decrypts verified releases and verified submissions, and nothing else."""

from __future__ import annotations

import json
import time

import pytest

from gateway.crypto import PaillierPrivateKey, SigningKey, generate_signing_key
from gateway.examples.insurer_api.custody import KeyCustodian
from gateway.hub.release import verify_release
from gateway.sign import build_jwks, sign_submission
from gateway.verify import verify_submission
from tests.unit.insurer.release_kit import (
    BUYER_A,
    BUYER_B,
    INSURER_ID,
    signed_release,
)


@pytest.fixture(scope="module")
def hub_key() -> SigningKey:
    return generate_signing_key()


def test_release_totals_are_the_sums_over_exporters(
    paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    public = paillier_keypair.public_key
    jws = signed_release(public, hub_key, "2026-05", {
        (BUYER_A, "DE", "EUR", "2026-09"): {"exp-1": 100, "exp-2": 250, "exp-3": 1_000_000},
        (BUYER_B, "DE", "EUR", "2026-09"): {"exp-1": 7},                      # below k: folded
        (BUYER_B, "DE", "EUR", "2026-10"): {"exp-2": 8, "exp-3": 9},          # below k: folded
        (BUYER_B, "FR", "EUR", "2026-10"): {"exp-2": 5},                      # suppressed
    })
    verified = verify_release(jws, hub_jwks=build_jwks([hub_key]), insurer_id=INSURER_ID,
                              paillier=public, now=int(time.time()))
    release = KeyCustodian(paillier_keypair, min_k=3).decrypt_release(verified)
    assert [(b.buyer, b.country, b.contributors, b.total_minor) for b in release.buckets] == [
        (BUYER_A, "DE", 3, 1_000_350)
    ]
    assert [(r.country, r.contributors, r.buckets, r.total_minor)
            for r in release.remainders] == [("DE", 3, 2, 24)]
    assert release.suppressed_buckets == 1
    assert (release.period, release.k, release.sha256) == ("2026-05", 3, verified.sha256)


def test_submission_exposure_adds_ciphertexts_per_key_across_submissions(
    paillier_keypair: PaillierPrivateKey, submission_payload: dict[str, object],
    signing_key: SigningKey,
) -> None:
    jwks = build_jwks([signing_key])
    first = verify_submission(sign_submission(submission_payload, signing_key), jwks,
                              paillier_keypair.public_key)
    custodian = KeyCustodian(paillier_keypair)
    one = custodian.decrypt_submission_exposure(first)
    assert {json.loads(k)["currency"]: v for k, v in one.items()} == {
        "USD": 1_250_000, "EUR": 730_050
    }
    both = custodian.decrypt_submission_exposure(first, first)
    assert {json.loads(k)["currency"]: v for k, v in both.items()} == {
        "USD": 2_500_000, "EUR": 1_460_100
    }


def test_custodian_shows_only_its_fingerprint(paillier_keypair: PaillierPrivateKey) -> None:
    custodian = KeyCustodian(paillier_keypair)
    assert repr(custodian) == f"KeyCustodian(fingerprint={paillier_keypair.fingerprint!r}, min_k=2)"
    assert str(paillier_keypair.p) not in repr(custodian)
    assert custodian.public_key == paillier_keypair.public_key
    public = [name for name in dir(custodian) if not name.startswith("_")]
    assert public == ["decrypt_release", "decrypt_submission_exposure", "fingerprint", "min_k",
                      "public_key"]


def test_min_k_must_be_at_least_two(paillier_keypair: PaillierPrivateKey) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        KeyCustodian(paillier_keypair, min_k=1)
    with pytest.raises(TypeError):
        KeyCustodian(paillier_keypair.public_key)  # type: ignore[arg-type]


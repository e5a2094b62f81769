"""Attacks on the insurer's side of the hub: forged, misdirected, replayed or tampered releases,
releases that break the k rule, ways around the key custodian, hostile ids on the page.

Every refused release must leave the insurer's state as it was: no period, no totals.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import gateway.examples.insurer_api as insurer_package
from gateway.crypto import (
    PaillierPrivateKey,
    SigningKey,
    encrypt_bucket_totals,
    generate_signing_key,
)
from gateway.errors import VerificationError
from gateway.examples.insurer_api import InsurerConfig, RunningServer, create_app, serve_in_thread
from gateway.examples.insurer_api.custody import KeyCustodian
from gateway.examples.insurer_api.state import InsurerState
from gateway.hub.release import VerifiedRelease, verify_release
from gateway.sign import build_jwks
from tests.unit.insurer.release_kit import (
    BUYER_A,
    BUYER_B,
    INSURER_ID,
    decrypted,
    hub_insurer_config,
    payload_of,
    resign,
    signed_release,
    tamper,
    three,
)

JOSE = {"Content-Type": "application/jose"}
CONTRIBUTIONS = {
    (BUYER_A, "DE", "EUR", "2026-09"): three(1_000_000),
    (BUYER_B, "FR", "EUR", "2026-09"): three(25_000),
}


@pytest.fixture(scope="module")
def hub_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def receipt_key() -> SigningKey:  # shadows the shared fixture: this module's own key
    return generate_signing_key()


@pytest.fixture
def config(tmp_path: Path, paillier_keypair: PaillierPrivateKey, receipt_key: SigningKey,
           hub_key: SigningKey) -> InsurerConfig:
    return hub_insurer_config(tmp_path, paillier_keypair, receipt_key, hub_key)


@pytest.fixture
def server(config: InsurerConfig) -> Iterator[RunningServer]:
    with serve_in_thread(create_app(config)) as running:
        yield running


@pytest.fixture
def good(paillier_keypair: PaillierPrivateKey, hub_key: SigningKey) -> str:
    return signed_release(paillier_keypair.public_key, hub_key, "2026-05", CONTRIBUTIONS)


def _post(server: RunningServer, jws: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/hub-releases", content=jws, headers=JOSE)


def _refused(server: RunningServer, config: InsurerConfig, jws: str, status: int,
             code: str = "verification_failed") -> None:
    response = _post(server, jws)
    assert response.status_code == status, response.text
    assert response.json() == {"error": code, "detail": response.json()["detail"]}
    assert jws[:60] not in response.text and BUYER_A not in response.text
    assert InsurerState(config.state_path).released_periods() == []
    report = httpx.get(f"{server.base_url}/v1/portfolio/report")
    assert report.status_code == 404


def test_release_signed_by_a_key_that_is_not_the_hubs_is_refused(
    server: RunningServer, config: InsurerConfig, paillier_keypair: PaillierPrivateKey
) -> None:
    forged = signed_release(paillier_keypair.public_key, generate_signing_key(), "2026-05",
                            CONTRIBUTIONS)
    _refused(server, config, forged, 401)


def test_release_addressed_to_another_insurer_is_refused(
    server: RunningServer, config: InsurerConfig, paillier_keypair: PaillierPrivateKey,
    hub_key: SigningKey,
) -> None:
    other = signed_release(paillier_keypair.public_key, hub_key, "2026-05", CONTRIBUTIONS,
                           insurer_id=INSURER_ID + "-other")
    _refused(server, config, other, 401)


def test_release_claiming_another_hub_is_refused(
    server: RunningServer, config: InsurerConfig, paillier_keypair: PaillierPrivateKey,
    hub_key: SigningKey,
) -> None:
    other = signed_release(paillier_keypair.public_key, hub_key, "2026-05", CONTRIBUTIONS,
                           hub_id="hub-impostor")
    _refused(server, config, other, 401)


@pytest.mark.parametrize("change", ["contributors", "ciphertext", "period", "k"])
def test_tampered_release_is_refused(
    server: RunningServer, config: InsurerConfig, good: str, change: str
) -> None:
    payload = payload_of(good)
    bucket = dict(payload["buckets"][0])
    if change in ("contributors", "ciphertext"):
        other = dict(payload["buckets"][1])
        bucket[change] = other[change] if change == "ciphertext" else bucket[change] + 1
        forged = tamper(good, buckets=[bucket, *payload["buckets"][1:]])
    else:
        forged = tamper(good, **{change: "2026-06" if change == "period" else 2})
    _refused(server, config, forged, 401)


def test_replayed_release_is_answered_once_and_never_counted_twice(
    server: RunningServer, config: InsurerConfig, good: str
) -> None:
    first = _post(server, good)
    replays = [_post(server, good) for _ in range(3)]
    assert first.status_code == 201
    assert {r.status_code for r in replays} == {200}
    assert {r.json()["receipt"] for r in replays} == {first.json()["receipt"]}
    report = httpx.get(f"{server.base_url}/v1/portfolio/report").json()
    assert report["currencies"][0]["total_minor"] == 3_075_000


def test_second_release_for_a_released_period_is_refused_without_changing_totals(
    server: RunningServer, config: InsurerConfig, good: str,
    paillier_keypair: PaillierPrivateKey, hub_key: SigningKey,
) -> None:
    """The differencing attack: two releases of one period would reveal their difference."""
    assert _post(server, good).status_code == 201
    bigger = dict(CONTRIBUTIONS)
    bigger[(BUYER_A, "DE", "EUR", "2026-09")] = {**three(1_000_000), "exp-4": 9}
    second = signed_release(paillier_keypair.public_key, hub_key, "2026-05", bigger)
    assert _post(server, second).status_code == 409
    report = httpx.get(f"{server.base_url}/v1/portfolio/report").json()
    assert report["currencies"][0]["total_minor"] == 3_075_000


def test_release_under_another_paillier_key_is_refused(
    server: RunningServer, config: InsurerConfig, good: str, hub_key: SigningKey
) -> None:
    other_key = {"fingerprint": "sha256:" + "ab" * 32}
    _refused(server, config, resign(good, hub_key, paillier=other_key), 401)


def test_release_with_k_below_the_insurers_minimum_is_refused(
    server: RunningServer, config: InsurerConfig, paillier_keypair: PaillierPrivateKey,
    hub_key: SigningKey,
) -> None:
    two = {(BUYER_A, "DE", "EUR", "2026-09"): {"exp-1": 5, "exp-2": 6}}
    weak = signed_release(paillier_keypair.public_key, hub_key, "2026-05", two, k=2)
    _refused(server, config, weak, 422, "release_refused")


def _verified(paillier_keypair: PaillierPrivateKey, hub_key: SigningKey, jws: str
              ) -> VerifiedRelease:
    return verify_release(jws, hub_jwks=build_jwks([hub_key]), insurer_id=INSURER_ID,
                          paillier=paillier_keypair.public_key, now=int(time.time()))


def test_custodian_refuses_a_release_with_a_bucket_below_k_that_skipped_the_verifier(
    paillier_keypair: PaillierPrivateKey, hub_key: SigningKey, good: str
) -> None:
    real = _verified(paillier_keypair, hub_key, good)
    lone = dataclasses.replace(real.buckets[0], contributors=1)
    with pytest.raises(VerificationError, match="fewer than k"):
        KeyCustodian(paillier_keypair).decrypt_release(
            dataclasses.replace(real, buckets=(lone, *real.buckets[1:]))
        )
    weak_k = dataclasses.replace(real, k=2)
    with pytest.raises(VerificationError, match="below this insurer's minimum"):
        KeyCustodian(paillier_keypair, min_k=3).decrypt_release(weak_k)


def test_custodian_refuses_a_release_under_another_key(
    paillier_keypair: PaillierPrivateKey, hub_key: SigningKey, good: str
) -> None:
    real = _verified(paillier_keypair, hub_key, good)
    with pytest.raises(VerificationError, match="another Paillier key"):
        KeyCustodian(paillier_keypair).decrypt_release(
            dataclasses.replace(real, fingerprint="sha256:" + "cd" * 32)
        )


def test_custodian_offers_no_way_to_decrypt_a_plain_ciphertext(
    paillier_keypair: PaillierPrivateKey, hub_key: SigningKey, good: str
) -> None:
    custodian = KeyCustodian(paillier_keypair)
    (ciphertext,) = encrypt_bucket_totals(paillier_keypair.public_key, [424_242])
    for method in (custodian.decrypt_release, custodian.decrypt_submission_exposure):
        for value in (ciphertext, int.from_bytes(ciphertext.encode()), [ciphertext], None):
            with pytest.raises(TypeError):
                method(value)  # type: ignore[arg-type]
    real = _verified(paillier_keypair, hub_key, good)
    duck = SimpleNamespace(**{f.name: getattr(real, f.name) for f in dataclasses.fields(real)})
    with pytest.raises(TypeError):
        custodian.decrypt_release(duck)  # type: ignore[arg-type]

    class Lookalike(VerifiedRelease):
        pass

    with pytest.raises(TypeError):
        custodian.decrypt_release(Lookalike(**{f.name: getattr(real, f.name)
                                              for f in dataclasses.fields(real)}))
    assert not hasattr(custodian, "decrypt") and not hasattr(custodian, "private_key")
    for name in dir(custodian):
        if not name.startswith("_"):
            assert not isinstance(getattr(custodian, name), PaillierPrivateKey), name
    with pytest.raises(TypeError):
        pickle.dumps(custodian)


def test_only_the_custodian_decrypts_in_the_insurer_example() -> None:
    package = Path(insurer_package.__file__).parent
    callers = sorted(p.name for p in package.glob("*.py")
                     if re.search(r"\.decrypt\(", p.read_text(encoding="utf-8")))
    assert callers == ["custody.py"]


def test_portfolio_page_escapes_hostile_buyer_ids(
    server: RunningServer, config: InsurerConfig
) -> None:
    """The release schema refuses such ids; the state is written directly here to show the
    page does not depend on that: a tampered state file still cannot inject markup."""
    hostile = [('ic:<script>alert(1)</script>', "DE", "EUR", 500),
               ('cp:p1.x."><svg onload=alert(2)>', "FR", "EUR", 400),
               ("ic:A&B'\"", "US", "EUR", 300)]
    InsurerState(config.state_path).accept_release(
        decrypted("2026-05", hostile), "jws", lambda: ("rcpt_" + "0" * 32, "receipt")
    )
    page = httpx.get(f"{server.base_url}/portfolio").text
    assert "<script" not in page and "<svg onload" not in page and "A&B'" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A&amp;B&#x27;&quot;" in page


def test_release_errors_do_not_echo_the_request(
    server: RunningServer, good: str
) -> None:
    response = httpx.post(f"{server.base_url}/v1/hub-releases",
                          content=good.replace(".", "!", 1), headers=JOSE)
    assert response.status_code == 400
    body: dict[str, Any] = response.json()
    assert good[:20] not in response.text and set(body) == {"error", "detail"}

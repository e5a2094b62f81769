"""Hub releases into the reference insurer and its portfolio report, over real loopback HTTP.

Real parts: the session's 2048-bit Paillier key, Ed25519 hub and receipt keys generated here,
releases built and signed by the hub's own code, the insurer's SQLite state on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.crypto import PaillierPrivateKey, SigningKey, generate_signing_key
from gateway.errors import DeliveryError
from gateway.examples.insurer_api import InsurerConfig, create_app, serve_in_thread
from gateway.examples.insurer_api.portfolio import ExposureLimits
from gateway.examples.insurer_api.releases import RELEASE_RECEIPT_TYP, ReleaseReceiptPayload
from gateway.hub.push import make_push_client, push_release
from gateway.verify.core import parse_payload, verify_signature
from tests.unit.insurer.release_kit import (
    BUYER_A,
    BUYER_B,
    BUYER_C,
    HUB_ID,
    INSURER_ID,
    hub_insurer_config,
    payload_of,
    signed_release,
    three,
)

JOSE = {"Content-Type": "application/jose"}
MAY = {
    (BUYER_A, "DE", "EUR", "2026-09"): three(1_000_000),                 # 30,000.00 EUR
    (BUYER_A, "DE", "EUR", "2026-10"): {"exp-1": 50, "exp-2": 50, "exp-4": 400},
    (BUYER_B, "DE", "EUR", "2026-09"): {"exp-1": 120_000, "exp-2": 1},   # below k: remainder
    (BUYER_C, "DE", "EUR", "2026-11"): {"exp-3": 7_000},                 # below k: remainder
    (BUYER_C, "FR", "EUR", "2026-11"): three(2_000_000),                 # 60,000.00 EUR
    (BUYER_B, "US", "USD", "2026-12"): three(10),
}
APRIL = {
    (BUYER_A, "DE", "EUR", "2026-09"): three(500_000),
    (BUYER_B, "IT", "EUR", "2026-09"): three(1_000),
}


@pytest.fixture(scope="module")
def hub_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def receipt_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def config(tmp_path: Path, paillier_keypair: PaillierPrivateKey, receipt_key: SigningKey,
           hub_key: SigningKey) -> InsurerConfig:
    # buyer A and country FR sit exactly at their limits: within them
    limits = ExposureLimits(per_buyer={"EUR": 3_000_500}, per_country={"EUR": 6_000_000})
    return hub_insurer_config(tmp_path, paillier_keypair, receipt_key, hub_key, limits=limits)


@pytest.fixture
def http(config: InsurerConfig) -> Iterator[httpx.Client]:
    with serve_in_thread(create_app(config)) as server, httpx.Client(
        base_url=server.base_url, timeout=10
    ) as client:
        yield client


def _release(key: PaillierPrivateKey, hub_key: SigningKey, period: str,
             contributions: Any = None) -> str:
    return signed_release(key.public_key, hub_key, period, contributions or MAY)


def _report(http: httpx.Client, period: str) -> dict[str, Any]:
    response = http.get("/v1/portfolio/report", params={"period": period})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_release_gets_a_signed_receipt_and_its_totals_reach_the_report(
    http: httpx.Client, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    jws = _release(paillier_keypair, hub_key, "2026-05")
    response = http.post("/v1/hub-releases", content=jws, headers=JOSE)
    assert response.status_code == 201
    verified = verify_signature(response.json()["receipt"], http.get("/.well-known/jwks.json")
                                .json(), typ=RELEASE_RECEIPT_TYP)
    receipt = parse_payload(verified, ReleaseReceiptPayload, "receipt")
    assert (receipt.iss, receipt.aud, receipt.period, receipt.buckets) == (
        INSURER_ID, HUB_ID, "2026-05", 4
    )
    eur, usd = _report(http, "2026-05")["currencies"]
    assert (eur["total_minor"], usd["total_minor"]) == (9_127_501, 30)
    assert [(b["id"], b["exposure_minor"]) for b in eur["top_buyers"]] == [
        (BUYER_C, 6_000_000), (BUYER_A, 3_000_500), ("other:DE", 127_001)
    ]
    assert eur["top_buyers"][-1]["label"] == "other (2 buckets)"
    assert eur["top_buyers"][0]["label"] == "pseudonymous buyer BBBBBBBB"
    assert [(c["country"], c["remainder_minor"]) for c in eur["countries"]] == [
        ("FR", 0), ("DE", 127_001)
    ]
    assert [(b["scope"], b["id"], b["excess_minor"]) for b in eur["breaches"]] == [
        ("buyer", BUYER_C, 2_999_500)
    ]


def test_the_same_release_twice_gets_the_same_answer_another_one_a_conflict(
    http: httpx.Client, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    jws = _release(paillier_keypair, hub_key, "2026-05")
    first = http.post("/v1/hub-releases", content=jws, headers=JOSE)
    again = http.post("/v1/hub-releases", content=jws + "\n", headers=JOSE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = _release(paillier_keypair, hub_key, "2026-05", {**MAY, **APRIL})
    conflict = http.post("/v1/hub-releases", content=other, headers=JOSE)
    assert conflict.status_code == 409 and conflict.json()["error"] == "period_already_released"
    assert _report(http, "2026-05")["currencies"][0]["total_minor"] == 9_127_501


def test_month_on_month_compares_with_the_previous_released_period(
    http: httpx.Client, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    for period, contributions in (("2026-05", MAY), ("2026-04", APRIL)):  # arrival order
        jws = _release(paillier_keypair, hub_key, period, contributions)
        assert http.post("/v1/hub-releases", content=jws, headers=JOSE).status_code == 201
    may = _report(http, "2026-05")
    assert may["previous_period"] == "2026-04"
    eur = may["currencies"][0]
    assert eur["change"] == {"status": "up", "previous_minor": 1_503_000,
                             "change_minor": 7_624_501, "change_pct": "507.3"}
    changes = {b["id"]: b["change"] for b in eur["top_buyers"]}
    assert changes[BUYER_A] == {"status": "up", "previous_minor": 1_500_000,
                                "change_minor": 1_500_500, "change_pct": "100.0"}
    assert changes[BUYER_C]["status"] == "new"
    assert eur["countries_gone"] == [{"country": "IT", "previous_minor": 3_000}]
    assert may["currencies"][1]["change"]["status"] == "new"
    assert _report(http, "2026-04")["previous_period"] is None


def test_portfolio_page_has_charts_tables_and_a_strict_policy(
    http: httpx.Client, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    jws = _release(paillier_keypair, hub_key, "2026-05")
    http.post("/v1/hub-releases", content=jws, headers=JOSE)
    page = http.get("/portfolio")  # no period: the latest released
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["cache-control"] == "no-store"
    for chart in ('id="buyers-EUR"', 'id="countries-EUR"', 'id="buyers-USD"'):
        assert chart in page.text
    assert "<caption>Top buyers, EUR</caption>" in page.text and "60,000.00" in page.text
    missing = http.get("/portfolio", params={"period": "2026-01"})
    assert missing.status_code == 404 and "No hub release for 2026-01." in missing.text
    bad = http.get("/portfolio", params={"period": "2026-13"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    none = http.get("/v1/portfolio/report", params={"period": "2026-01"})
    assert none.status_code == 404 and none.json()["error"] == "no_release"


def test_releases_survive_a_restart(
    config: InsurerConfig, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    jws = _release(paillier_keypair, hub_key, "2026-05")
    with serve_in_thread(create_app(config)) as server:
        first = httpx.post(f"{server.base_url}/v1/hub-releases", content=jws, headers=JOSE)
    with serve_in_thread(create_app(config)) as server:
        again = httpx.post(f"{server.base_url}/v1/hub-releases", content=jws, headers=JOSE)
        report = httpx.get(f"{server.base_url}/v1/portfolio/report").json()
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and report["period"] == "2026-05"


def test_an_insurer_without_a_hub_accepts_no_release(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, receipt_key: SigningKey,
    hub_key: SigningKey,
) -> None:
    config = hub_insurer_config(tmp_path, paillier_keypair, receipt_key, None)
    with serve_in_thread(create_app(config)) as server:
        response = httpx.post(f"{server.base_url}/v1/hub-releases",
                              content=_release(paillier_keypair, hub_key, "2026-05"),
                              headers=JOSE)
    assert response.status_code == 404 and response.json()["error"] == "hub_not_configured"


def test_the_hubs_push_client_delivers_a_release_once(
    config: InsurerConfig, paillier_keypair: PaillierPrivateKey, hub_key: SigningKey
) -> None:
    jws = _release(paillier_keypair, hub_key, "2026-05")
    release_id = payload_of(jws)["jti"]
    with serve_in_thread(create_app(config)) as server, make_push_client() as client:
        statuses = [push_release(server.base_url, jws, release_id, client=client)
                    for _ in range(2)]
        with pytest.raises(DeliveryError) as refused:
            push_release(server.base_url, jws, "rel_" + "0" * 32, client=client)
    assert statuses == [201, 200]
    assert refused.value.status_code == 422 and not refused.value.retryable


def test_release_body_must_be_a_jose_jws(http: httpx.Client) -> None:
    wrong = http.post("/v1/hub-releases", content=b"{}", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    garbage = http.post("/v1/hub-releases", content=b"not.a.jws\xff", headers=JOSE)
    assert garbage.status_code == 400 and garbage.json()["error"] == "malformed_jws"

"""Request floods against ``gateway serve``: per remote address and per signing identity.

The app runs under uvicorn on loopback with a real SQLite store; limits come from
``ServiceSettings`` set low. A second client address is real: the client binds 127.0.0.2 (the
whole 127/8 block is loopback). The bucket arithmetic is checked with an injected clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.pipeline import Runtime
from gateway.service.ratelimit import RateLimiter
from gateway.settings import ServiceSettings
from tests.security.service_support import ROW, Gateway, build_test_runtime, serve, valid_body

SLOW = 0.001  # tokens per second: nothing refills during a test


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("rate-limits"))


@pytest.fixture
def by_address(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    limits = ServiceSettings(address_rate_per_s=SLOW, address_burst=3)
    with serve(runtime, tmp_path / "gateway.sqlite3", service=limits) as gw:
        yield gw


@pytest.fixture
def by_signer(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    limits = ServiceSettings(signer_rate_per_s=SLOW, signer_burst=2)
    with serve(runtime, tmp_path / "gateway.sqlite3", service=limits) as gw:
        yield gw


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429
    return int(response.headers["Retry-After"])


def test_a_flood_from_one_address_gets_429_with_retry_after(by_address: Gateway) -> None:
    for _ in range(3):
        assert httpx.get(f"{by_address.url}/healthz", timeout=10).status_code == 200
    # the push is refused before its body is read or its signature checked
    assert _retry_after(by_address.post(valid_body())) >= 900
    assert _retry_after(httpx.get(f"{by_address.url}/healthz", timeout=10)) >= 900
    assert by_address.nothing_processed()


def test_another_address_keeps_its_own_allowance(by_address: Gateway) -> None:
    for _ in range(4):
        httpx.get(f"{by_address.url}/healthz", timeout=10)
    assert httpx.get(f"{by_address.url}/healthz", timeout=10).status_code == 429
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport, timeout=10) as other:
        assert other.get(f"{by_address.url}/healthz").status_code == 200


def test_a_flood_of_signed_pushes_gets_429_per_signing_identity(by_signer: Gateway) -> None:
    """Unsigned requests do not spend the identity's tokens: a stranger cannot starve it."""
    for _ in range(5):
        assert by_signer.post(valid_body(), signed=False).status_code == 401
    assert by_signer.post(valid_body()).status_code == 202
    assert by_signer.post(valid_body(source="second")).status_code == 202
    before = by_signer.store.list_submissions()
    assert before, "an accepted push of this row is attached"
    third = json.dumps({"records": [{**ROW, "invoice_no": "EX26-00003"}]}).encode()
    assert _retry_after(by_signer.post(third)) >= 900
    assert by_signer.store.list_submissions() == before


def test_a_bucket_refills_at_its_rate_and_reports_the_wait() -> None:
    now = [100.0]
    limiter = RateLimiter(0.5, 2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0, 0]
    assert limiter.take("a") == 2  # one token takes 2 s at 0.5/s
    assert limiter.take("b") == 0  # another key, another bucket
    now[0] += 1.0
    assert limiter.take("a") == 1
    now[0] += 1.0
    assert limiter.take("a") == 0
    now[0] += 3600.0
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 2]  # capped at the burst


def test_many_distinct_clients_do_not_grow_memory_without_bound() -> None:
    limiter = RateLimiter(SLOW, 1, clock=lambda: 0.0, max_keys=100)
    for i in range(10_000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) == 100

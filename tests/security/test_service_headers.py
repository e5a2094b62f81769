"""Clickjacking, MIME sniffing, referrer leaks and cached answers: the security headers must be on
every answer of ``gateway serve``, successes and refusals alike (app under uvicorn on loopback,
real SQLite store)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.pipeline import Runtime
from gateway.settings import ServiceSettings
from tests.security.service_support import (
    MAX_BODY,
    Gateway,
    build_test_runtime,
    serve,
    valid_body,
)

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("headers"))


@pytest.fixture
def gateway(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    limits = ServiceSettings(address_burst=12, address_rate_per_s=0.001)
    with serve(runtime, tmp_path / "gateway.sqlite3", service=limits) as gw:
        yield gw


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def _secure(response: httpx.Response) -> bool:
    if any(response.headers.get(k) != v for k, v in EXPECTED.items()):
        return False
    csp = _directives(response.headers.get("content-security-policy", ""))
    return csp.get("default-src") == ["'none'"] and csp.get("frame-ancestors") == ["'none'"]


def test_every_answer_carries_the_security_headers(gateway: Gateway) -> None:
    get = lambda path: httpx.get(f"{gateway.url}{path}", timeout=10)  # noqa: E731
    answers = {
        200: [get("/healthz"), get("/.well-known/jwks.json"), get("/v1/submissions"),
              get("/openapi.json")],
        202: [gateway.post(valid_body())],
        401: [gateway.post(valid_body(), signed=False)],
        404: [get("/nowhere")],
        405: [httpx.delete(f"{gateway.url}/v1/records", timeout=10)],
        413: [gateway.post(b" " * (MAX_BODY + 1))],
        422: [get("/v1/submissions?limit=x")],
    }
    answers[429] = [get("/healthz") for _ in range(3)][-1:]
    for status, responses in answers.items():
        for response in responses:
            assert response.status_code == status, (status, response.request.url)
            assert _secure(response), (status, dict(response.headers))


def test_the_api_policy_allows_no_content_at_all(gateway: Gateway) -> None:
    csp = _directives(httpx.get(f"{gateway.url}/healthz", timeout=10).headers[
        "content-security-policy"])
    assert set(csp) == {"default-src", "frame-ancestors", "base-uri", "form-action"}
    assert all(v == ["'none'"] for v in csp.values())


def test_the_docs_page_runs_only_its_own_hashed_inline_script(gateway: Gateway) -> None:
    """No 'unsafe-inline': an injected script would not match the hash and would not run."""
    page = httpx.get(f"{gateway.url}/docs", timeout=10)
    assert page.status_code == 200
    assert _secure(page)
    csp = _directives(page.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert len(inline) == 1
    assert set(csp["script-src"]) == hashes | {"https://cdn.jsdelivr.net"}
    assert not any("unsafe" in v for values in csp.values() for v in values)
    assert csp["connect-src"] == ["'self'"]
    assert httpx.get(f"{gateway.url}/redoc", timeout=10).status_code == 404

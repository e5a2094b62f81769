"""The insurer client's request shape and error mapping.

These tests use ``httpx.MockTransport`` on purpose: it produces exact status codes, bodies,
oversized answers, timeouts and connection failures on demand, which a real server cannot be
made to do reliably. The happy path against the real reference insurer over loopback HTTP is in
tests/integration/test_insurer_api.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from gateway.adapters.insurer import InsurerClient, make_http_client
from gateway.errors import ConfigError, DeliveryError
from gateway.limits import Limits

BASE = "https://insurer.example"
SID = "sub_" + "ab" * 16
JWS = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJzdWJfMSIsImJ1eWVyIjoiU0VDUkVUIn0.c2lnbmF0dXJl"
RECEIPT = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJyY3B0XzEifQ.c2ln"

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, max_response_bytes: int = 1_048_576) -> InsurerClient:
    http = make_http_client(Limits(), transport=httpx.MockTransport(handler))
    return InsurerClient(BASE, client=http, max_response_bytes=max_response_bytes)


def _answer(status: int, body: object) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def _refusal(status: int, body: object) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        _client(_answer(status, body)).submit(SID, JWS)
    return info.value


def test_submit_posts_the_jws_with_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"receipt": RECEIPT})

    assert _client(handler).submit(SID, JWS) == RECEIPT
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/v1/attachments"
    assert request.headers["content-type"] == "application/jose"
    assert request.headers["idempotency-key"] == SID
    assert request.content == JWS.encode()


@pytest.mark.parametrize("status", [200, 201])
def test_success_statuses_return_the_receipt(status: int) -> None:
    assert _client(_answer(status, {"receipt": RECEIPT})).submit(SID, JWS) == RECEIPT


@pytest.mark.parametrize("status", [400, 401, 403, 409, 413, 415, 422])
def test_client_errors_are_permanent_and_keep_only_the_code(status: int) -> None:
    error = _refusal(status, {"error": "verification_failed", "detail": "SECRET DETAIL TEXT"})
    assert error.retryable is False and error.status_code == status
    assert "verification_failed" in str(error)
    assert "SECRET DETAIL TEXT" not in str(error)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_server_errors_and_throttling_are_retryable(status: int) -> None:
    error = _refusal(status, {"error": "busy"})
    assert error.retryable is True and error.status_code == status


def test_error_code_that_is_not_a_short_slug_is_not_repeated() -> None:
    error = _refusal(400, {"error": "Buyer ACME Corp <script>"})
    assert "ACME" not in str(error) and "(unknown)" in str(error)
    assert "(unknown)" in str(_refusal(400, ["not", "an", "object"]))


def test_redirects_are_not_followed() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(307, headers={"Location": "https://elsewhere.example/v1/attachments"})

    with pytest.raises(DeliveryError) as info:
        _client(handler).submit(SID, JWS)
    assert calls == [f"{BASE}/v1/attachments"]
    assert info.value.status_code == 307 and info.value.retryable is False


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
def test_network_failures_are_retryable(exc: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(DeliveryError) as info:
        _client(handler).submit(SID, JWS)
    assert info.value.retryable is True and info.value.status_code is None
    assert info.value.__cause__ is exc
    assert type(exc).__name__ in str(info.value)


@pytest.mark.parametrize("body", [b"not json", b'["receipt"]', b'{"receipt": 5}', b"{}"])
def test_success_without_a_receipt_is_a_permanent_error(body: bytes) -> None:
    with pytest.raises(DeliveryError) as info:
        _client(lambda r: httpx.Response(201, content=body)).submit(SID, JWS)
    assert info.value.retryable is False and info.value.status_code == 201


def test_unexpected_success_status_is_not_taken_as_delivery() -> None:
    error = _refusal(202, {"receipt": RECEIPT})
    assert error.status_code == 202 and error.retryable is False


def test_oversized_response_with_declared_length_is_refused() -> None:
    big = json.dumps({"receipt": "a." + "x" * 5000 + ".c"}).encode()
    with pytest.raises(DeliveryError, match="exceeds 1024 bytes") as info:
        _client(lambda r: httpx.Response(201, content=big), max_response_bytes=1024).submit(
            SID, JWS
        )
    assert info.value.retryable is False


def test_oversized_streamed_response_is_refused() -> None:
    """No Content-Length: the client counts while reading and stops past the bound."""
    produced: list[int] = []

    def stream() -> Iterator[bytes]:
        for i in range(1000):
            produced.append(i)
            yield b"x" * 512

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, content=stream())

    with pytest.raises(DeliveryError, match="exceeds 2048 bytes"):
        _client(handler, max_response_bytes=2048).submit(SID, JWS)
    assert len(produced) < 10


def test_jws_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for handler in (_answer(201, {"receipt": RECEIPT}), _answer(422, {"error": "bad"})):
        try:
            _client(handler).submit(SID, JWS)
        except DeliveryError as exc:
            assert JWS not in str(exc) and "SECRET" not in exc.diagnostics()
    assert caplog.records  # the client does log outcomes
    assert all(JWS not in r.getMessage() for r in caplog.records)


def test_non_compact_jws_is_refused_before_sending() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be sent")

    for bad in ("only-one-part", "a.b.c.d", "ä.b.c"):
        with pytest.raises(DeliveryError) as info:
            _client(handler).submit(SID, bad)
        assert info.value.retryable is False


def test_fetch_jwks() -> None:
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc", "kid": "k1"}]}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(200, json=jwks)

    assert _client(handler).fetch_jwks() == jwks
    assert seen == [f"GET {BASE}/.well-known/jwks.json"]
    with pytest.raises(DeliveryError, match="no key list"):
        _client(_answer(200, {"nokeys": []})).fetch_jwks()
    with pytest.raises(DeliveryError) as info:
        _client(_answer(503, {"error": "down"})).fetch_jwks()
    assert info.value.retryable is True


def test_http_client_has_explicit_timeouts_and_no_redirects() -> None:
    limits = Limits(connect_timeout_s=1.5, read_timeout_s=7, write_timeout_s=8, pool_timeout_s=2)
    with make_http_client(limits) as http:
        assert http.timeout == httpx.Timeout(connect=1.5, read=7, write=8, pool=2)
        assert http.follow_redirects is False


@pytest.mark.parametrize(
    "url",
    [
        "http://insurer.example",  # plain http off loopback
        "ftp://insurer.example",
        "insurer.example/v1",
        "https://user:pw@insurer.example",
        "https://insurer.example/?x=1",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with make_http_client(Limits()) as http, pytest.raises(ConfigError):
        InsurerClient(url, client=http)


def test_loopback_http_and_trailing_slash_are_accepted() -> None:
    with make_http_client(Limits()) as http:
        assert InsurerClient("http://127.0.0.1:8400/", client=http).base_url == (
            "http://127.0.0.1:8400"
        )
        assert InsurerClient(
            "http://insurer.internal", client=http, allow_insecure_http=True
        ).base_url == "http://insurer.internal"

"""How ``gateway contribute`` treats the hub's answers (gateway.cli.contribute.post_contribution).

The real hub is exercised in tests/integration/test_contribute_cli.py. Here the hub is replaced
by ``httpx.MockTransport`` (a stand-in: a hub that misbehaves on purpose cannot be had from the
real app) so that refusals, oversized answers, redirects and dead connections can be shaped
exactly; the client code under test is the real one.
"""

from __future__ import annotations

import json

import httpx
import pytest

from gateway.cli.contribute import MAX_ANSWER_BYTES, post_contribution
from gateway.errors import DeliveryError
from gateway.settings import HubSettings

HUB = HubSettings(url="https://hub.example.net", hub_id="hub-1")
JWS = "aGVhZA.cGF5bG9hZA.c2ln"


def _hub(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers=headers)

    transport = httpx.MockTransport(handler)
    transport.seen = seen  # type: ignore[attr-defined]
    return transport


def test_the_contribution_is_posted_as_jose_to_the_contributions_route() -> None:
    transport = _hub(201, json.dumps({"jti": "ctb_1", "buckets": 3}).encode())
    answer = post_contribution(HUB, JWS, transport=transport)
    assert (answer.status, answer.body) == (201, {"jti": "ctb_1", "buckets": 3})
    (request,) = transport.seen  # type: ignore[attr-defined]
    assert str(request.url) == "https://hub.example.net/v1/contributions"
    assert request.headers["content-type"] == "application/jose"
    assert request.content == JWS.encode()


def test_a_refusal_names_the_status_and_code_and_nothing_else_from_the_body() -> None:
    body = {"error": "HubConflict", "code": "period_closed", "detail": "buyer ic:DE-1180442"}
    with pytest.raises(DeliveryError) as caught:
        post_contribution(HUB, JWS, transport=_hub(409, json.dumps(body).encode()))
    assert "HTTP 409 (period_closed)" in str(caught.value)
    assert "DE-1180442" not in str(caught.value)
    assert caught.value.status_code == 409 and not caught.value.retryable


def test_a_code_that_is_not_a_short_slug_is_not_shown() -> None:
    body = {"error": "<script>alert(1)</script>"}
    with pytest.raises(DeliveryError, match=r"HTTP 401 \(unknown\)") as caught:
        post_contribution(HUB, JWS, transport=_hub(401, json.dumps(body).encode()))
    assert "script" not in str(caught.value)


def test_a_redirect_is_not_followed() -> None:
    transport = _hub(307, b"", {"Location": "https://elsewhere.example.net/v1/contributions"})
    with pytest.raises(DeliveryError, match="HTTP 307"):
        post_contribution(HUB, JWS, transport=transport)
    assert len(transport.seen) == 1  # type: ignore[attr-defined]


def test_an_oversized_answer_is_refused() -> None:
    with pytest.raises(DeliveryError, match="exceeds"):
        post_contribution(HUB, JWS, transport=_hub(201, b" " * (MAX_ANSWER_BYTES + 1)))


def test_an_unreachable_hub_is_a_retryable_delivery_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError, match="cannot deliver") as caught:
        post_contribution(HUB, JWS, transport=httpx.MockTransport(refuse))
    assert caught.value.retryable

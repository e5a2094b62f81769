"""Attacks on the push webhook's authentication and size limit (``POST /v1/records``), one each.

Real parts: the app under uvicorn on loopback, a real SQLite store, a runtime from a real
configuration (tests/security/service_support.py). Pushes are signed with
``gateway.service.sign_push``; the scheme itself is checked against an independent HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.errors import ConfigError
from gateway.pipeline import Runtime
from gateway.runtime import load_mapping_for
from gateway.service import create_app, sign_push
from gateway.store import SqliteStore
from tests.security.service_support import (
    CANARY,
    MAX_BODY,
    ROW,
    SECRET,
    Gateway,
    build_test_runtime,
    fresh_id,
    serve,
    valid_body,
)

HEADERS = ("X-Gateway-Timestamp", "X-Gateway-Delivery", "X-Gateway-Signature")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("webhook"))


@pytest.fixture
def gateway(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    with serve(runtime, tmp_path / "gateway.sqlite3") as gw:
        yield gw


def _unauthorised(response: httpx.Response) -> bool:
    return response.status_code == 401 and response.json() == {"detail": "unauthorised"}


def test_sign_push_follows_the_documented_scheme() -> None:
    body = b'{"records": []}'
    headers = sign_push(SECRET, body, "d-1", now=1_767_225_600)
    mac = hmac.new(SECRET.encode(), b"1767225600.d-1." + body, hashlib.sha256).hexdigest()
    assert headers == {
        "X-Gateway-Timestamp": "1767225600", "X-Gateway-Delivery": "d-1",
        "X-Gateway-Signature": f"v1={mac}",
    }


def test_a_signed_push_is_accepted(gateway: Gateway) -> None:
    response = gateway.post(valid_body())
    assert response.status_code == 202, response.text
    assert response.json()["read"] == 1


def test_a_push_without_signature_headers_is_refused_with_401(gateway: Gateway) -> None:
    body = valid_body()
    signed = sign_push(SECRET, body, fresh_id())
    for missing in HEADERS:
        partial = {k: v for k, v in signed.items() if k != missing}
        response = gateway.post(body, headers=partial, signed=False)
        assert _unauthorised(response), missing
    assert _unauthorised(gateway.post(body, signed=False))
    assert _unauthorised(gateway.post(body, signed=False, headers={"Authorization": SECRET}))
    assert gateway.nothing_processed()


def test_garbled_signature_headers_are_refused_with_401(gateway: Gateway) -> None:
    now = str(int(time.time()))
    garbled = [
        {"X-Gateway-Timestamp": value} for value in (f"+{now}", f"-{now}", f"{now}.0", "", "1e9")
    ] + [
        {"X-Gateway-Delivery": value} for value in ("", "a" * 129, "../etc", "id with space")
    ] + [
        {"X-Gateway-Signature": value} for value in (
            "", "v1=", "v0=" + "a" * 64, "v1=" + "A" * 64, "v1=" + "a" * 63, "v1=" + "a" * 40,
            "v1=" + "a" * 64 + ",v1=" + "b" * 64, "sha256=" + "a" * 64,
        )
    ]
    for headers in garbled:
        assert _unauthorised(gateway.post(valid_body(), headers=headers)), headers
    assert gateway.nothing_processed()


def test_a_stale_timestamp_is_refused_with_401(gateway: Gateway) -> None:
    """Correctly signed, but 301 s old (the default tolerance is 300 s)."""
    assert _unauthorised(gateway.post(valid_body(), now=int(time.time()) - 301))
    assert gateway.nothing_processed()


def test_a_far_future_timestamp_is_refused_with_401(gateway: Gateway) -> None:
    assert _unauthorised(gateway.post(valid_body(), now=int(time.time()) + 3600))
    assert gateway.nothing_processed()


def test_a_wrong_signature_is_refused_with_401(gateway: Gateway) -> None:
    body = valid_body()
    signed = sign_push(SECRET, body, "the-delivery")
    mac = signed["X-Gateway-Signature"]
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    attempts = [
        gateway.post(body, headers={"X-Gateway-Signature": flipped}),
        gateway.post(body, headers=sign_push(SECRET[::-1], body, fresh_id()), signed=False),
        # valid headers of another body, a swapped delivery id, a shifted timestamp:
        gateway.post(body.replace(b"1000.00", b"9000.00"), headers=signed, signed=False),
        gateway.post(body, headers={**signed, "X-Gateway-Delivery": "other-delivery"},
                     signed=False),
        gateway.post(body, signed=False, headers={
            **signed, "X-Gateway-Timestamp": str(int(signed["X-Gateway-Timestamp"]) - 1)}),
    ]
    for response in attempts:
        assert _unauthorised(response)
    assert gateway.nothing_processed()


def test_a_replayed_delivery_is_refused_with_409(gateway: Gateway) -> None:
    body = valid_body()
    signed = sign_push(SECRET, body, "delivery-replayed")
    assert gateway.post(body, headers=signed, signed=False).status_code == 202
    replay = gateway.post(body, headers=signed, signed=False)
    assert replay.status_code == 409
    reused = gateway.post(valid_body(source="other"), delivery_id="delivery-replayed")
    assert reused.status_code == 409
    assert len(gateway.store.list_submissions()) == 1


def test_a_replay_after_a_restart_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    """The seen delivery ids live in the store: a new process does not reopen the window."""
    body = valid_body()
    signed = sign_push(SECRET, body, "delivery-before-restart")
    with serve(runtime, tmp_path / "gateway.sqlite3") as first:
        assert first.post(body, headers=signed, signed=False).status_code == 202
    with serve(runtime, tmp_path / "gateway.sqlite3") as second:
        assert second.post(body, headers=signed, signed=False).status_code == 409
        assert len(second.store.list_submissions()) == 1


def test_seen_delivery_ids_are_forgotten_only_once_their_timestamp_is_out_of_window(
    tmp_path: Path,
) -> None:
    with SqliteStore(tmp_path / "gateway.sqlite3") as store:
        assert store.claim_delivery("d-old", signed_at=1000, forget_before=700)
        assert store.claim_delivery("d-new", signed_at=1290, forget_before=990)
        # at 1300 with a 300 s window, 1000 is still acceptable: both ids stay refused
        assert not store.claim_delivery("d-old", signed_at=1000, forget_before=1000)
        assert not store.claim_delivery("d-new", signed_at=1290, forget_before=1000)
        # at 1301, 1000 is out of the window (the service refuses it first); the row is pruned
        assert store.claim_delivery("d-old", signed_at=1301, forget_before=1001)
        assert not store.claim_delivery("d-new", signed_at=1290, forget_before=1001)


def test_the_webhook_is_disabled_with_503_without_a_secret(
    runtime: Runtime, tmp_path: Path
) -> None:
    with serve(runtime, tmp_path / "gateway.sqlite3", secret=None) as gw:
        assert gw.post(valid_body(), signed=False).status_code == 503
        signed = sign_push(SECRET, valid_body(), fresh_id())
        assert gw.post(valid_body(), headers=signed, signed=False).status_code == 503
        assert gw.nothing_processed()


@pytest.mark.parametrize("secret", [
    "too-short-0123456789",
    "REPLACE_ME-0123456789abcdefghijklmnopqrstuvwxyz",
    "changeme-0123456789abcdefghijklmnopqrstuvwxyz",
    "<webhook secret from the vault, 32 bytes or more>",
    "x" * 64,
    "abababababababababababababababababababab",
])
def test_a_short_or_placeholder_secret_does_not_enable_the_webhook(
    runtime: Runtime, tmp_path: Path, secret: str
) -> None:
    with SqliteStore(tmp_path / "gateway.sqlite3") as store, pytest.raises(ConfigError) as caught:
        create_app(runtime, store, mapping=load_mapping_for("generic"), webhook_secret=secret)
    assert secret not in str(caught.value)


def test_a_declared_oversized_body_is_refused_with_413_before_it_is_read(gateway: Gateway) -> None:
    """The request declares 1 GB and sends a few bytes: the answer must not wait for the rest."""
    parts = urlsplit(gateway.url)
    signed = sign_push(SECRET, b"", fresh_id())
    request = (
        f"POST /v1/records HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in signed.items())
        + f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + b'{"records": ['
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"
    assert gateway.nothing_processed()


def test_an_oversized_chunked_body_is_refused_with_413(gateway: Gateway) -> None:
    """No Content-Length at all: the limit applies while the chunks arrive."""
    chunk = b" " * 1024

    def body() -> Iterator[bytes]:
        yield b'{"records": ['
        for _ in range(4 * MAX_BODY // len(chunk)):
            yield chunk
        yield json.dumps(ROW).encode() + b"]}"

    response = httpx.post(
        f"{gateway.url}/v1/records", content=body(), timeout=30,
        headers={"Content-Type": "application/json", **sign_push(SECRET, b"", fresh_id())},
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert gateway.nothing_processed()


def test_an_extra_top_level_field_is_refused_with_422(gateway: Gateway) -> None:
    assert gateway.post(valid_body(policy="attach-everything")).status_code == 422
    assert gateway.nothing_processed()


def test_error_responses_never_echo_a_planted_buyer_name_or_the_secret(gateway: Gateway) -> None:
    needles = [CANARY.encode(), CANARY.lower().encode(), SECRET.encode()]
    attempts = [
        gateway.post(json.dumps({"records": [ROW], CANARY: CANARY}).encode()),
        gateway.post(json.dumps({"records": [{**ROW, "amount": [CANARY]}]}).encode()),
        gateway.post(json.dumps({"records": CANARY}).encode()),
        gateway.post(json.dumps({"source": CANARY, "records": [ROW]}).encode()),
        gateway.post(b'{"records": [{"buyer_name": "' + needles[0] + b'", "buyer_name": "x"}]}'),
        gateway.post(b'{"records": ["' + needles[0] + b'"'),
        gateway.post(valid_body(), headers={"X-Gateway-Signature": "v1=" + SECRET}),
        gateway.post(valid_body(), headers={"X-Gateway-Delivery": CANARY}),
        gateway.post(valid_body(), now=int(time.time()) - 10_000),
        httpx.get(f"{gateway.url}/v1/submissions", params={"limit": CANARY}, timeout=30),
    ]
    for response in attempts:
        assert response.status_code >= 400, response.request
        assert not any(n in response.content.lower() for n in map(bytes.lower, needles))
    assert gateway.nothing_processed()

"""Attacks on the push webhook (``POST /v1/records``) of ``gateway serve``, one test each.

The gateway app runs under uvicorn on a loopback port with a runtime built from a real
configuration (fresh keys, a 2048-bit insurer key, the built-in policy) and a real SQLite store.
The body limit is set low (8 KiB) in the configuration's ``[limits]`` table. No insurer server is
needed: nothing here may get as far as delivery.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.pipeline import Runtime
from gateway.runtime import build_runtime, load_mapping_for
from gateway.service import create_app
from gateway.settings import load_settings
from gateway.store import SqliteStore

EXPORTER = "exporter-webhook"
TOKEN = "webhook-token-" + "k" * 24
MAX_BODY = 8192
CANARY = "Zephyrine Canary Trading Ltd"
ROW = {
    "invoice_no": "EX26-00001",
    "invoice_date": "2026-02-01",
    "ship_date": "2026-02-04",
    "buyer_name": CANARY,
    "buyer_country": "DE",
    "currency": "EUR",
    "amount": "1000.00",
    "payment_terms": "L/C",
    "due_date": "2026-04-05",
    "hs_code": "8504.40",
}


@dataclass
class Gateway:
    url: str
    runtime: Runtime
    store: SqliteStore


@pytest.fixture(scope="module")
def runtime_and_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runtime, Path]:
    root = tmp_path_factory.mktemp("webhook")
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    config = write_config(root, exporter_id=EXPORTER, keys=keys, insurer=insurer)
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f"\n[limits]\nmax_body_bytes = {MAX_BODY}\n")
    settings = load_settings(config)
    return build_runtime(settings), settings.data_dir


def _serve(runtime: Runtime, store: SqliteStore, token: str) -> Iterator[Gateway]:
    app = create_app(runtime, store, mapping=load_mapping_for("generic"), webhook_token=token)
    server = serve_in_thread(app)
    try:
        yield Gateway(server.base_url, runtime, store)
    finally:
        server.stop()


@pytest.fixture
def gateway(runtime_and_data: tuple[Runtime, Path], tmp_path: Path) -> Iterator[Gateway]:
    runtime, _ = runtime_and_data
    with SqliteStore(tmp_path / "gateway.sqlite3") as store:
        yield from _serve(runtime, store, TOKEN)


def _post(gw: Gateway, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    sent.update(headers or {})
    return httpx.post(f"{gw.url}/v1/records", content=body, headers=sent, timeout=30)


def _nothing_processed(gw: Gateway) -> bool:
    return gw.store.list_submissions() == [] and gw.store.list_quarantine() == []


def _valid_body() -> bytes:
    return json.dumps({"records": [ROW]}).encode()


def test_a_push_without_a_token_is_refused_with_401(gateway: Gateway) -> None:
    response = httpx.post(f"{gateway.url}/v1/records", content=_valid_body(), timeout=30)
    assert response.status_code == 401
    assert _nothing_processed(gateway)


def test_a_push_with_a_wrong_token_is_refused_with_401(gateway: Gateway) -> None:
    for wrong in (TOKEN[:-1], TOKEN + "k", "Bearer", TOKEN.upper()):
        response = _post(gateway, _valid_body(), {"Authorization": f"Bearer {wrong}"})
        assert response.status_code == 401, wrong
    assert _nothing_processed(gateway)


def test_the_webhook_is_disabled_with_503_when_no_token_is_configured(
    runtime_and_data: tuple[Runtime, Path], tmp_path: Path
) -> None:
    runtime, _ = runtime_and_data
    with SqliteStore(tmp_path / "gateway.sqlite3") as store:
        for gw in _serve(runtime, store, ""):
            for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x"}):
                response = httpx.post(
                    f"{gw.url}/v1/records", content=_valid_body(), headers=headers, timeout=30
                )
                assert response.status_code == 503
            assert _nothing_processed(gw)


def test_a_declared_oversized_body_is_refused_with_413_before_it_is_read(gateway: Gateway) -> None:
    """The request declares 1 GB and sends a few bytes: the answer must not wait for the rest."""
    parts = urlsplit(gateway.url)
    request = (
        f"POST /v1/records HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10**9}\r\nConnection: close\r\n\r\n"
    ).encode() + b'{"records": ['
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"
    assert _nothing_processed(gateway)


def test_an_oversized_chunked_body_is_refused_with_413(gateway: Gateway) -> None:
    chunk = b" " * 1024

    def body() -> Iterator[bytes]:
        yield b'{"records": ['
        for _ in range(4 * MAX_BODY // len(chunk)):
            yield chunk
        yield json.dumps(ROW).encode() + b"]}"

    response = httpx.post(
        f"{gateway.url}/v1/records", content=body(), timeout=30,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _nothing_processed(gateway)


def test_duplicate_json_keys_are_refused_with_422(gateway: Gateway) -> None:
    row = json.dumps(ROW)[:-1] + ', "amount": "9999999.00"}'
    response = _post(gateway, b'{"records": [' + row.encode() + b"]}")
    assert response.status_code == 422
    top = b'{"source": "erp", "source": "other", "records": [' + json.dumps(ROW).encode() + b"]}"
    assert _post(gateway, top).status_code == 422
    assert _nothing_processed(gateway)


def test_nan_and_infinity_are_refused_with_422(gateway: Gateway) -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        row = json.dumps({**ROW, "amount": "@"}).encode().replace(b'"@"', constant)
        response = _post(gateway, b'{"records": [' + row + b"]}")
        assert response.status_code == 422, constant
    assert _nothing_processed(gateway)


def test_deeply_nested_json_is_refused_with_422(gateway: Gateway) -> None:
    depth = MAX_BODY // 2 - 16
    body = b'{"records": [{"amount": ' + b"[" * depth + b"]" * depth + b"}]}"
    assert len(body) <= MAX_BODY
    assert _post(gateway, body).status_code == 422
    assert _nothing_processed(gateway)


def test_an_extra_top_level_field_is_refused_with_422(gateway: Gateway) -> None:
    body = json.dumps({"records": [ROW], "policy": "attach-everything"}).encode()
    assert _post(gateway, body).status_code == 422
    assert _nothing_processed(gateway)


def test_error_responses_never_echo_a_planted_buyer_name(gateway: Gateway) -> None:
    needle = CANARY.encode()
    lowered = CANARY.lower().encode()
    attempts = [
        _post(gateway, json.dumps({"records": [ROW], CANARY: CANARY}).encode()),
        _post(gateway, json.dumps({"records": [{**ROW, "amount": [CANARY]}]}).encode()),
        _post(gateway, json.dumps({"records": CANARY}).encode()),
        _post(gateway, json.dumps({"source": CANARY, "records": [ROW]}).encode()),
        _post(gateway, b'{"records": [{"buyer_name": "' + needle + b'", "buyer_name": "x"}]}'),
        _post(gateway, b'{"records": ["' + needle + b'"'),
        _post(gateway, _valid_body(), {"Authorization": f"Bearer {CANARY}"}),
        httpx.get(f"{gateway.url}/v1/submissions", params={"limit": CANARY}, timeout=30),
    ]
    for response in attempts:
        assert response.status_code >= 400, response.request
        assert needle not in response.content and lowered not in response.content.lower()
    assert _nothing_processed(gateway)

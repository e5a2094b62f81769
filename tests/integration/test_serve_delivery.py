"""``gateway serve`` as a process delivers every push to the insurer, pass after pass.

The service keeps one insurer client for its whole life (gateway.cli.serve); successive
delivery passes must each still reach the insurer through it. Real parts: fresh keys, a
2048-bit reference insurer served by uvicorn on a loopback port, ``gateway serve`` in its own
process with a configuration written by ``gateway.devsetup``, signed pushes over loopback HTTP.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app, load_config, serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.service import sign_push

EXPORTER = "exporter-serve-delivery"
SECRET = "sdlv-H4pZ8wQm1Tx6Ky3Rb9Nc2Vf7Lj5Gd0Se"
ROW = {
    "invoice_date": "2026-02-01", "ship_date": "2026-02-04", "buyer_name": "Delivery Test GmbH",
    "buyer_country": "DE", "currency": "EUR", "amount": "1000.00", "payment_terms": "L/C",
    "due_date": "2026-04-05", "hs_code": "8504.40",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _poll(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _delivered(insurer_url: str, expected: set[str]) -> bool:
    got = httpx.get(f"{insurer_url}/v1/submissions", timeout=10)
    return {s["submission_id"] for s in got.json()} >= expected


@pytest.mark.slow
def test_serve_delivers_successive_pushes_to_the_insurer(tmp_path: Path) -> None:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(tmp_path / "insurer", gateway_jwks=keys.jwks,
                                 exporter_id=EXPORTER, paillier_bits=2048)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_WEBHOOK_SECRET"] = SECRET
    with serve_in_thread(create_app(load_config(insurer.config_path))) as insurer_server:
        config = write_config(tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer,
                              insurer_url=insurer_server.base_url)
        log = (tmp_path / "serve.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(config),
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            def healthy() -> bool:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                except httpx.TransportError:
                    return False

            assert _poll(healthy), "gateway serve did not start"
            sent: list[str] = []
            for push in range(3):
                rows = [{**ROW, "invoice_no": f"SD{push}-{n}"} for n in range(4)]
                body = json.dumps({"records": rows}).encode()
                answer = httpx.post(f"{base}/v1/records", content=body, timeout=60,
                                    headers=sign_push(SECRET, body, f"serve-delivery-{push}"))
                assert answer.status_code == 202, answer.text
                sent += answer.json()["submissions"]

                delivered = functools.partial(_delivered, insurer_server.base_url, set(sent))
                assert _poll(delivered), f"push {push} was not delivered"
            assert len(set(sent)) == 3
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()

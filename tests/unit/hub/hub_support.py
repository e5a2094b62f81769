"""Building blocks of the hub tests (imported as ``tests.unit.hub.hub_support``).

Everything is real: Ed25519 keys, the session's 2048-bit Paillier keypair (the insurer's; only
the tests hold its private half, to check what a release decrypts to), a hub directory written
by ``init_hub``, the SQLite store, and uvicorn on a loopback port.
"""

from __future__ import annotations

import json
import secrets
import socket
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.crypto import PaillierPublicKey, SigningKey, generate_signing_key
from gateway.examples.insurer_api import serve_in_thread
from gateway.hub.contribution import BucketKey, build_contribution
from gateway.hub.runtime import HubRuntime, load_hub_runtime
from gateway.hub.settings import load_hub_settings
from gateway.hub.setup import init_hub
from gateway.hub.store import HubStore
from gateway.keys import write_public_file
from gateway.sign import build_jwks

HUB_ID = "hub-test"
INSURER_ID = "insurer-test"
PERIOD = "2026-05"
NOW = 1_780_000_000  # 2026-05-28
TOKEN_ENV = "GATEWAY_HUB_RELEASE_TOKEN"
RELEASE_TOKEN = "rt-" + secrets.token_urlsafe(32)
READER_TOKEN = "rd-" + secrets.token_urlsafe(32)


def bk(buyer: str, country: str = "DE", currency: str = "EUR", month: str = "2026-08") -> BucketKey:
    """A bucket key; ``buyer`` without a prefix becomes an insurer code (``ic:``)."""
    return BucketKey(buyer if ":" in buyer else f"ic:{buyer}", country, currency, month)


@dataclass(frozen=True)
class Exporter:
    """A test exporter: its id and its real signing key."""

    exporter_id: str
    key: SigningKey

    @property
    def jwks(self) -> dict[str, Any]:
        return build_jwks([self.key])

    def contribution(
        self, totals: Mapping[BucketKey, int], paillier: PaillierPublicKey, *,
        period: str = PERIOD, now: int = NOW, hub_id: str = HUB_ID,
    ) -> str:
        return build_contribution(
            self.exporter_id, hub_id, period, totals, paillier, self.key, now=now
        )


def make_exporters(count: int) -> list[Exporter]:
    return [Exporter(f"exporter-{i}", generate_signing_key()) for i in range(1, count + 1)]


def write_insurer_key(directory: Path, paillier: PaillierPublicKey) -> Path:
    """The insurer's public key document, as it hands it to the hub operator."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_public_file(
        directory / "paillier_public.json", json.dumps(paillier.to_document()).encode()
    )


def write_hub(
    root: Path, paillier: PaillierPublicKey, *, k: int = 3, insurer_url: str | None = None,
    **settings: int,
) -> Path:
    """A hub directory written by ``init_hub`` under ``root / "hub"``, with further integer
    ``settings`` appended to its ``hub.toml``; returns that file."""
    done = init_hub(
        root / "hub", hub_id=HUB_ID, insurer_id=INSURER_ID,
        insurer_paillier_key=write_insurer_key(root / "insurer", paillier),
        fingerprint=paillier.fingerprint, k=k, insurer_url=insurer_url,
    )
    with done.config.open("a", encoding="utf-8") as fh:
        fh.writelines(f"{name} = {int(value)}\n" for name, value in settings.items())
    return done.config


def load_hub(config: Path) -> tuple[HubRuntime, HubStore]:
    """The hub of ``config`` loaded as ``serve`` loads it, with the release token set."""
    settings = load_hub_settings(config)
    runtime = load_hub_runtime(settings, {TOKEN_ENV: RELEASE_TOKEN})
    return runtime, HubStore(settings.store_path)


def make_hub(
    root: Path, paillier: PaillierPublicKey, *, k: int = 3, insurer_url: str | None = None,
    **settings: int,
) -> tuple[HubRuntime, HubStore]:
    """:func:`write_hub` then :func:`load_hub`."""
    return load_hub(write_hub(root, paillier, k=k, insurer_url=insurer_url, **settings))


def register(store: HubStore, *exporters: Exporter) -> None:
    for exporter in exporters:
        store.register_exporter(exporter.exporter_id, exporter.jwks, now=NOW)


def sums_snapshot(store: HubStore, period: str = PERIOD) -> list[tuple[BucketKey, str, int]]:
    """Every stored sum of ``period``: (key, ciphertext, contributors)."""
    return [(s.key, s.ciphertext, s.contributors) for s in store.sums(period)]


def table_counts(path: Path) -> dict[str, int]:
    """Row counts of the hub's tables, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("exporters", "contributions", "sums", "members", "releases")
        }
    finally:
        conn.close()


@dataclass
class RunningHub:
    """The hub app on a loopback port."""

    url: str
    runtime: HubRuntime
    store: HubStore

    def contribute(self, jws: str | bytes, **headers: str) -> httpx.Response:
        body = jws.encode("ascii") if isinstance(jws, str) else jws
        sent = {"Content-Type": "application/jose", **headers}
        return httpx.post(f"{self.url}/v1/contributions", content=body, headers=sent, timeout=30)

    def release(self, period: str = PERIOD, token: str | None = RELEASE_TOKEN) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.post(
            f"{self.url}/v1/periods/{period}/release", headers=headers, timeout=60
        )

    def get(self, path: str, token: str | None = RELEASE_TOKEN) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=30)


@contextmanager
def serve_hub(
    runtime: HubRuntime, store: HubStore, *, clock_now: int = NOW
) -> Iterator[RunningHub]:
    """The hub's app over ``store`` on a loopback port, its clock fixed at ``clock_now``."""
    from gateway.hub.service import create_app

    app = create_app(runtime, store, clock=lambda: float(clock_now))
    server = serve_in_thread(app)
    try:
        yield RunningHub(server.base_url, runtime, store)
    finally:
        server.stop()


@dataclass
class Receiver:
    """What a loopback stand-in for the insurer's ``POST /v1/hub-releases`` received.

    It is a real HTTP server; it stands in for the insurer's endpoint only so that the hub's
    push can be tested on its own (it records, it does not verify)."""

    status: int = 201
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/hub-releases")
    async def take(request: Request) -> JSONResponse:
        receiver.received.append((dict(request.headers), await request.body()))
        return JSONResponse({"status": "stored"}, status_code=receiver.status)

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""The served gateway app for the service attack tests (``tests/security/test_service_*.py``).

A runtime is built from a real configuration (fresh keys, a 2048-bit insurer key, the built-in
policy) with the body limit set low (8 KiB) in ``[limits]``; each test gets a real SQLite store
and the app served by uvicorn on a loopback port. No insurer server is needed: nothing here may
get as far as delivery.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.pipeline import Runtime
from gateway.runtime import build_runtime, load_mapping_for
from gateway.service import create_app, sign_push
from gateway.settings import ServiceSettings, load_settings
from gateway.store import SqliteStore

EXPORTER = "exporter-webhook"
SECRET = "whsk-Vq3T9xLm2Rk8Pz5Nb7Hc4Jd6Gf1Ws0Ye"
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
_IDS = itertools.count(1)


@dataclass
class Gateway:
    url: str
    store: SqliteStore
    secret: str

    def post(
        self, body: bytes, *, headers: dict[str, str] | None = None, signed: bool = True,
        delivery_id: str | None = None, now: int | None = None,
    ) -> httpx.Response:
        """POST ``body`` to the webhook, signed with this gateway's secret unless told not to;
        ``headers`` are applied last (to override or garble the signed ones)."""
        sent = {"Content-Type": "application/json"}
        if signed:
            sent.update(sign_push(self.secret, body, delivery_id or fresh_id(), now))
        sent.update(headers or {})
        return httpx.post(f"{self.url}/v1/records", content=body, headers=sent, timeout=30)

    def nothing_processed(self) -> bool:
        return self.store.list_submissions() == [] and self.store.list_quarantine() == []


def fresh_id() -> str:
    return f"delivery-{next(_IDS):06d}"


def valid_body(**extra: Any) -> bytes:
    return json.dumps({"records": [ROW], **extra}).encode()


def build_test_runtime(root: Path) -> Runtime:
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    config = write_config(root, exporter_id=EXPORTER, keys=keys, insurer=insurer)
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f"\n[limits]\nmax_body_bytes = {MAX_BODY}\n")
    return build_runtime(load_settings(config))


@contextmanager
def serve(
    runtime: Runtime, store_path: Path, *, secret: str | None = SECRET,
    service: ServiceSettings | None = None,
) -> Iterator[Gateway]:
    """The gateway app on a loopback port over an SQLite store at ``store_path``."""
    with SqliteStore(store_path) as store:
        app = create_app(
            runtime, store, mapping=load_mapping_for("generic"), webhook_secret=secret,
            service=service,
        )
        server = serve_in_thread(app)
        try:
            yield Gateway(server.base_url, store, secret or "")
        finally:
            server.stop()

"""The gateway's own HTTP service (``gateway serve``) over real loopback HTTP.

Real parts throughout: keys generated here, a 2048-bit reference insurer served by uvicorn on a
loopback port, the runtime built from a configuration file, an SQLite store, the gateway app
served by uvicorn on another loopback port. Records are the shipped sample export, pushed as
the ``generic`` mapping's column names.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import RunningServer, create_app, load_config, serve_in_thread
from gateway.keys import (
    GatewayKeyPaths,
    generate_gateway_keys,
    load_jwks_file,
    rotate_signing_key,
)
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app as create_gateway_app
from gateway.service import sign_push
from gateway.settings import ServiceSettings, Settings, load_settings
from gateway.store import SqliteStore, SubmissionStatus

EXPORTER = "exporter-service"
SECRET = "svc-R7mQ2vX9kL4pT8zW3nB6yH1cJ5dF0gSa"


@dataclass
class Service:
    url: str
    insurer_url: str
    settings: Settings
    keys: GatewayKeyPaths
    store: SqliteStore


_DELIVERIES = itertools.count(1)


def _push(url: str, payload: dict[str, Any]) -> httpx.Response:
    """POST ``payload`` to the webhook, signed as the ERP side would sign it."""
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json",
               **sign_push(SECRET, body, f"erp-push-{next(_DELIVERIES)}")}
    return httpx.post(f"{url}/v1/records", content=body, headers=headers, timeout=60)


def _sample_rows() -> list[dict[str, str]]:
    sample = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    with resources.as_file(sample) as path, path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    insurer_server = serve_in_thread(create_app(load_config(insurer.config_path)))
    servers: list[RunningServer] = [insurer_server]
    try:
        config = write_config(
            tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer,
            insurer_url=insurer_server.base_url,
        )
        settings = load_settings(config)

        def deliver(pipeline: Pipeline) -> None:
            with insurer_client(settings) as client:
                pipeline.deliver(client)

        with open_store(settings) as store:
            app = create_gateway_app(
                build_runtime(settings), store,
                mapping=load_mapping_for("generic"), deliver=deliver, webhook_secret=SECRET,
                # The snapshot inside each push, so a push is exactly one submission here; the
                # deferred snapshot is tests/integration/test_service_snapshot.py.
                service=ServiceSettings(snapshot_delay_s=0),
            )
            gateway_server = serve_in_thread(app)
            servers.append(gateway_server)
            yield Service(gateway_server.base_url, insurer_server.base_url, settings, keys, store)
    finally:
        for server in reversed(servers):
            server.stop()


def _poll(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_pushed_records_are_accounted_signed_and_delivered(service: Service) -> None:
    rows = _sample_rows()
    response = _push(service.url, {"source": "erp-push", "records": rows})
    assert response.status_code == 202, response.text
    account = response.json()
    assert account["read"] == len(rows) == 40
    withheld = sum(account["withheld"].values())
    assert account["attached"] + withheld + account["quarantined"] == account["read"]
    assert account["attached"] > 0
    assert len(account["submissions"]) == 1
    submission_id = account["submissions"][0]

    listed = httpx.get(f"{service.url}/v1/submissions", timeout=10).json()
    assert [s["submission_id"] for s in listed] == [submission_id]
    assert "jws" not in listed[0]

    def delivered_to_insurer() -> list[str]:
        got = httpx.get(f"{service.insurer_url}/v1/submissions", timeout=10).json()
        return [s["submission_id"] for s in got]

    assert _poll(delivered_to_insurer) == [submission_id]
    def receipt_stored() -> bool:
        stored = service.store.get_submission(submission_id)
        return stored is not None and stored.status is SubmissionStatus.DELIVERED

    assert _poll(receipt_stored), "the receipt was not stored"
    insurer_view = httpx.get(f"{service.insurer_url}/v1/submissions", timeout=10).json()[0]
    assert insurer_view["exporter_id"] == EXPORTER
    assert insurer_view["attachments"] == account["attached"]
    assert service.store.get_receipt(submission_id) is not None


def test_quarantined_pushed_rows_are_counted_and_kept_locally(service: Service) -> None:
    rows = _sample_rows()[:5]
    rows[1] = {**rows[1], "amount": "12x.00"}
    rows[3] = {**rows[3], "currency": "XXQ"}
    response = _push(service.url, {"records": rows})
    assert response.status_code == 202, response.text
    account = response.json()
    assert account["read"] == 5
    assert account["quarantined"] == 2
    assert account["attached"] + sum(account["withheld"].values()) == 3
    entries = service.store.list_quarantine()
    assert [(e.source, e.row, e.field) for e in entries] == [
        ("webhook", 2, "amount"), ("webhook", 4, "currency"),
    ]


def test_healthz_reports_the_exporter_and_policy(service: Service) -> None:
    health = httpx.get(f"{service.url}/healthz", timeout=10)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["exporter_id"] == EXPORTER
    assert body["policy_version"] == build_runtime(service.settings).engine.version


def test_jwks_is_the_gateway_signing_key(service: Service) -> None:
    served = httpx.get(f"{service.url}/.well-known/jwks.json", timeout=10).json()
    published = load_jwks_file(service.keys.jwks)
    assert [k["kid"] for k in served["keys"]] == [service.keys.kid]
    assert served == published
    assert all("d" not in k for k in served["keys"])


def test_after_a_signing_rotation_the_served_jwks_keeps_the_previous_key(
    service: Service,
) -> None:
    """Submissions signed before a rotation must stay verifiable by whoever reads the JWKS."""
    rotation = rotate_signing_key(service.settings.keys.signing_key)
    app = create_gateway_app(
        build_runtime(service.settings), service.store, mapping=load_mapping_for("generic"),
        webhook_secret=SECRET,
    )
    server = serve_in_thread(app)
    try:
        served = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10).json()
    finally:
        server.stop()
    assert [k["kid"] for k in served["keys"]] == [rotation.new_kid, service.keys.kid]
    assert all("d" not in k for k in served["keys"])


def test_openapi_describes_the_routes(service: Service) -> None:
    spec = httpx.get(f"{service.url}/openapi.json", timeout=10)
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/healthz", "/v1/records", "/v1/submissions", "/.well-known/jwks.json"} <= set(paths)
    push = paths["/v1/records"]["post"]
    assert {p["name"] for p in push["parameters"] if p["in"] == "header"} == {
        "X-Gateway-Timestamp", "X-Gateway-Delivery", "X-Gateway-Signature",
    }
    schema = push["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["records"] and schema["additionalProperties"] is False
    assert {"401", "409", "413", "422", "429"} <= set(push["responses"])


def test_serve_delivers_waiting_entries_in_the_background_without_a_new_push(
    tmp_path: Path,
) -> None:
    """An entry written while the insurer was down goes out once it is back, with no push."""
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    config = write_config(
        tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer,
        insurer_url="http://127.0.0.1:9",  # discard port: nothing listens
    )
    settings = load_settings(config)
    runtime = build_runtime(settings)
    with open_store(settings) as store:
        from gateway.ingest import to_item

        items = [to_item(r, load_mapping_for("generic"), source="erp", row=i)
                 for i, r in enumerate(_sample_rows()[:8], 1)]
        Pipeline(runtime, store).process({"erp": items})
        (waiting,) = store.pending_submissions()
        insurer_server = serve_in_thread(create_app(load_config(insurer.config_path)))
        try:
            up = settings.model_copy(
                update={"insurer": settings.insurer.model_copy(
                    update={"url": insurer_server.base_url})}
            )

            def deliver(pipeline: Pipeline) -> None:
                with insurer_client(up) as client:
                    pipeline.deliver(client)

            app = create_gateway_app(
                runtime, store, mapping=load_mapping_for("generic"), deliver=deliver,
                webhook_secret=SECRET, retry_every_s=0.2,
            )
            gateway_server = serve_in_thread(app)
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    entry = store.get_submission(waiting.submission_id)
                    if entry is not None and entry.status is SubmissionStatus.DELIVERED:
                        break
                    time.sleep(0.1)
            finally:
                gateway_server.stop()
            entry = store.get_submission(waiting.submission_id)
            assert entry is not None and entry.status is SubmissionStatus.DELIVERED
            assert entry.attempts == 1  # sent once, by the background pass
            count = httpx.get(insurer_server.base_url + "/v1/submissions", timeout=10).json()
            assert [s["submission_id"] for s in count] == [waiting.submission_id]
        finally:
            insurer_server.stop()


@pytest.mark.parametrize(
    "secret", ["short-but-set-0123", "REPLACE_ME-" + "q1w2e3r4t5y6u7i8o9p0" * 2]
)
def test_serve_refuses_to_start_with_a_short_or_placeholder_secret(
    tmp_path: Path, secret: str
) -> None:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    config = write_config(tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_WEBHOOK_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", "9"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode != 0
    assert "GATEWAY_WEBHOOK_SECRET" in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    assert "Uvicorn running" not in done.stdout + done.stderr

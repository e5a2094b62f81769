"""The gateway's own HTTP service (``gateway serve``) over real loopback HTTP.

Real parts throughout: keys generated here, a 2048-bit reference insurer served by uvicorn on a
loopback port, the runtime built from a configuration file, an SQLite store, the gateway app
served by uvicorn on another loopback port. Records are the shipped sample export, pushed as
the ``generic`` mapping's column names.
"""

from __future__ import annotations

import csv
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
from gateway.keys import GatewayKeyPaths, generate_gateway_keys, load_jwks_file
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app as create_gateway_app
from gateway.settings import Settings, load_settings
from gateway.store import SqliteStore, SubmissionStatus

EXPORTER = "exporter-service"
TOKEN = "s3rvice-test-token-" + "x" * 16
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Service:
    url: str
    insurer_url: str
    settings: Settings
    keys: GatewayKeyPaths
    store: SqliteStore


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
                mapping=load_mapping_for("generic"), deliver=deliver, webhook_token=TOKEN,
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
    response = httpx.post(
        f"{service.url}/v1/records", json={"source": "erp-push", "records": rows},
        headers=AUTH, timeout=60,
    )
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
    response = httpx.post(
        f"{service.url}/v1/records", json={"records": rows}, headers=AUTH, timeout=60
    )
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


def test_openapi_describes_the_routes(service: Service) -> None:
    spec = httpx.get(f"{service.url}/openapi.json", timeout=10)
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/healthz", "/v1/records", "/v1/submissions", "/.well-known/jwks.json"} <= set(paths)
    assert "post" in paths["/v1/records"]


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
                webhook_token=TOKEN, retry_every_s=0.2,
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

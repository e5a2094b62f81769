"""Pushing a stored release to the insurer: what is sent, and what a failure leaves behind.

The receiving end is a real HTTP server on loopback (``hub_support.Receiver``) standing in for
the insurer's ``POST /v1/hub-releases``, so the push is tested on its own; the full path with
verification and decryption is in tests/integration/test_hub.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey
from gateway.errors import ConfigError, DeliveryError
from gateway.examples.insurer_api import serve_in_thread
from gateway.hub.operations import accept_contribution, push_period, release_period
from gateway.hub.push import make_push_client, push_release
from gateway.hub.runtime import HubRuntime
from gateway.hub.store import HubStore
from tests.unit.hub.hub_support import (
    NOW,
    PERIOD,
    Receiver,
    bk,
    free_port,
    make_exporters,
    make_hub,
    receiver_app,
    register,
    serve_hub,
)


def released_hub(
    root: Path, paillier: PaillierPrivateKey, url: str | None
) -> tuple[HubRuntime, HubStore]:
    runtime, store = make_hub(root, paillier.public_key, k=2, insurer_url=url)
    exporters = make_exporters(2)
    register(store, *exporters)
    for e in exporters:
        jws = e.contribution({bk("B1"): 10}, runtime.paillier)
        accept_contribution(jws, store=store, runtime=runtime, now=NOW)
    release_period(store, runtime, PERIOD, now=NOW)
    return runtime, store


def test_the_release_is_sent_as_jose_with_its_id_as_idempotency_key(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    receiver = Receiver()
    with serve_in_thread(receiver_app(receiver)) as server:
        runtime, store = released_hub(tmp_path, paillier_keypair, server.base_url)
        with make_push_client() as client:
            pushed = push_period(store, runtime, PERIOD, client=client, now=NOW + 5)
    [(headers, body)] = receiver.received
    stored = store.release_of(PERIOD)
    assert stored is not None
    assert body == stored.jws.encode()
    assert headers["content-type"] == "application/jose"
    assert headers["idempotency-key"] == stored.jti
    assert (pushed.pushed_at, pushed.push_attempts, pushed.push_error) == (NOW + 5, 1, None)


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (400, False)])
def test_a_refusal_is_a_delivery_error_and_is_recorded(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, status: int, retryable: bool,
) -> None:
    receiver = Receiver(status=status)
    with serve_in_thread(receiver_app(receiver)) as server:
        runtime, store = released_hub(tmp_path, paillier_keypair, server.base_url)
        with make_push_client() as client, pytest.raises(DeliveryError) as failed:
            push_period(store, runtime, PERIOD, client=client, now=NOW + 5)
    assert (failed.value.status_code, failed.value.retryable) == (status, retryable)
    stored = store.release_of(PERIOD)
    assert stored is not None
    assert (stored.pushed_at, stored.push_attempts) == (None, 1)
    assert stored.push_error == f"insurer answered {status} to the release"


def test_an_unreachable_insurer_leaves_the_release_stored_and_retriable(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    port = free_port()
    runtime, store = released_hub(tmp_path, paillier_keypair, f"http://127.0.0.1:{port}")
    with make_push_client() as client, pytest.raises(DeliveryError, match="unreachable"):
        push_period(store, runtime, PERIOD, client=client, now=NOW)
    receiver = Receiver()
    with serve_in_thread(receiver_app(receiver), port=port), make_push_client() as client:
        push_period(store, runtime, PERIOD, client=client, now=NOW + 60)
    stored = store.release_of(PERIOD)
    assert stored is not None and stored.pushed_at == NOW + 60 and stored.push_attempts == 2
    assert receiver.received[0][1] == stored.jws.encode()


def test_pushing_needs_a_url_and_a_release(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    runtime, store = released_hub(tmp_path / "a", paillier_keypair, None)
    with make_push_client() as client, pytest.raises(ConfigError, match="insurer_url"):
        push_period(store, runtime, PERIOD, client=client, now=NOW)
    url = f"http://127.0.0.1:{free_port()}"
    runtime, store = released_hub(tmp_path / "b", paillier_keypair, url)
    with make_push_client() as client, pytest.raises(ConfigError, match="no release to push"):
        push_period(store, runtime, "2026-06", client=client, now=NOW)
    with make_push_client() as client, pytest.raises(DeliveryError, match="unreachable"):
        push_release(f"http://127.0.0.1:{free_port()}", "a.b.c", "rel_" + "0" * 32, client=client)


def test_the_release_endpoint_reports_a_failed_push_and_keeps_the_release(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    port = free_port()
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key, k=2,
                              insurer_url=f"http://127.0.0.1:{port}")
    exporters = make_exporters(2)
    register(store, *exporters)
    with serve_hub(runtime, store) as hub:
        for e in exporters:
            assert hub.contribute(e.contribution({bk("B1"): 10}, runtime.paillier)).status_code \
                == 201
        answer = hub.release()
    assert answer.status_code == 201
    assert answer.json()["pushed"] is False
    assert "unreachable" in answer.json()["push_error"]
    stored = store.release_of(PERIOD)
    assert stored is not None and stored.jti == answer.json()["jti"]
    assert (stored.pushed_at, stored.push_attempts) == (None, 1)

"""Attacks on the operator's release action and the read endpoints, over real loopback HTTP.

A release closes a period and sends totals to the insurer: only the operator's bearer token may
trigger it. Each refused attempt must leave the period open and every total unchanged (stored
sums and row counts compared before and after). Tokens are compared in constant time
(gateway/hub/runtime.py); the reader token may read but never release.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey
from gateway.hub.runtime import HubRuntime, read_token
from tests.unit.hub.hub_support import (
    PERIOD,
    READER_TOKEN,
    RELEASE_TOKEN,
    RunningHub,
    bk,
    make_exporters,
    make_hub,
    register,
    serve_hub,
    sums_snapshot,
    table_counts,
)


@pytest.fixture
def hub(tmp_path: Path, paillier_keypair: PaillierPrivateKey) -> Iterator[RunningHub]:
    """A hub with a reader token too; two exporters contributed to one bucket (k = 2)."""
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key, k=2)
    runtime = HubRuntime(runtime.settings, runtime.signing_key, runtime.paillier,
                         release_token=runtime.release_token,
                         reader_token=read_token("READER", {"READER": READER_TOKEN}))
    exporters = make_exporters(2)
    register(store, *exporters)
    with serve_hub(runtime, store) as running:
        for exporter in exporters:
            jws = exporter.contribution({bk("DE-0001"): 700_000_123_456}, runtime.paillier)
            assert running.contribute(jws).status_code == 201
        yield running


def assert_nothing_released(hub: RunningHub, before: tuple[object, object]) -> None:
    assert (sums_snapshot(hub.store), table_counts(hub.store.path)) == before
    assert hub.store.release_of(PERIOD) is None


@pytest.mark.parametrize(
    "token",
    [None, "wrong-" + RELEASE_TOKEN[6:], RELEASE_TOKEN[:-1], RELEASE_TOKEN + "x",
     RELEASE_TOKEN.upper(), READER_TOKEN],
    ids=["none", "wrong", "prefix", "longer", "case", "reader_token"],
)
def test_hub_release_without_the_operator_token_is_refused(
    hub: RunningHub, token: str | None,
) -> None:
    before = (sums_snapshot(hub.store), table_counts(hub.store.path))
    answer = hub.release(token=token)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert RELEASE_TOKEN not in answer.text
    assert_nothing_released(hub, before)
    assert hub.release().status_code == 201  # the operator still can


def test_hub_release_endpoint_without_a_configured_token_is_disabled(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key, k=2)
    bare = HubRuntime(runtime.settings, runtime.signing_key, runtime.paillier)
    exporters = make_exporters(2)
    register(store, *exporters)
    with serve_hub(bare, store) as running:
        for exporter in exporters:
            assert running.contribute(exporter.contribution({bk("DE-1"): 5},
                                                            bare.paillier)).status_code == 201
        before = (sums_snapshot(store), table_counts(store.path))
        assert running.release(token=RELEASE_TOKEN).status_code == 503
        assert running.release(token=None).status_code == 503
        assert_nothing_released(running, before)


@pytest.mark.parametrize("path", [f"/v1/periods/{PERIOD}", f"/v1/releases/{PERIOD}"])
def test_hub_read_endpoints_need_a_token(hub: RunningHub, path: str) -> None:
    assert hub.release().status_code == 201
    assert hub.get(path, token=None).status_code == 401
    assert hub.get(path, token="not-" + READER_TOKEN).status_code == 401
    assert hub.get(path, token=READER_TOKEN).status_code == 200
    assert hub.get(path, token=RELEASE_TOKEN).status_code == 200


def test_hub_answers_carry_the_security_headers(hub: RunningHub) -> None:
    answer = hub.get(f"/v1/periods/{PERIOD}", token=None)
    for name, value in (("x-content-type-options", "nosniff"), ("cache-control", "no-store"),
                        ("x-frame-options", "DENY")):
        assert answer.headers[name] == value
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_hub_rejects_a_malformed_period_before_any_work(hub: RunningHub) -> None:
    before = (sums_snapshot(hub.store), table_counts(hub.store.path))
    for period in ("2026-13", "2026-5", "..%2F..", "2026-05;DROP"):
        assert hub.release(period=period).status_code in (404, 422)
    assert_nothing_released(hub, before)

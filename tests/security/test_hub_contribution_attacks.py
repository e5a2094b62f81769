"""Attacks on the hub's contribution endpoint, one test each, over real loopback HTTP.

Every refused contribution must leave every total as it was: the stored sums (ciphertexts and
contributor counts) and every table's row count are compared before and after, and the refusal
never echoes a value from the token (bucket keys are trade secrets). Real keys, a real hub
directory and SQLite store, uvicorn on a loopback port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPrivateKey, generate_paillier_keypair, generate_signing_key
from gateway.hub.contribution import CONTRIBUTION_TYP, BucketKey
from tests.support import jws_payload
from tests.unit.hub.hub_support import (
    NOW,
    Exporter,
    RunningHub,
    bk,
    make_exporters,
    make_hub,
    register,
    serve_hub,
    sums_snapshot,
    table_counts,
)

SECRET_BUYER = "ic:ZEPHYR-CANARY-77"
MAX_BODY = 65_536
BOOK: dict[BucketKey, int] = {bk(SECRET_BUYER): 4_200_000, bk("DE-0002"): 1_000}


@pytest.fixture
def hub(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> Iterator[tuple[RunningHub, list[Exporter]]]:
    """A hub with three registered exporters; exporters 1 and 2 have contributed. Bodies are
    bounded at 64 KiB (a two-bucket contribution is about 3 KiB)."""
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key, k=2,
                              max_contribution_bytes=MAX_BODY)
    exporters = make_exporters(3)
    register(store, *exporters)
    with serve_hub(runtime, store) as running:
        for exporter in exporters[:2]:
            answer = running.contribute(exporter.contribution(BOOK, runtime.paillier))
            assert answer.status_code == 201, answer.text
        yield running, exporters


class Unchanged:
    """Snapshot of every total and row count; ``check()`` asserts nothing moved."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        self.sums = sums_snapshot(hub.store)
        self.counts = table_counts(hub.store.path)
        assert self.sums, "the hub holds totals to protect"

    def check(self, answer: httpx.Response, status: int) -> None:
        assert answer.status_code == status, answer.text
        assert SECRET_BUYER.split(":")[1] not in answer.text
        assert sums_snapshot(self.hub.store) == self.sums
        assert table_counts(self.hub.store.path) == self.counts


def test_hub_contribution_signed_by_another_registered_exporter_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    """Exporter 3 signs a contribution that claims to come from exporter 1."""
    running, exporters = hub
    unchanged = Unchanged(running)
    impostor = Exporter(exporters[0].exporter_id, exporters[2].key)
    unchanged.check(running.contribute(impostor.contribution(BOOK, running.runtime.paillier)),
                    401)


def test_hub_contribution_with_a_forged_signature_is_refused(
    hub: tuple[RunningHub, list[Exporter]], forge_jws: Callable[..., str],
) -> None:
    """Exporter 3's genuine payload, its kid in the header, signed by someone else's key."""
    running, exporters = hub
    unchanged = Unchanged(running)
    genuine = exporters[2].contribution(BOOK, running.runtime.paillier)
    header = {"alg": "EdDSA", "kid": exporters[2].key.kid, "typ": CONTRIBUTION_TYP}
    forged = forge_jws(header, canonical_json(jws_payload(genuine)), generate_signing_key())
    answer = running.contribute(forged)
    unchanged.check(answer, 401)
    assert "signature does not verify" in answer.json()["detail"]


def test_hub_contribution_replayed_is_refused(hub: tuple[RunningHub, list[Exporter]]) -> None:
    running, exporters = hub
    jws = exporters[2].contribution(BOOK, running.runtime.paillier)
    assert running.contribute(jws).status_code == 201
    unchanged = Unchanged(running)
    again = running.contribute(jws)
    unchanged.check(again, 409)
    assert again.json()["code"] == "replayed"


def test_hub_contribution_rekeyed_with_an_unregistered_key_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    """Exporter 3's id with a fresh key the hub never registered."""
    running, exporters = hub
    unchanged = Unchanged(running)
    rekeyed = Exporter(exporters[2].exporter_id, generate_signing_key())
    answer = running.contribute(rekeyed.contribution(BOOK, running.runtime.paillier))
    unchanged.check(answer, 401)
    assert "unknown signing key" in answer.json()["detail"]


def test_hub_contribution_under_another_paillier_key_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    """Ciphertexts under another key (its own fingerprint) would add garbage to the sums."""
    running, exporters = hub
    unchanged = Unchanged(running)
    other = generate_paillier_keypair(2048).public_key
    answer = running.contribute(exporters[2].contribution(BOOK, other))
    unchanged.check(answer, 401)
    assert "fingerprint" in answer.json()["detail"]


def test_hub_second_contribution_for_the_same_period_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    running, exporters = hub
    unchanged = Unchanged(running)
    answer = running.contribute(exporters[0].contribution({bk("DE-0009"): 5},
                                                          running.runtime.paillier))
    unchanged.check(answer, 409)
    assert answer.json()["code"] == "already_contributed"


def test_hub_contribution_after_release_is_refused(hub: tuple[RunningHub, list[Exporter]]) -> None:
    """A late contribution would let the insurer difference two releases of one period."""
    running, exporters = hub
    assert running.release().status_code == 201
    unchanged = Unchanged(running)
    answer = running.contribute(exporters[2].contribution(BOOK, running.runtime.paillier))
    unchanged.check(answer, 409)
    assert answer.json()["code"] == "period_closed"


def test_hub_contribution_oversize_body_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    """Declared too long, or streamed (chunked, no length) past the bound: 413 either way."""
    running, _ = hub
    limit = running.runtime.settings.max_contribution_bytes
    assert limit == MAX_BODY
    unchanged = Unchanged(running)
    unchanged.check(running.contribute(b"a" * (limit + 1)), 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65_536 + 2):
            yield b"a" * 65_536

    streamed = httpx.post(f"{running.url}/v1/contributions", content=chunks(),
                          headers={"Content-Type": "application/jose"}, timeout=60)
    unchanged.check(streamed, 413)


def test_hub_contribution_for_another_hub_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    running, exporters = hub
    unchanged = Unchanged(running)
    answer = running.contribute(exporters[2].contribution(BOOK, running.runtime.paillier,
                                                          hub_id="hub-elsewhere"))
    unchanged.check(answer, 401)


def test_hub_contribution_stale_is_refused(hub: tuple[RunningHub, list[Exporter]]) -> None:
    running, exporters = hub
    unchanged = Unchanged(running)
    max_age = running.runtime.settings.contribution_max_age_s
    stale = exporters[2].contribution(BOOK, running.runtime.paillier, now=NOW - max_age - 1)
    unchanged.check(running.contribute(stale), 401)


def test_hub_contribution_from_an_unregistered_exporter_is_refused(
    hub: tuple[RunningHub, list[Exporter]],
) -> None:
    running, _ = hub
    unchanged = Unchanged(running)
    stranger = Exporter("exporter-stranger", generate_signing_key())
    unchanged.check(running.contribute(stranger.contribution(BOOK, running.runtime.paillier)),
                    401)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"\xff\xfe not ascii", "application/jose", 422),
        (b"not.a.jws", "application/jose", 401),
        (b"{}", "application/json", 415),
    ],
    ids=["binary", "garbage", "wrong_media_type"],
)
def test_hub_contribution_malformed_body_is_refused(
    hub: tuple[RunningHub, list[Exporter]], body: bytes, content_type: str, status: int,
) -> None:
    running, _ = hub
    unchanged = Unchanged(running)
    answer = httpx.post(f"{running.url}/v1/contributions", content=body,
                        headers={"Content-Type": content_type}, timeout=30)
    unchanged.check(answer, status)

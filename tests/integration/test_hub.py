"""The hub end to end over real loopback HTTP: five exporters contribute, the operator
releases, the hub pushes the signed release to the reference insurer, and what the insurer's
key decrypts equals the plaintext sums across exporters, with no bucket under k released alone.

Real parts only: ``init_hub``'s directory and keys, the hub's SQLite store, uvicorn serving the
hub and the reference insurer (examples/insurer_api) on loopback ports, Ed25519 keys generated
here and the session's 2048-bit Paillier keypair, whose private half only the insurer (and this
test, to check the totals) holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.crypto import PaillierPrivateKey, generate_signing_key
from gateway.examples.insurer_api import InsurerConfig, create_app, serve_in_thread
from gateway.hub.contribution import BucketKey
from gateway.hub.release import verify_release
from tests.unit.hub.hub_support import (
    HUB_ID,
    INSURER_ID,
    NOW,
    PERIOD,
    Exporter,
    RunningHub,
    bk,
    free_port,
    load_hub,
    make_exporters,
    register,
    serve_hub,
    write_hub,
)

B1, B2, B3 = bk("DE-0001"), bk("DE-0002"), bk("DE-0003")
B4 = bk("DE-0004", month="2026-09")
B5, B6 = bk("US-0005", "US", "USD"), bk("JP-0006", "JP", "JPY")
#: Each exporter's plaintext totals (minor units). B1 has 4 exporters, B2 exactly k = 3, B3 and
#: B4 fold into a DE/EUR remainder of 3 distinct exporters, US/USD (2) and JP/JPY (1) stay
#: below k and are suppressed.
BOOKS: dict[str, dict[BucketKey, int]] = {
    "exporter-1": {B1: 1_250_000_00, B2: 310_000_00, B3: 45_000_00},
    "exporter-2": {B1: 980_500_25, B2: 12_000_00, B3: 7_500_50},
    "exporter-3": {B1: 15_000_00, B2: 99_999_99, B6: 5_000_000},
    "exporter-4": {B1: 4_400_00, B5: 81_000_00},
    "exporter-5": {B4: 66_600_00, B5: 2_000_00},
}


@pytest.fixture
def world(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey
) -> Iterator[tuple[RunningHub, list[Exporter], str]]:
    """The reference insurer on loopback trusting the hub's JWKS, the hub pushing to it, five
    registered exporters."""
    port = free_port()
    config = write_hub(tmp_path, paillier_keypair.public_key, k=3,
                       insurer_url=f"http://127.0.0.1:{port}")
    insurer = InsurerConfig(
        insurer_id=INSURER_ID, receipt_key=generate_signing_key(), gateways={},
        paillier_private_key=paillier_keypair, state_path=tmp_path / "insurer.db",
        hub_id=HUB_ID, hub_jwks=json.loads((config.parent / "jwks.json").read_text()),
        hub_min_k=3,
    )
    exporters = make_exporters(5)
    runtime, store = load_hub(config)
    register(store, *exporters)
    with serve_in_thread(create_app(insurer), port=port) as insurer_server, \
            serve_hub(runtime, store) as hub:
        yield hub, exporters, insurer_server.base_url


def test_cross_exporter_totals_reach_the_insurer_and_small_buckets_never_alone(
    world: tuple[RunningHub, list[Exporter], str], paillier_keypair: PaillierPrivateKey,
) -> None:
    hub, exporters, insurer_url = world
    for exporter in exporters:
        answer = hub.contribute(exporter.contribution(BOOKS[exporter.exporter_id],
                                                      paillier_keypair.public_key))
        assert answer.status_code == 201, answer.text
        assert answer.json()["buckets"] == len(BOOKS[exporter.exporter_id])

    status = hub.get(f"/v1/periods/{PERIOD}").json()
    assert (status["status"], status["contributions"], status["buckets"],
            status["buckets_at_k"]) == ("open", 5, 6, 2)

    released = hub.release()
    assert released.status_code == 201, released.text
    assert released.json()["pushed"] is True
    assert (released.json()["buckets"], released.json()["remainders"],
            released.json()["suppressed_buckets"]) == (2, 1, 2)

    jws = hub.get(f"/v1/releases/{PERIOD}").text
    jwks = httpx.get(f"{hub.url}/.well-known/jwks.json", timeout=10).json()
    release = verify_release(jws, hub_jwks=jwks, insurer_id=INSURER_ID,
                             paillier=paillier_keypair.public_key, now=NOW, hub_id=HUB_ID)

    def plain(key: BucketKey) -> int:
        return sum(book.get(key, 0) for book in BOOKS.values())

    decrypt = paillier_keypair.decrypt
    assert {b.key: decrypt(b.ciphertext) for b in release.buckets} == {B1: plain(B1),
                                                                       B2: plain(B2)}
    assert {b.key: b.contributors for b in release.buckets} == {B1: 4, B2: 3}
    [remainder] = release.remainders
    assert (remainder.country, remainder.currency, remainder.contributors, remainder.buckets) == (
        "DE", "EUR", 3, 2)
    assert decrypt(remainder.ciphertext) == plain(B3) + plain(B4)
    released_keys = {b.key for b in release.buckets}
    assert not released_keys & {B3, B4, B5, B6}  # under k: never released alone
    assert release.suppressed_buckets == 2
    assert len(release.contributions) == 5

    report = httpx.get(f"{insurer_url}/v1/portfolio/report", params={"period": PERIOD},
                       timeout=10)
    assert report.status_code == 200  # the insurer verified, decrypted and stored the release

    late = hub.contribute(exporters[0].contribution({B5: 1}, paillier_keypair.public_key,
                                                    period=PERIOD))
    assert late.status_code == 409

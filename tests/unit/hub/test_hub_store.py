"""The hub store: one transaction per contribution, sums that are the homomorphic sums, refusals
that change nothing, closed periods, and the SQLite file's own guarantees.

Real SQLite files under ``tmp_path``, a hub directory written by ``init_hub``, real Ed25519
keys and the session's 2048-bit Paillier keypair (the test holds the insurer's private half to
check what the sums decrypt to; the hub never has it).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey, decode_ciphertext
from gateway.errors import CiphertextError, ConfigError, StoreError
from gateway.hub import _db
from gateway.hub.contribution import VerifiedContribution, verify_contribution
from gateway.hub.errors import HubConflict, NothingToRelease, UnknownExporter
from gateway.hub.operations import accept_contribution, release_period
from gateway.hub.runtime import HubRuntime
from gateway.hub.store import HubStore
from tests.support import jws_payload
from tests.unit.hub.hub_support import (
    HUB_ID,
    NOW,
    PERIOD,
    Exporter,
    bk,
    make_exporters,
    make_hub,
    register,
    sums_snapshot,
    table_counts,
)

PLAIN = {
    "exporter-1": {bk("B1"): 1_000_000, bk("B2"): 250_000, bk("B3", "US", "USD"): 77},
    "exporter-2": {bk("B1"): 3_000, bk("B2"): -500},
    "exporter-3": {bk("B1"): 12_345_678},
}


@pytest.fixture(scope="module")
def exporters() -> list[Exporter]:
    return make_exporters(4)


@pytest.fixture
def hub(
    tmp_path: Path, paillier_keypair: PaillierPrivateKey, exporters: list[Exporter]
) -> tuple[HubRuntime, HubStore]:
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key)
    register(store, *exporters)
    return runtime, store


def contribute_all(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter]
) -> dict[str, str]:
    runtime, store = hub
    sent = {}
    for exporter in exporters:
        if exporter.exporter_id in PLAIN:
            jws = exporter.contribution(PLAIN[exporter.exporter_id], runtime.paillier)
            accept_contribution(jws, store=store, runtime=runtime, now=NOW)
            sent[exporter.exporter_id] = jws
    return sent


def test_each_sum_is_the_homomorphic_sum_and_decrypts_to_the_plaintext_sum(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
    paillier_keypair: PaillierPrivateKey,
) -> None:
    sent = contribute_all(hub, exporters)
    runtime, store = hub
    n_square = runtime.paillier.n ** 2
    products: dict[object, int] = {}
    for jws in sent.values():
        for b in jws_payload(jws)["buckets"]:
            key = bk(b["buyer"], b["country"], b["currency"], b["maturity_month"])
            value = decode_ciphertext(runtime.paillier, b["ciphertext"])
            products[key] = products.get(key, 1) * value % n_square
    stored = {key: (text, count) for key, text, count in sums_snapshot(store)}
    assert set(stored) == set(products)
    for key, (text, count) in stored.items():
        assert decode_ciphertext(runtime.paillier, text) == products[key]
        expected = sum(p.get(key, 0) for p in PLAIN.values())
        assert paillier_keypair.decrypt(text) == expected
        assert count == sum(key in p for p in PLAIN.values())


def test_a_failure_midway_rolls_back_the_whole_contribution(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
) -> None:
    """Bucket B1 is added (its sum updated), then B2's ciphertext is invalid: nothing stays."""
    contribute_all(hub, exporters)
    runtime, store = hub
    before, counts = sums_snapshot(store), table_counts(store.path)
    good = decode_ciphertext(runtime.paillier, sums_snapshot(store)[0][1])
    broken = VerifiedContribution(
        exporter_id="exporter-4", jti="ctb_" + "ab" * 16, period=PERIOD, sha256="cd" * 32,
        kid=exporters[3].key.kid, buckets=((bk("B1"), good), (bk("B2"), 0)),
    )
    with pytest.raises(CiphertextError):
        store.apply(broken, runtime.paillier, received_at=NOW)
    assert sums_snapshot(store) == before
    assert table_counts(store.path) == counts


@pytest.mark.parametrize("case", ["same_jws", "same_jti", "second_for_period"])
def test_replays_and_second_contributions_are_refused_and_change_nothing(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter], case: str,
) -> None:
    sent = contribute_all(hub, exporters)
    runtime, store = hub
    before, counts = sums_snapshot(store), table_counts(store.path)
    verified = verify_contribution(
        sent["exporter-1"], jwks=exporters[0].jwks, hub_id=HUB_ID, paillier=runtime.paillier,
        now=NOW,
    )
    if case == "same_jti":  # the same jti with another body (and so another hash)
        verified = VerifiedContribution(verified.exporter_id, verified.jti, verified.period,
                                        "ef" * 32, verified.kid, verified.buckets)
    if case == "second_for_period":
        jws = exporters[0].contribution({bk("B9"): 5}, runtime.paillier)
        verified = verify_contribution(jws, jwks=exporters[0].jwks, hub_id=HUB_ID,
                                       paillier=runtime.paillier, now=NOW)
    with pytest.raises(HubConflict) as refused:
        store.apply(verified, runtime.paillier, received_at=NOW)
    assert refused.value.code == ("already_contributed" if case == "second_for_period"
                                  else "replayed")
    assert sums_snapshot(store) == before
    assert table_counts(store.path) == counts


def test_an_unregistered_exporter_is_refused_even_past_verification(
    hub: tuple[HubRuntime, HubStore],
) -> None:
    runtime, store = hub
    stranger = make_exporters(1)[0]
    stranger = Exporter("exporter-stranger", stranger.key)
    jws = stranger.contribution({bk("B1"): 5}, runtime.paillier)
    verified = verify_contribution(jws, jwks=stranger.jwks, hub_id=HUB_ID,
                                   paillier=runtime.paillier, now=NOW)
    with pytest.raises(UnknownExporter):
        store.apply(verified, runtime.paillier, received_at=NOW)
    assert table_counts(store.path)["contributions"] == 0


def test_a_release_closes_the_period(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
) -> None:
    contribute_all(hub, exporters)
    runtime, store = hub
    stored = release_period(store, runtime, PERIOD, now=NOW)
    assert (stored.buckets, stored.remainders, stored.suppressed) == (1, 0, 2)
    before = sums_snapshot(store)
    late = exporters[3].contribution({bk("B2"): 9_999}, runtime.paillier)
    with pytest.raises(HubConflict) as refused:
        accept_contribution(late, store=store, runtime=runtime, now=NOW)
    assert refused.value.code == "period_closed"
    with pytest.raises(HubConflict) as again:
        release_period(store, runtime, PERIOD, now=NOW)
    assert again.value.code == "already_released"
    assert sums_snapshot(store) == before
    assert store.release_of(PERIOD) == stored


def test_the_schema_itself_refuses_changes_to_a_closed_period(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
) -> None:
    """Defence in depth: triggers hold even for SQL that bypasses the store's checks."""
    contribute_all(hub, exporters)
    runtime, store = hub
    release_period(store, runtime, PERIOD, now=NOW)
    conn = sqlite3.connect(store.path)
    try:
        for statement in (
            "UPDATE sums SET contributors = contributors + 1",
            "INSERT INTO sums VALUES ('2026-05', 'ic:X', 'DE', 'EUR', '2026-08', 'AA', 1)",
            "INSERT INTO contributions VALUES ('ctb_x', 'exporter-4', '2026-05', 'ff', 'k', 1, 1)",
            "UPDATE releases SET jws = 'x'",
            "DELETE FROM releases",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(statement)
        conn.execute("UPDATE releases SET push_attempts = push_attempts + 1")  # allowed
    finally:
        conn.close()


def test_an_empty_period_is_not_released_and_stays_open(
    hub: tuple[HubRuntime, HubStore],
) -> None:
    runtime, store = hub
    with pytest.raises(NothingToRelease):
        release_period(store, runtime, PERIOD, now=NOW)
    assert store.release_of(PERIOD) is None


def test_registration_rules(hub: tuple[HubRuntime, HubStore], exporters: list[Exporter]) -> None:
    _, store = hub
    with pytest.raises(HubConflict) as twice:
        store.register_exporter("exporter-1", exporters[0].jwks, now=NOW)
    assert twice.value.code == "already_registered"
    with pytest.raises(ConfigError, match="already registered for another exporter"):
        store.register_exporter("exporter-9", exporters[1].jwks, now=NOW)
    with pytest.raises(ConfigError, match="JWKS refused"):
        store.register_exporter("exporter-9", {"keys": []}, now=NOW)
    with pytest.raises(ConfigError, match="exporter id"):
        store.register_exporter("bad id!", exporters[0].jwks, now=NOW)
    fresh = make_exporters(1)[0]
    store.register_exporter("exporter-1", fresh.jwks, now=NOW + 1, replace=True)
    assert store.exporter("exporter-1") is not None
    assert store.exporter("exporter-1").jwks == fresh.jwks  # type: ignore[union-attr]


def test_the_file_is_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    HubStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o640)
    with pytest.raises(StoreError, match="accessible by group or others"):
        HubStore(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    HubStore(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer than this hub understands"):
        HubStore(path)


def test_connections_use_wal_and_full_sync(tmp_path: Path) -> None:
    store = HubStore(tmp_path / "hub.sqlite3")
    with _db.connection(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_push_outcomes_are_recorded_without_touching_the_release(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
) -> None:
    contribute_all(hub, exporters)
    runtime, store = hub
    stored = release_period(store, runtime, PERIOD, now=NOW)
    failed = store.record_push(PERIOD, now=NOW + 1, error="insurer answered 503")
    assert (failed.push_attempts, failed.pushed_at, failed.push_error) == (
        1, None, "insurer answered 503")
    done = store.record_push(PERIOD, now=NOW + 2, error=None)
    assert (done.push_attempts, done.pushed_at, done.push_error) == (2, NOW + 2, None)
    assert (done.jws, done.jti, done.sha256) == (stored.jws, stored.jti, stored.sha256)


def test_the_summary_counts_without_showing_keys(
    hub: tuple[HubRuntime, HubStore], exporters: list[Exporter],
) -> None:
    contribute_all(hub, exporters)
    _, store = hub
    summary = store.summary(PERIOD, 3)
    assert (summary.contributions, summary.buckets, summary.buckets_at_k, summary.status) == (
        3, 3, 1, "open")
    assert [s.period for s in store.periods(3)] == [PERIOD]

"""``gateway contribute`` as an exporter runs it, against the real aggregation hub.

Two exporters sync the same sample export into their own real SQLite stores (real keys, the
built-in policy on the embedded engine). Exporter A holds a consortium key made with
``gateway contribute --new-consortium-key``; exporter B has none, so only its records with an
insurer buyer code have a common id. Both contribute (``python -m gateway`` in a subprocess) to
the hub app (gateway.hub.service) served on a loopback port; the insurer's 2048-bit Paillier key
is real and only this test holds its private half, to check what the hub's sums decrypt to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from gateway.cli.sync import run_sync
from gateway.devsetup import DevInsurer, create_dev_insurer, write_config
from gateway.examples.insurer_api import RunningServer, serve_in_thread
from gateway.hub.contribution import BookTotals, book_totals
from gateway.hub.runtime import load_hub_runtime
from gateway.hub.service import create_app
from gateway.hub.settings import load_hub_settings
from gateway.hub.setup import init_hub
from gateway.hub.store import HubStore
from gateway.keys import (
    GatewayKeyPaths,
    generate_gateway_keys,
    load_paillier_private_key_file,
)
from gateway.settings import load_settings
from gateway.store import SqliteStore

pytestmark = pytest.mark.slow

PERIOD = "2026-05"
HUB_ID = "hub-test"
Done = subprocess.CompletedProcess[str]


def gateway(*args: str) -> Done:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


@dataclass
class World:
    root: Path
    insurer: DevInsurer
    hub_store: HubStore
    hub: RunningServer
    config_a: Path
    config_b: Path

    def book(self, config: Path) -> BookTotals:
        return book_totals(SqliteStore(load_settings(config).store_path).hub_book())


def _exporter(
    root: Path, name: str, insurer: DevInsurer | None, sample: Path
) -> tuple[Path, tuple[GatewayKeyPaths, DevInsurer]]:
    keys = generate_gateway_keys(root / name / "keys", name)
    if insurer is None:
        insurer = create_dev_insurer(
            root / "insurer", gateway_jwks=keys.jwks, exporter_id=name, paillier_bits=2048
        )
    config = write_config(
        root / name, exporter_id=name, keys=keys, insurer=insurer, sources=[("erp", sample)],
        insurer_url="http://127.0.0.1:9",
    )
    return config, (keys, insurer)


def _add_hub(config: Path, url: str, consortium_key: Path | None) -> None:
    lines = ["", "[hub]", f'url = "{url}"', f'hub_id = "{HUB_ID}"']
    if consortium_key is not None:
        lines.append(f'consortium_key = "{consortium_key}"')
    with config.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("contribute")
    sample = root / "sample_export.csv"
    sample.write_bytes(
        resources.files("gateway.examples").joinpath("erp", "sample_export.csv").read_bytes()
    )
    config_a, (keys_a, insurer) = _exporter(root, "exporter-a", None, sample)
    config_b, (keys_b, _) = _exporter(root, "exporter-b", insurer, sample)
    made = gateway("contribute", "--new-consortium-key", str(root / "exporter-a" / "csk.key"))
    assert made.returncode == 0, made.stderr
    hub_dir = init_hub(
        root / "hub", hub_id=HUB_ID, insurer_id=insurer.insurer_id,
        insurer_paillier_key=insurer.paillier_public_key,
        fingerprint=insurer.paillier_fingerprint, k=2,
    )
    settings = load_hub_settings(hub_dir.config)
    store = HubStore(settings.store_path)
    for name, keys in (("exporter-a", keys_a), ("exporter-b", keys_b)):
        store.register_exporter(name, json.loads(keys.jwks.read_text()), now=0)
    server = serve_in_thread(create_app(load_hub_runtime(settings, {}), store))
    try:
        _add_hub(config_a, server.base_url, root / "exporter-a" / "csk.key")
        _add_hub(config_b, server.base_url, None)
        for config in (config_a, config_b):
            run_sync(load_settings(config), deliver=False, show_progress=False)
        yield World(root, insurer, store, server, config_a, config_b)
    finally:
        server.stop()


def test_new_consortium_key_is_written_owner_only(world: World) -> None:
    path = world.root / "exporter-a" / "csk.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["kid"].startswith("csk-")
    again = gateway("contribute", "--new-consortium-key", str(path))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_dry_run_shows_bucket_keys_and_counts_never_amounts(world: World) -> None:
    done = gateway("contribute", "--period", PERIOD, "--config", str(world.config_a),
                   "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    book = world.book(world.config_a)
    assert report["dry_run"] is True and "hub" not in report
    assert report["buckets"] == len(book.totals) == len(report["bucket_keys"]) > 0
    assert report["uncontributed"] == {"no_common_id": 0, "undisclosed_dimension": 0}
    listed = {(b["buyer"], b["country"], b["currency"], b["maturity_month"]): b["records"]
              for b in report["bucket_keys"]}
    assert listed == {(k.buyer, k.country, k.currency, k.maturity_month): n
                      for k, n in book.records.items()}
    assert {b[0][:3] for b in listed} == {"ic:", "cp:"}
    for total in book.totals.values():
        assert f": {total}" not in done.stdout and f"{total}," not in done.stdout
    assert world.hub_store.summary(PERIOD, 2).contributions == 0  # nothing was sent


def test_contributions_from_two_exporters_add_up_at_the_hub(world: World) -> None:
    sent_a = gateway("contribute", "--period", PERIOD, "--config", str(world.config_a), "--json")
    assert sent_a.returncode == 0, sent_a.stderr
    report_a = json.loads(sent_a.stdout)
    assert report_a["hub"]["status"] == 201
    assert report_a["hub"]["answer"]["buckets"] == report_a["buckets"]
    assert report_a["hub"]["answer"]["sha256"] == report_a["sha256"]

    sent_b = gateway("contribute", "--period", PERIOD, "--config", str(world.config_b))
    assert sent_b.returncode == 0, sent_b.stderr
    book_a, book_b = world.book(world.config_a), world.book(world.config_b)
    left_b = book_b.uncontributed["no_common_id"]
    assert left_b > 0 and f"not contributed: {left_b} records without a common buyer id" in (
        sent_b.stdout
    )
    assert f"{len(book_b.totals)} buckets" in sent_b.stdout and "hub answered HTTP 201" in (
        sent_b.stdout
    )

    private = load_paillier_private_key_file(world.insurer.directory / "paillier_private.json")
    sums = {s.key: s for s in world.hub_store.sums(PERIOD)}
    assert set(sums) == set(book_a.totals) | set(book_b.totals)
    assert set(book_b.totals) < set(book_a.totals)  # B's are the insurer-coded buyers only
    for key, stored in sums.items():
        expected = book_a.totals.get(key, 0) + book_b.totals.get(key, 0)
        assert stored.contributors == (2 if key in book_b.totals else 1)
        assert private.decrypt(stored.ciphertext) == expected


def test_a_second_contribution_for_the_period_is_refused(world: World) -> None:
    if world.hub_store.summary(PERIOD, 2).contributions == 0:  # run alone: send the first
        first = gateway("contribute", "--period", PERIOD, "--config", str(world.config_a))
        assert first.returncode == 0, first.stderr
    before = world.hub_store.summary(PERIOD, 2).contributions
    done = gateway("contribute", "--period", PERIOD, "--config", str(world.config_a))
    assert world.hub_store.summary(PERIOD, 2).contributions == before
    assert done.returncode == 2
    assert "HTTP 409" in done.stderr and "already_contributed" in done.stderr
    assert "Traceback" not in done.stderr


def test_contribute_needs_a_hub_section_and_a_month(world: World, tmp_path: Path) -> None:
    bare = tmp_path / "gateway.toml"
    text = world.config_b.read_text(encoding="utf-8").split("\n[hub]")[0]
    bare.write_text(text, encoding="utf-8")
    no_hub = gateway("contribute", "--period", PERIOD, "--config", str(bare))
    assert no_hub.returncode == 2 and "no [hub] section" in no_hub.stderr
    for period in ("2026-13", "May 2026"):
        bad = gateway("contribute", "--period", period, "--config", str(world.config_b))
        assert bad.returncode == 2 and "YYYY-MM" in bad.stderr

"""The webhook's deferred exposure snapshot, over real loopback HTTP.

A push is answered once its attachments are in the outbox; the exposure snapshot follows as a
submission of its own. Real parts: keys generated here, a 2048-bit reference insurer and the
gateway served by uvicorn on loopback ports, the runtime built from a configuration file, SQLite
stores. The snapshot's content is checked against the one an inline sync of the same records
writes (same pseudonym key, same insurer key), by its digest.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app, load_config, serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.pipeline import EXPOSURE_META, Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app as create_gateway_app
from gateway.service import sign_push
from gateway.service.push import read_push
from gateway.settings import ServiceSettings, Settings, load_settings
from gateway.store import SqliteStore, SubmissionStatus

EXPORTER = "exporter-snapshot"
SECRET = "snap-R7mQ2vX9kL4pT8zW3nB6yH1cJ5dF0gSa"
_DELIVERIES = itertools.count(1)
ROW = {
    "invoice_no": "X", "invoice_date": "2026-05-04", "ship_date": "2026-05-04",
    "buyer_name": "Acme GmbH", "buyer_country": "DE", "currency": "EUR",
    "amount": "1200.00", "payment_terms": "OA", "due_date": "2026-07-03", "hs_code": "847130",
}


def _rows(prefix: str, n: int) -> list[dict[str, str]]:
    return [{**ROW, "invoice_no": f"{prefix}-{i}", "amount": f"{1000 + i}.00"} for i in range(n)]


def _push(url: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    body = json.dumps({"records": rows}).encode()
    headers = {"Content-Type": "application/json",
               **sign_push(SECRET, body, f"snap-{next(_DELIVERIES)}")}
    answer = httpx.post(f"{url}/v1/records", content=body, headers=headers, timeout=60)
    assert answer.status_code == 202, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _poll(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(tmp_path / "insurer", gateway_jwks=keys.jwks,
                                 exporter_id=EXPORTER, paillier_bits=2048)
    with serve_in_thread(create_app(load_config(insurer.config_path))) as server:
        config = write_config(tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer,
                              insurer_url=server.base_url)
        yield load_settings(config), server.base_url


@contextmanager
def _gateway(settings: Settings, store: SqliteStore, delay_s: float) -> Iterator[str]:
    def deliver(pipeline: Pipeline) -> None:
        with insurer_client(settings) as client:
            pipeline.deliver(client)

    app = create_gateway_app(
        build_runtime(settings), store, mapping=load_mapping_for("generic"), deliver=deliver,
        webhook_secret=SECRET,
        service=ServiceSettings(snapshot_delay_s=delay_s, snapshot_max_delay_s=delay_s * 10),
    )
    with serve_in_thread(app) as server:
        yield server.base_url


def _process(settings: Settings, store: SqliteStore, rows: list[dict[str, str]],
             *, snapshot: bool) -> None:
    """Run ``rows`` through the pipeline as the webhook would, without HTTP."""
    runtime = build_runtime(settings)
    body = json.dumps({"records": rows}).encode()
    read = read_push(body, load_mapping_for("generic"), runtime.limits)
    Pipeline(runtime, store).process({read.source: read.items}, snapshot=snapshot)


def _inline_digest(settings: Settings, tmp_path: Path, rows: list[dict[str, str]]) -> str | None:
    """The snapshot digest a sync of ``rows`` with the snapshot inside the run stores."""
    other = SqliteStore(tmp_path / "inline.sqlite3")
    _process(settings, other, rows, snapshot=True)
    return other.get_meta(EXPOSURE_META)


def _exposure_of(store: SqliteStore, submission_id: str) -> dict[str, Any] | None:
    entry = store.get_submission(submission_id)
    assert entry is not None
    payload = json.loads(_b64(entry.jws.split(".")[1]))
    return payload["exposure"]  # type: ignore[no-any-return]


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_push_is_answered_without_exposure_and_the_snapshot_follows_and_is_delivered(
    setup: tuple[Settings, str], tmp_path: Path,
) -> None:
    settings, insurer_url = setup
    pushes = [_rows("A", 6), _rows("B", 6), _rows("C", 6)]
    with open_store(settings) as store, _gateway(settings, store, 0.5) as url:
        answers = [_push(url, rows) for rows in pushes]
        pushed = [s for a in answers for s in a["submissions"]]
        assert len(pushed) == 3
        assert all(_exposure_of(store, s) is None for s in pushed)

        def snapshot_stored() -> bool:
            return store.get_meta(EXPOSURE_META) is not None

        assert _poll(snapshot_stored), "no exposure snapshot followed the pushes"
        everything = [s.submission_id for s in store.list_submissions(limit=100)]
        snapshots = [s for s in everything if s not in pushed]
        assert len(snapshots) == 1, "three quick pushes are covered by one snapshot"
        exposure = _exposure_of(store, snapshots[0])
        assert exposure is not None and exposure["buckets"]
        assert store.get_meta(EXPOSURE_META) == _inline_digest(
            settings, tmp_path, [r for rows in pushes for r in rows])

        def all_delivered() -> bool:
            entries = [store.get_submission(s) for s in everything]
            return all(e is not None and e.status is SubmissionStatus.DELIVERED for e in entries)

        assert _poll(all_delivered), "the snapshot was not delivered"
        at_insurer = httpx.get(f"{insurer_url}/v1/submissions", timeout=10).json()
        assert {s["submission_id"] for s in at_insurer} == set(everything)


def test_a_snapshot_missed_by_a_stopped_service_is_sent_at_start_up(
    setup: tuple[Settings, str], tmp_path: Path,
) -> None:
    settings, _ = setup
    rows = _rows("S", 6)
    with open_store(settings) as store:
        # A push committed, then the service died before its snapshot: replayed here directly.
        _process(settings, store, rows, snapshot=False)
        assert store.get_meta(EXPOSURE_META) is None
        with _gateway(settings, store, 600):  # no push, and a long delay: only start-up
            assert _poll(lambda: store.get_meta(EXPOSURE_META) is not None)
        assert store.get_meta(EXPOSURE_META) == _inline_digest(settings, tmp_path, rows)


def test_stopping_the_service_sends_the_snapshot_a_push_left_due(
    setup: tuple[Settings, str], tmp_path: Path,
) -> None:
    settings, _ = setup
    rows = _rows("T", 6)
    with open_store(settings) as store:
        with _gateway(settings, store, 600) as url:
            _push(url, rows)
            time.sleep(0.3)
            assert store.get_meta(EXPOSURE_META) is None  # due in ten minutes
        assert store.get_meta(EXPOSURE_META) == _inline_digest(settings, tmp_path, rows)

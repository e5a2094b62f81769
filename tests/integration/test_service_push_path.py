"""The push route's order of checks and its answer, over real loopback HTTP.

The replay claim (a committed write) and the reading of the body run side by side; these tests
pin what that must not change: a replayed delivery is refused whatever its body, a fresh one
with a bad body spends its id, concurrent pushes are each processed once, and the answer comes
only once the run is committed. Real parts: the app under uvicorn, a real SQLite store, a
runtime from a real configuration (tests/security/service_support.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.pipeline import Runtime
from gateway.service import sign_push
from tests.security.service_support import (
    ROW,
    SECRET,
    Gateway,
    build_test_runtime,
    fresh_id,
    serve,
    valid_body,
)

INVALID = b'{"records": "not a list"}'


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("push-path"))


@pytest.fixture
def gateway(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    with serve(runtime, tmp_path / "gateway.sqlite3") as gw:
        yield gw


def _rows(prefix: str, count: int) -> bytes:
    rows = [{**ROW, "invoice_no": f"{prefix}-{n:03d}"} for n in range(count)]
    return json.dumps({"records": rows}).encode()


def test_a_replayed_delivery_id_is_refused_with_409_even_with_a_bad_body(
    gateway: Gateway,
) -> None:
    assert gateway.post(valid_body(), delivery_id="d-first").status_code == 202
    replay = gateway.post(INVALID, delivery_id="d-first")
    assert replay.status_code == 409
    assert replay.json() == {"detail": "delivery already received"}


def test_a_fresh_delivery_with_a_bad_body_is_refused_with_422_and_spends_its_id(
    gateway: Gateway,
) -> None:
    refused = gateway.post(INVALID, delivery_id="d-bad-body")
    assert refused.status_code == 422
    assert refused.json() == {"detail": "body is not a valid record push"}
    assert gateway.nothing_processed()
    again = gateway.post(valid_body(), delivery_id="d-bad-body")
    assert again.status_code == 409
    assert gateway.nothing_processed()


def test_concurrent_pushes_are_each_processed_once(gateway: Gateway) -> None:
    bodies = [_rows(f"CC{n}", 5) for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda body: gateway.post(body), bodies))
    assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]
    accounts = [a.json() for a in answers]
    assert all(a["read"] == 5 and a["unchanged"] == 0 for a in accounts)
    assert len({a["run_id"] for a in accounts}) == 4
    listed = {s.submission_id for s in gateway.store.list_submissions()}
    assert listed == {sub for a in accounts for sub in a["submissions"]}


def test_the_answer_comes_once_the_run_and_its_records_are_committed(
    gateway: Gateway, tmp_path: Path
) -> None:
    body = _rows("DUR", 7)
    delivery = fresh_id()
    answer = gateway.post(body, headers=sign_push(SECRET, body, delivery), signed=False)
    assert answer.status_code == 202, answer.text
    account = answer.json()
    assert account["attached"] > 0
    # A separate, read-only connection: what it sees is committed to the file.
    conn = sqlite3.connect(f"file:{tmp_path / 'gateway.sqlite3'}?mode=ro", uri=True)
    try:
        finished = conn.execute("SELECT finished_at FROM runs WHERE run_id = ?",
                                (account["run_id"],)).fetchone()
        versions = conn.execute("SELECT COUNT(*) FROM records WHERE run_id = ?",
                                (account["run_id"],)).fetchone()[0]
        outbox = conn.execute("SELECT submission_id FROM submissions WHERE run_id = ?",
                              (account["run_id"],)).fetchall()
    finally:
        conn.close()
    assert finished is not None and finished[0] is not None
    assert versions == account["attached"]
    assert sorted(row[0] for row in outbox) == sorted(account["submissions"])

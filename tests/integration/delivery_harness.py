"""The gateway side of the delivery fault tests: a controllable clock, and a real store and
pipeline delivering through the fault proxy (faults.py) to the reference insurer, with the checks
of the two end states: delivered exactly once, or dead-lettered with a reason.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.adapters.insurer import InsurerClient, make_http_client
from gateway.crypto import PaillierPrivateKey, SigningKey
from gateway.delivery import DeliveryReport, DeliverySettings
from gateway.examples.insurer_api import InsurerConfig, RunningServer
from gateway.limits import Limits
from gateway.pipeline import Pipeline, Runtime
from gateway.store import SqliteStore, SubmissionStatus
from tests.integration.faults import FaultProxy
from tests.support import default_policy_runtime, unit_record

INSURER_ID = "insurer-test"  # as in tests/integration/conftest.py
EXPORTER_A = "exporter-a"
TIMEOUT_S = 0.3  # the read timeout of tests where a timeout must really elapse
SETTINGS = DeliverySettings(
    max_attempts=4, base_delay_s=1.0, max_delay_s=8.0, breaker_threshold=5,
    breaker_cooldown_s=60.0, wait_s=0.0,
)


record = unit_record


class Clock:
    """Epoch seconds that only move when told to; ``sleep`` advances them and is recorded."""

    def __init__(self) -> None:
        self.now = time.time()  # start at real time: the insurer checks iat against its own
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        assert len(self.sleeps) < 100, "delivery kept sleeping: a wait loop does not end"
        self.sleeps.append(seconds)
        self.now += seconds


class Harness:
    """A gateway store and pipeline delivering through the proxy to the reference insurer."""

    def __init__(
        self, runtime: Runtime, path: Path, proxy: FaultProxy, insurer: RunningServer,
        insurer_state: Path,
    ) -> None:
        self.runtime, self.path, self.proxy = runtime, path, proxy
        self.insurer, self.insurer_state = insurer, insurer_state
        self.clock = Clock()
        self.store = SqliteStore(path)
        self.pipeline = Pipeline(runtime, self.store, clock=self.clock)

    def process(self, records: int = 3, chunk: int = 10) -> list[str]:
        limits = self.runtime.limits.model_copy(update={"max_attachments_per_submission": chunk})
        pipeline = Pipeline(Runtime(**{**self.runtime.__dict__, "limits": limits}), self.store,
                            clock=self.clock)
        submissions = pipeline.process({"unit": [record(i) for i in range(records)]}).submissions
        assert submissions
        return submissions

    def reopen(self) -> None:
        """A fresh store object and pipeline on the same file, as a new process would have."""
        self.store = SqliteStore(self.path)
        self.pipeline = Pipeline(self.runtime, self.store, clock=self.clock)

    def deliver(
        self, settings: DeliverySettings = SETTINGS, *, read_timeout_s: float = 5.0,
        wait: bool = False, rng: random.Random | None = None,
    ) -> DeliveryReport:
        http = make_http_client(Limits(read_timeout_s=read_timeout_s))
        with http:
            client = InsurerClient(self.proxy.base_url, client=http)
            return self.pipeline.deliver(
                client, settings=settings, wait=wait, sleep=self.clock.sleep,
                rng=rng or random.Random(7),
            )

    def retry(self, settings: DeliverySettings = SETTINGS, **kwargs: Any) -> DeliveryReport:
        """Deliver again once every backoff has surely passed."""
        self.clock.now += settings.max_delay_s + 1
        return self.deliver(settings, **kwargs)

    def insurer_receipts(self) -> dict[str, str]:
        """``submission id -> receipt id`` as the insurer stored them."""
        uri = f"file:{self.insurer_state}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            return dict(conn.execute("SELECT submission_id, receipt_id FROM submissions"))

    def listed(self) -> list[str]:
        with httpx.Client(base_url=self.insurer.base_url, timeout=10) as http:
            answer = http.get("/v1/submissions", params={"limit": 1000})
        assert answer.status_code == 200
        return [item["submission_id"] for item in answer.json()]

    def assert_delivered_once(self, sids: list[str]) -> None:
        listed = self.listed()
        assert sorted(listed) == sorted(sids) and len(set(listed)) == len(listed)
        at_insurer = self.insurer_receipts()
        for sid in sids:
            sub = self.store.get_submission(sid)
            receipt = self.store.get_receipt(sid)
            assert sub is not None and sub.status is SubmissionStatus.DELIVERED
            assert receipt is not None and receipt.receipt_id == at_insurer[sid]
        entries = self.store.ledger_entries()
        assert sorted(e.submission_id for e in entries) == sorted(sids)

    def assert_failed(self, sid: str, cause: str, *, status: SubmissionStatus) -> None:
        sub = self.store.get_submission(sid)
        assert sub is not None and sub.status is status
        assert sub.last_error is not None and cause in sub.last_error
        assert self.store.get_receipt(sid) is None
        assert sid not in {e.submission_id for e in self.store.ledger_entries()}


# -- fixtures (imported by tests/integration/conftest.py and tests/security/conftest.py) ----

@pytest.fixture
def runtime(
    exporter_a_key: SigningKey, receipt_key: SigningKey, insurer_paillier_key: PaillierPrivateKey
) -> Runtime:
    return default_policy_runtime(
        exporter_id=EXPORTER_A,
        insurer_id=INSURER_ID,
        signing_key=exporter_a_key,
        paillier_public_key=insurer_paillier_key.public_key,
        receipt_key=receipt_key,
    )


@pytest.fixture
def h(
    runtime: Runtime, tmp_path: Path, insurer_server: RunningServer, insurer_config: InsurerConfig
) -> Iterator[Harness]:
    with FaultProxy(insurer_server.base_url) as proxy:
        yield Harness(runtime, tmp_path / "gateway.sqlite3", proxy, insurer_server,
                      insurer_config.state_path)
        assert proxy.pending() == 0  # every scripted fault was used
    assert proxy.errors == []  # and the proxy itself never failed



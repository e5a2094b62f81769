"""When the webhook's deferred exposure snapshot is sent (gateway.service.snapshots).

The scheduler's ``send`` is a recording function here: what it would do (plan, seal and write a
snapshot) is covered with real parts in tests/unit/pipeline/test_deferred_snapshot.py and
tests/integration/test_service_snapshot.py. Due times use a hand-driven clock; the thread tests
use the real clock with short delays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from gateway.errors import StoreError
from gateway.service.snapshots import Outcome, SnapshotScheduler


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Send:
    """Records calls and answers from a script (then ``default``)."""

    def __init__(self, *script: Outcome | Exception, default: Outcome = "written") -> None:
        self.script = list(script)
        self.default = default
        self.calls = 0
        self.called = threading.Event()

    def __call__(self) -> Outcome:
        self.calls += 1
        self.called.set()
        step = self.script.pop(0) if self.script else self.default
        if isinstance(step, Exception):
            raise step
        return step


def _wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_snapshot_is_due_after_a_pause_and_at_the_latest_after_max_delay() -> None:
    clock = _Clock()
    scheduler = SnapshotScheduler(_Send(), delay_s=2, max_delay_s=10, clock=clock)
    assert scheduler.due_in() is None  # nothing pushed
    scheduler.touch()
    assert scheduler.due_in() == 2
    for _ in range(6):  # a push every 1.5 s: no pause long enough ...
        clock.now += 1.5
        scheduler.touch()
        assert scheduler.due_in() == pytest.approx(min(2.0, 10 - (clock.now - 1000)))
    clock.now += 1.5  # ... but 10 s after the first push it is due anyway
    scheduler.touch()
    assert scheduler.due_in() == pytest.approx(-0.5)


def test_start_sends_a_snapshot_missed_before_and_pushes_then_coalesce() -> None:
    send = _Send("current")
    scheduler = SnapshotScheduler(send, delay_s=0.3, max_delay_s=30)
    scheduler.start()
    try:
        assert _wait_for(lambda: send.calls == 1), "no snapshot check at start-up"
        assert scheduler.sent == 0  # the insurer already had it
        for _ in range(10):
            scheduler.touch()
        assert _wait_for(lambda: scheduler.sent == 1)
        time.sleep(0.5)
        assert send.calls == 2, "ten quick pushes are covered by one snapshot"
        assert scheduler.due_in() is None
    finally:
        scheduler.stop()


def test_a_stale_plan_is_tried_again_at_once() -> None:
    send = _Send("current", "stale", "stale")
    scheduler = SnapshotScheduler(send, delay_s=0.05, max_delay_s=30)
    scheduler.start()
    try:
        assert _wait_for(lambda: send.calls == 1)
        scheduler.touch()
        assert _wait_for(lambda: scheduler.sent == 1)
        assert send.calls == 4
    finally:
        scheduler.stop()


def test_a_failed_snapshot_is_logged_by_name_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    send = _Send("current", StoreError("disk full at /secret/path"))
    scheduler = SnapshotScheduler(send, delay_s=0.05, max_delay_s=30)
    with caplog.at_level(logging.WARNING, logger="gateway.service.snapshots"):
        scheduler.start()
        try:
            assert _wait_for(lambda: send.calls == 1)
            scheduler.touch()
            assert _wait_for(lambda: scheduler.sent == 1), "the failed snapshot was not retried"
        finally:
            scheduler.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["exposure snapshot failed: StoreError"]


def test_stop_sends_a_due_snapshot_before_the_service_exits() -> None:
    send = _Send("current")
    scheduler = SnapshotScheduler(send, delay_s=600, max_delay_s=600)
    scheduler.start()
    assert _wait_for(lambda: send.calls == 1)
    scheduler.touch()
    time.sleep(0.1)
    assert send.calls == 1  # not due for ten minutes ...
    scheduler.stop()
    assert send.calls == 2 and scheduler.sent == 1  # ... but the service is stopping

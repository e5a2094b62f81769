"""Sign-in throttling: pauses per key, attempts in flight, forgetting, success clearing the
user only, and a bounded table. Time is an injected clock."""

from __future__ import annotations

from gateway.auth.throttle import BUSY_RETRY_S, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, *keys: str) -> None:
    assert throttle.begin(*keys) == 0
    throttle.failed(*keys)


def test_the_pause_starts_at_the_nth_failure_and_ends_after_pause_s() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock=clock)
    for _ in range(3):
        fail(throttle, "user:kim", "addr:10.0.0.1")
    assert throttle.begin("user:kim") == 60
    clock.now += 59.5
    assert throttle.begin("user:kim") == 1
    clock.now += 0.5
    assert throttle.begin("user:kim") == 0


def test_any_paused_key_pauses_the_attempt() -> None:
    throttle = LoginThrottle(2, 30, clock=Clock())
    fail(throttle, "user:a", "addr:1")
    fail(throttle, "user:b", "addr:1")
    assert throttle.begin("user:c", "addr:1") == 30  # the address is paused
    assert throttle.begin("user:c", "addr:2") == 0


def test_parallel_attempts_count_before_they_fail() -> None:
    """A burst of guesses sent at once gets no more than ``attempts`` tries in."""
    throttle = LoginThrottle(3, 60, clock=Clock())
    started = [throttle.begin("user:kim", "addr:1") for _ in range(10)]
    assert started == [0, 0, 0] + [BUSY_RETRY_S] * 7
    for _ in range(3):
        throttle.failed("user:kim", "addr:1")
    assert throttle.begin("user:kim", "addr:2") == 60


def test_old_failures_are_forgotten() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, 60, clock=clock)
    fail(throttle, "user:kim")
    clock.now += 60
    fail(throttle, "user:kim")
    assert throttle.begin("user:kim") == 0


def test_success_clears_the_user_but_not_the_address() -> None:
    throttle = LoginThrottle(2, 60, clock=Clock())
    fail(throttle, "user:kim", "addr:1")
    assert throttle.begin("user:kim", "addr:1") == 0
    throttle.succeeded("user:kim", "addr:1")
    fail(throttle, "user:kim", "addr:1")
    assert throttle.begin("user:kim", "addr:2") == 0
    assert throttle.begin("user:lee", "addr:1") == 60


def test_the_table_stays_bounded_forgetting_expired_entries_first() -> None:
    clock = Clock()
    throttle = LoginThrottle(1, 60, clock=clock, max_keys=10)
    for i in range(8):
        fail(throttle, f"user:old{i}")
    clock.now += 61  # the old pauses are over
    fail(throttle, "user:live")
    for i in range(8):
        fail(throttle, f"user:new{i}")
    assert len(throttle._entries) <= 10
    assert not any(key.startswith("user:old") for key in throttle._entries)
    assert throttle.begin("user:live") == 60


def test_when_everything_is_live_the_newest_entries_are_kept() -> None:
    clock = Clock()
    throttle = LoginThrottle(1, 60, clock=clock, max_keys=10)
    for i in range(50):
        clock.now += 0.01
        fail(throttle, f"user:spray{i}")
    assert len(throttle._entries) <= 10
    assert throttle.begin("user:spray49") == 60
    assert throttle.begin("user:spray0") == 0
    assert len(throttle._entries) <= 10

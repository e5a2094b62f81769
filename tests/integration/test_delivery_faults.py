"""Delivery from the outbox through injected faults: one named test per fault.

Real parts throughout: the embedded Rego engine with the default policy, the gateway's SQLite
store, keys generated for the session, the reference insurer (uvicorn on loopback) and, in front
of it, a fault-injecting proxy that is itself a real loopback HTTP server (tests/integration/
faults.py). Time is a controllable clock that the delivery's ``sleep`` advances; real time
passes only where a read timeout must really elapse (0.3 s).

Every test ends in one of two states: delivered exactly once (the insurer stores the submission
once, the gateway keeps the insurer's one original receipt and one ledger entry) or dead-lettered
with a reason naming the cause (no receipt, no ledger entry).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from gateway.delivery import BREAKER_FAILURES, BREAKER_OPEN_UNTIL, retry_delay
from gateway.store import SubmissionStatus
from tests.integration.delivery_harness import SETTINGS, TIMEOUT_S, Harness
from tests.integration.faults import (
    Body,
    Hang,
    PassThrough,
    Receipt,
    Reset,
    Slow,
    Status,
    strip_signature,
)

# -- baseline -------------------------------------------------------------------------------


def test_the_proxy_passes_a_delivery_through_unchanged(h: Harness) -> None:
    sids = h.process()
    report = h.deliver()
    assert (report.delivered, report.failed, report.dead) == (1, {}, {})
    assert (h.proxy.received, h.proxy.forwarded) == (1, 1)
    h.assert_delivered_once(sids)


# -- transient faults: retried, then delivered exactly once -----------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_retried_and_delivered_once(h: Harness, status: int) -> None:
    (sid,) = h.process()
    h.proxy.script(Status(status))
    report = h.deliver()
    assert report.delivered == 0 and set(report.failed) == {sid}
    h.assert_failed(sid, f"HTTP {status}", status=SubmissionStatus.FAILED)
    assert h.listed() == []
    assert h.retry().delivered == 1
    assert (h.proxy.received, h.proxy.forwarded) == (2, 1)
    h.assert_delivered_once([sid])


def test_throttling_429_is_retried_and_delivered_once(h: Harness) -> None:
    (sid,) = h.process()
    h.proxy.script(Status(429))
    assert h.deliver().delivered == 0
    h.assert_failed(sid, "HTTP 429 (rate_limited)", status=SubmissionStatus.FAILED)
    assert h.retry().delivered == 1
    h.assert_delivered_once([sid])


def test_a_lost_response_after_the_insurer_stored_it_is_replayed_not_duplicated(
    h: Harness,
) -> None:
    (sid,) = h.process()
    h.proxy.script(Status(503, forward=True))
    assert h.deliver().delivered == 0
    assert h.listed() == [sid]  # the insurer has it; the gateway does not know
    h.assert_failed(sid, "HTTP 503", status=SubmissionStatus.FAILED)
    assert h.retry().delivered == 1
    assert h.proxy.forwarded == 2
    h.assert_delivered_once([sid])


@pytest.mark.parametrize("forward", [False, True], ids=["before-forwarding", "after-forwarding"])
def test_a_hang_past_the_read_timeout_is_retried(h: Harness, forward: bool) -> None:
    (sid,) = h.process()
    h.proxy.script(Hang(seconds=10.0, forward=forward))
    started = time.monotonic()
    assert h.deliver(read_timeout_s=TIMEOUT_S).delivered == 0
    assert TIMEOUT_S <= time.monotonic() - started < 5.0  # the client gave up, not the proxy
    h.assert_failed(sid, "timed out (ReadTimeout)", status=SubmissionStatus.FAILED)
    assert h.listed() == ([sid] if forward else [])
    assert h.retry().delivered == 1
    h.assert_delivered_once([sid])


@pytest.mark.parametrize("forward", [False, True], ids=["before-forwarding", "after-forwarding"])
def test_a_connection_reset_is_retried(h: Harness, forward: bool) -> None:
    (sid,) = h.process()
    h.proxy.script(Reset(forward=forward))
    assert h.deliver().delivered == 0
    h.assert_failed(sid, "cannot reach insurer (ReadError)", status=SubmissionStatus.FAILED)
    assert h.listed() == ([sid] if forward else [])
    assert h.retry().delivered == 1
    assert h.proxy.forwarded == (2 if forward else 1)
    h.assert_delivered_once([sid])


def test_a_slow_answer_within_the_timeout_is_delivered_at_the_first_attempt(h: Harness) -> None:
    (sid,) = h.process()
    h.proxy.script(Slow(TIMEOUT_S))
    started = time.monotonic()
    report = h.deliver(read_timeout_s=TIMEOUT_S * 5)
    assert time.monotonic() - started >= TIMEOUT_S
    assert (report.delivered, report.failed) == (1, {})
    sub = h.store.get_submission(sid)
    assert sub is not None and sub.attempts == 1
    h.assert_delivered_once([sid])


@pytest.mark.parametrize(
    ("body", "cause"),
    [(b'{"receipt": "eyJ', "not JSON"), (b'{"status": "accepted"}', "without a receipt")],
    ids=["malformed-json", "no-receipt"],
)
def test_a_success_answer_without_a_usable_receipt_is_retried(
    h: Harness, body: bytes, cause: str
) -> None:
    (sid,) = h.process()
    h.proxy.script(Body(body))
    report = h.deliver()
    assert report.delivered == 0 and report.dead == {}
    h.assert_failed(sid, cause, status=SubmissionStatus.FAILED)
    assert h.listed() == [sid]
    assert h.retry().delivered == 1
    h.assert_delivered_once([sid])


def test_timeouts_until_max_attempts_dead_letter_with_the_cause(h: Harness) -> None:
    (sid,) = h.process()
    settings = SETTINGS.model_copy(update={"max_attempts": 2})
    h.proxy.script(Hang(), Hang())
    assert h.deliver(settings, read_timeout_s=TIMEOUT_S).failed
    report = h.retry(settings, read_timeout_s=TIMEOUT_S)
    assert set(report.dead) == {sid} and report.failed == {}
    h.assert_failed(sid, "gave up after 2 attempts; last: ", status=SubmissionStatus.DEAD)
    h.assert_failed(sid, "timed out (ReadTimeout)", status=SubmissionStatus.DEAD)
    assert h.listed() == []


# -- permanent refusals: dead at once ----------------------------------------------------------


@pytest.mark.parametrize("status", [400, 422])
def test_a_permanent_refusal_is_dead_lettered_at_once(h: Harness, status: int) -> None:
    (sid,) = h.process()
    h.proxy.script(Status(status))
    report = h.deliver()
    assert set(report.dead) == {sid} and report.failed == {}
    h.assert_failed(sid, f"HTTP {status}", status=SubmissionStatus.DEAD)
    assert h.retry().delivered == 0
    assert (h.proxy.received, h.proxy.forwarded) == (1, 0)
    assert h.listed() == []


# -- circuit breaker ---------------------------------------------------------------------------


def test_the_breaker_opens_persists_in_the_store_and_closes_after_a_half_open_success(
    h: Harness,
) -> None:
    sids = h.process(records=6, chunk=2)  # three chunks, then the exposure snapshot
    assert len(sids) == 4
    settings = SETTINGS.model_copy(update={"breaker_threshold": 2, "max_attempts": 5})
    h.proxy.script(Status(503), Status(502))
    report = h.deliver(settings)
    opened_at = h.clock.now
    assert h.proxy.received == 2  # the third entry was not sent: the breaker opened
    assert report.breaker_open_until is not None
    expected = datetime.fromtimestamp(opened_at + settings.breaker_cooldown_s, UTC)
    assert abs(report.breaker_open_until - expected) < timedelta(milliseconds=1)
    for sid in sids[2:]:
        untouched = h.store.get_submission(sid)
        assert untouched is not None and untouched.attempts == 0

    h.clock.now += settings.breaker_cooldown_s / 2  # every backoff is over, the cool-down is not
    assert h.deliver(settings).breaker_open_until == report.breaker_open_until
    h.reopen()  # a new Pipeline and Courier on the same store: still open
    assert h.deliver(settings).delivered == 0
    assert h.proxy.received == 2

    h.clock.now = opened_at + settings.breaker_cooldown_s + 1  # half-open: one trial
    h.proxy.script(Status(503))
    reopened = h.deliver(settings)
    assert h.proxy.received == 3  # the trial failed: open again at once, nothing else sent
    assert reopened.breaker_open_until is not None
    assert reopened.breaker_open_until > report.breaker_open_until

    h.clock.now += settings.breaker_cooldown_s + 1  # the next trial succeeds and closes it
    closed = h.deliver(settings)
    assert closed.delivered == 4 and closed.breaker_open_until is None
    assert (h.proxy.received, h.proxy.forwarded) == (7, 4)
    assert h.store.get_meta(BREAKER_OPEN_UNTIL) is None
    assert h.store.get_meta(BREAKER_FAILURES) is None
    h.assert_delivered_once(sids)


def test_answers_that_are_not_server_failures_do_not_open_the_breaker(h: Harness) -> None:
    sids = h.process(records=6, chunk=2)
    settings = SETTINGS.model_copy(update={"breaker_threshold": 1})
    h.proxy.script(Status(400), Receipt(strip_signature), PassThrough())
    report = h.deliver(settings)
    assert report.breaker_open_until is None and h.proxy.received == 4
    assert (report.delivered, set(report.dead), set(report.failed)) == (2, {sids[0]}, {sids[1]})


# -- backoff and waiting -----------------------------------------------------------------------


def test_backoff_delays_follow_seeded_full_jitter_under_the_ceiling(h: Harness) -> None:
    (sid,) = h.process()
    settings = SETTINGS.model_copy(
        update={"max_attempts": 6, "breaker_threshold": 100, "wait_s": 3600.0}
    )
    h.proxy.script(*[Status(503)] * 5)
    report = h.deliver(settings, wait=True, rng=random.Random(2024))
    assert (report.delivered, report.failed) == (1, {})
    assert h.proxy.received == 6
    ceilings = [min(settings.max_delay_s, settings.base_delay_s * 2**n) for n in range(5)]
    assert ceilings == sorted(ceilings) and ceilings[-1] == settings.max_delay_s
    replay = random.Random(2024)
    expected = [retry_delay(n, settings, replay) for n in range(1, 6)]
    assert h.clock.sleeps == pytest.approx(expected, abs=1e-5)
    assert all(0 <= s <= c for s, c in zip(h.clock.sleeps, ceilings, strict=True))
    h.assert_delivered_once([sid])


def test_wait_delivers_after_a_transient_outage_within_wait_s(h: Harness) -> None:
    (sid,) = h.process()
    settings = SETTINGS.model_copy(update={"wait_s": 30.0})
    h.proxy.script(Status(503), Reset(), Status(429))
    report = h.deliver(settings, wait=True)
    assert (report.delivered, report.failed, report.dead, report.waiting) == (1, {}, {}, 0)
    assert len(h.clock.sleeps) == 3 and sum(h.clock.sleeps) <= settings.wait_s
    assert h.proxy.received == 4
    h.assert_delivered_once([sid])


def test_wait_sleeps_through_the_breaker_cool_down(h: Harness) -> None:
    sids = h.process(records=6, chunk=2)
    settings = SETTINGS.model_copy(
        update={"breaker_threshold": 2, "breaker_cooldown_s": 20.0, "wait_s": 60.0}
    )
    h.proxy.script(Status(503), Status(503))
    started = h.clock.now
    report = h.deliver(settings, wait=True)
    assert (report.delivered, report.failed) == (4, {})
    assert h.clock.sleeps and h.clock.now - started == pytest.approx(20.0, abs=1e-3)
    assert h.proxy.received == 6
    h.assert_delivered_once(sids)


def test_wait_gives_up_at_wait_s_and_reports_what_is_left(h: Harness) -> None:
    (sid,) = h.process()
    settings = SETTINGS.model_copy(update={"wait_s": 5.0, "max_attempts": 50})
    h.proxy.default = Status(503)  # an outage longer than the wait
    started = h.clock.now
    report = h.deliver(settings, wait=True)
    assert report.delivered == 0 and set(report.failed) == {sid} and report.waiting == 1
    assert h.proxy.received == len(h.clock.sleeps) + 1 >= 2
    assert h.clock.now - started <= settings.wait_s
    sub = h.store.get_submission(sid)
    assert sub is not None and sub.next_attempt_at is not None
    assert sub.next_attempt_at.timestamp() > started + settings.wait_s  # why it stopped
    assert h.listed() == []
    h.assert_failed(sid, "HTTP 503", status=SubmissionStatus.FAILED)

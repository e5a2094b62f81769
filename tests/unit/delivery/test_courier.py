"""The courier's retry schedule, dead letter, circuit breaker and waiting, without HTTP.

Real SQLite store in tmp_path and real Ed25519 receipts. The insurer is a scripted stand-in
(``_Sink``): these tests are about the courier's decisions, which need exact sequences of
answers; the same behaviours over real loopback HTTP with a fault-injecting proxy in front of
the reference insurer are in tests/integration/test_delivery_faults.py.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean

import pytest

from gateway.crypto import b64url_encode, generate_signing_key
from gateway.delivery import (
    BREAKER_FAILURES,
    BREAKER_OPEN_UNTIL,
    Courier,
    DeliveryReport,
    DeliverySettings,
    ReceiptCheck,
    retry_delay,
)
from gateway.errors import DeliveryError
from gateway.sign import build_jwks, sign_receipt
from gateway.store import SqliteStore, Submission, SubmissionStatus

EXPORTER, INSURER = "exporter-unit", "insurer-unit"
RECEIPT_KEY = generate_signing_key()
SETTINGS = DeliverySettings(
    max_attempts=5, base_delay_s=1.0, max_delay_s=8.0, breaker_threshold=3,
    breaker_cooldown_s=60.0, wait_s=0.0,
)
# The courier reads only the ledger head from its own stored JWS.
STORED_JWS = "e30." + b64url_encode(b'{"ledger":null}') + ".c2ln"

# An error to raise, "ok" (a genuine receipt), "unsigned", or "foreign" (signed with the
# insurer's key but issued in another insurer's name).
Answer = DeliveryError | str


def _unavailable() -> DeliveryError:
    return DeliveryError("insurer answered HTTP 503 (unavailable)", status_code=503)


class _Sink:
    """Scripted stand-in insurer: answers in order, then ``default``; counts every call."""

    def __init__(self, store: SqliteStore, *answers: Answer, default: Answer = "ok") -> None:
        self.store, self.answers, self.default = store, list(answers), default
        self.calls: list[str] = []

    def submit(self, submission_id: str, jws: str) -> str:
        self.calls.append(submission_id)
        answer = self.answers.pop(0) if self.answers else self.default
        if isinstance(answer, DeliveryError):
            raise answer
        if answer == "unsigned":
            return "e30.e30."
        issuer = "insurer-elsewhere" if answer == "foreign" else INSURER
        sub = self.store.get_submission(submission_id)
        assert sub is not None
        return sign_receipt(
            {
                "schema": "ecg.receipt/1", "jti": "rcpt_" + secrets.token_hex(16),
                "iss": issuer, "aud": EXPORTER, "iat": int(time.time()),
                "submission_id": submission_id, "payload_sha256": sub.payload_sha256,
                "status": "accepted", "attachments": 1, "buckets": 0, "ledger": None,
            },
            RECEIPT_KEY,
        )


class _Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0 and len(self.sleeps) < 100
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "store.sqlite3")


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


def _outbox(store: SqliteStore, n: int) -> list[str]:
    run_id = "run_" + secrets.token_hex(16)
    store.begin_run(run_id)
    sids = []
    for i in range(n):
        sid = "sub_" + secrets.token_hex(16)
        store.put_submission(
            sid, run_id=run_id, sequence=i, jws=STORED_JWS,
            payload_sha256=hashlib.sha256(sid.encode()).hexdigest(), policy_version="ab" * 32,
        )
        sids.append(sid)
    return sids


def _courier(
    store: SqliteStore, clock: _Clock, settings: DeliverySettings = SETTINGS, seed: int = 3
) -> Courier:
    check = ReceiptCheck(build_jwks([RECEIPT_KEY]), EXPORTER, INSURER)
    return Courier(store, check, settings, clock=clock, sleep=clock.sleep,
                   rng=random.Random(seed))


# -- retry_delay -------------------------------------------------------------------------------


def test_retry_delay_is_full_jitter_under_a_doubling_capped_ceiling() -> None:
    rng = random.Random(11)
    means = []
    for attempt in range(1, 8):
        ceiling = min(SETTINGS.max_delay_s, SETTINGS.base_delay_s * 2 ** (attempt - 1))
        draws = [retry_delay(attempt, SETTINGS, rng) for _ in range(4000)]
        assert 0 <= min(draws) < 0.02 * ceiling and 0.98 * ceiling < max(draws) <= ceiling
        assert fmean(draws) == pytest.approx(ceiling / 2, rel=0.05)
        means.append(fmean(draws))
    assert means[:4] == sorted(means[:4]) and means[3] > 4 * means[0]  # grows, doubling
    assert means[4:] == pytest.approx([SETTINGS.max_delay_s / 2] * 3, rel=0.05)  # capped


def test_retry_delay_is_reproducible_and_bounded_for_huge_attempt_numbers() -> None:
    first = [retry_delay(a, SETTINGS, random.Random(5)) for a in (1, 2, 3)]
    assert first == [retry_delay(a, SETTINGS, random.Random(5)) for a in (1, 2, 3)]
    assert 0 <= retry_delay(10_000, SETTINGS, random.Random(5)) <= SETTINGS.max_delay_s


# -- schedule and dead letter ------------------------------------------------------------------


def test_a_failed_attempt_is_rescheduled_by_the_drawn_delay(
    store: SqliteStore, clock: _Clock
) -> None:
    (sid,) = _outbox(store, 1)
    courier, replay = _courier(store, clock, seed=9), random.Random(9)
    sink = _Sink(store, _unavailable(), _unavailable())
    for attempt in (1, 2):
        courier.deliver(sink)
        sub = store.get_submission(sid)
        assert sub is not None and sub.attempts == attempt and sub.next_attempt_at is not None
        expected = clock.now + retry_delay(attempt, SETTINGS, replay)
        assert sub.next_attempt_at.timestamp() == pytest.approx(expected, abs=1e-5)
        assert courier.deliver(sink).delivered == 0 and len(sink.calls) == attempt  # not due
        clock.now = sub.next_attempt_at.timestamp()
    assert courier.deliver(sink).delivered == 1


def test_retryable_failures_are_dead_after_max_attempts(
    store: SqliteStore, clock: _Clock
) -> None:
    (sid,) = _outbox(store, 1)
    settings = SETTINGS.model_copy(update={"max_attempts": 3, "breaker_threshold": 100})
    sink = _Sink(store, default=_unavailable())
    reports = []
    for _ in range(4):
        reports.append(_courier(store, clock, settings).deliver(sink))
        clock.now += settings.max_delay_s + 1
    assert len(sink.calls) == 3
    assert reports[2].dead[sid].startswith("gave up after 3 attempts; last: DeliveryError")
    sub = store.get_submission(sid)
    assert sub is not None and sub.status is SubmissionStatus.DEAD
    assert store.ledger_entries() == []


@pytest.mark.parametrize("status", [200, 201])
def test_an_accepted_answer_without_a_receipt_is_retried_not_dead(
    store: SqliteStore, clock: _Clock, status: int
) -> None:
    """The client marks it not retryable; the insurer has stored it, so asking again is safe."""
    (sid,) = _outbox(store, 1)
    empty = DeliveryError("insurer answered without a receipt", status_code=status,
                          retryable=False)
    settings = SETTINGS.model_copy(update={"breaker_threshold": 1})
    report = _courier(store, clock, settings).deliver(_Sink(store, empty))
    assert set(report.failed) == {sid} and report.dead == {}
    assert report.breaker_open_until is None  # the insurer answered: not a breaker failure
    clock.now += settings.max_delay_s + 1
    assert _courier(store, clock, settings).deliver(_Sink(store)).delivered == 1


# -- circuit breaker ---------------------------------------------------------------------------


def test_the_breaker_opens_at_the_threshold_and_sends_nothing_while_open(
    store: SqliteStore, clock: _Clock
) -> None:
    sids = _outbox(store, 5)
    sink = _Sink(store, default=_unavailable())
    report = _courier(store, clock).deliver(sink)
    assert sink.calls == sids[:3]
    assert report.breaker_open_until == datetime.fromtimestamp(clock.now + 60.0, UTC)
    assert store.get_meta(BREAKER_FAILURES) == "3"
    clock.now += 59.0
    again = _courier(store, clock).deliver(sink)
    assert len(sink.calls) == 3 and again.breaker_open_until == report.breaker_open_until


def test_the_breaker_state_lives_in_the_store(store: SqliteStore, clock: _Clock) -> None:
    _outbox(store, 4)
    _courier(store, clock).deliver(_Sink(store, default=_unavailable()))
    fresh = SqliteStore(store.path)  # another process's view of the same file
    sink = _Sink(fresh)
    report = _courier(fresh, clock).deliver(sink)
    assert sink.calls == [] and report.breaker_open_until is not None


def test_a_failed_half_open_trial_reopens_at_once(store: SqliteStore, clock: _Clock) -> None:
    sids = _outbox(store, 4)
    _courier(store, clock).deliver(_Sink(store, default=_unavailable()))
    clock.now += 61.0
    sink = _Sink(store, default=_unavailable())
    report = _courier(store, clock).deliver(sink)
    assert sink.calls == sids[:1]  # one trial only
    assert report.breaker_open_until == datetime.fromtimestamp(clock.now + 60.0, UTC)


def test_a_successful_half_open_trial_closes_the_breaker(
    store: SqliteStore, clock: _Clock
) -> None:
    sids = _outbox(store, 4)
    _courier(store, clock).deliver(_Sink(store, default=_unavailable()))
    clock.now += 61.0
    sink = _Sink(store)
    report = _courier(store, clock).deliver(sink)
    assert sink.calls == sids and report.delivered == 4 and report.breaker_open_until is None
    assert store.get_meta(BREAKER_OPEN_UNTIL) is None and store.get_meta(BREAKER_FAILURES) is None


def test_a_success_breaks_the_run_of_consecutive_failures(
    store: SqliteStore, clock: _Clock
) -> None:
    _outbox(store, 3)
    settings = SETTINGS.model_copy(update={"breaker_threshold": 2})
    sink = _Sink(store, _unavailable(), "ok", _unavailable())
    report = _courier(store, clock, settings).deliver(sink)
    assert len(sink.calls) == 3 and report.breaker_open_until is None
    assert store.get_meta(BREAKER_FAILURES) == "1"


@pytest.mark.parametrize("answer", ["unsigned", "refused"])
def test_any_answer_from_the_insurer_breaks_the_run_of_consecutive_failures(
    store: SqliteStore, clock: _Clock, answer: str
) -> None:
    _outbox(store, 4)
    settings = SETTINGS.model_copy(update={"breaker_threshold": 3})
    refused = DeliveryError("insurer answered HTTP 422 (invalid)", status_code=422,
                            retryable=False)
    middle: Answer = refused if answer == "refused" else "unsigned"
    sink = _Sink(store, _unavailable(), _unavailable(), middle, _unavailable())
    report = _courier(store, clock, settings).deliver(sink)
    assert len(sink.calls) == 4 and report.breaker_open_until is None
    assert store.get_meta(BREAKER_FAILURES) == "1"


def test_refusals_and_bad_receipts_do_not_open_the_breaker(
    store: SqliteStore, clock: _Clock
) -> None:
    sids = _outbox(store, 3)
    settings = SETTINGS.model_copy(update={"breaker_threshold": 1})
    refused = DeliveryError("insurer answered HTTP 400 (bad_request)", status_code=400,
                            retryable=False)
    sink = _Sink(store, refused, "unsigned")
    report = _courier(store, clock, settings).deliver(sink)
    assert len(sink.calls) == 3 and report.breaker_open_until is None
    assert (set(report.dead), set(report.failed), report.delivered) == ({sids[0]}, {sids[1]}, 1)
    assert "VerificationError" in report.failed[sids[1]]


# -- waiting -----------------------------------------------------------------------------------


def test_wait_retries_until_delivered_and_reports_no_failure(
    store: SqliteStore, clock: _Clock
) -> None:
    _outbox(store, 1)
    settings = SETTINGS.model_copy(update={"wait_s": 30.0})
    sink = _Sink(store, _unavailable(), _unavailable())
    report = _courier(store, clock, settings).deliver(sink, wait=True)
    assert report == DeliveryReport(delivered=1, failed={}, dead={}, waiting=0)
    assert len(clock.sleeps) == 2 and len(sink.calls) == 3


def test_without_wait_nothing_sleeps(store: SqliteStore, clock: _Clock) -> None:
    _outbox(store, 1)
    report = _courier(store, clock).deliver(_Sink(store, _unavailable()))
    assert clock.sleeps == [] and report.waiting == 1


def test_wait_never_sleeps_past_wait_s(store: SqliteStore, clock: _Clock) -> None:
    (sid,) = _outbox(store, 1)
    settings = SETTINGS.model_copy(
        update={"wait_s": 10.0, "breaker_threshold": 100, "max_attempts": 50}
    )
    started = clock.now
    report = _courier(store, clock, settings).deliver(
        _Sink(store, default=_unavailable()), wait=True
    )
    assert clock.now - started <= 10.0 and set(report.failed) == {sid}
    sub = store.get_submission(sid)
    assert sub is not None and sub.next_attempt_at is not None
    assert sub.next_attempt_at.timestamp() > started + 10.0


def test_wait_sleeps_through_a_cool_down_that_ends_in_time(
    store: SqliteStore, clock: _Clock
) -> None:
    _outbox(store, 3)
    settings = SETTINGS.model_copy(update={"wait_s": 90.0})
    sink = _Sink(store, *[_unavailable()] * 3)
    started = clock.now
    report = _courier(store, clock, settings).deliver(sink, wait=True)
    assert report.delivered == 3 and report.failed == {}
    assert clock.now - started == pytest.approx(60.0, abs=1e-5)  # exactly the cool-down


def test_a_cool_down_past_wait_s_returns_at_once(store: SqliteStore, clock: _Clock) -> None:
    _outbox(store, 3)
    _courier(store, clock).deliver(_Sink(store, default=_unavailable()))
    settings = SETTINGS.model_copy(update={"wait_s": 30.0})
    sink = _Sink(store)
    report = _courier(store, clock, settings).deliver(sink, wait=True)
    assert clock.sleeps == [] and sink.calls == [] and report.waiting == 3
    deadline = datetime.fromtimestamp(clock.now + settings.wait_s, UTC)
    assert report.breaker_open_until is not None and report.breaker_open_until > deadline


def test_a_receipt_issued_in_another_insurers_name_is_not_accepted(
    store: SqliteStore, clock: _Clock
) -> None:
    (sid,) = _outbox(store, 1)
    report = _courier(store, clock).deliver(_Sink(store, "foreign"))
    assert report.delivered == 0 and "VerificationError" in report.failed[sid]
    assert store.get_receipt(sid) is None and store.ledger_entries() == []


# -- one submission at a time ------------------------------------------------------------------


class _LoadCountingStore(SqliteStore):
    """The real store, noting each full submission (its JWS) read, in order with the sends."""

    def __init__(self, path: Path, events: list[str]) -> None:
        super().__init__(path)
        self.events = events

    def get_submission(self, submission_id: str) -> Submission | None:
        self.events.append(f"load {submission_id}")
        return super().get_submission(submission_id)

    def pending_submissions(
        self, *, limit: int = 1000, due_at: datetime | None = None
    ) -> list[Submission]:
        self.events.append("load all")
        return super().pending_submissions(limit=limit, due_at=due_at)


def test_a_pass_loads_each_submission_just_before_sending_it_never_the_whole_outbox(
    tmp_path: Path, clock: _Clock
) -> None:
    events: list[str] = []
    store = _LoadCountingStore(tmp_path / "store.sqlite3", events)
    sids = _outbox(store, 3)

    class _Recording(_Sink):
        def submit(self, submission_id: str, jws: str) -> str:
            events.append(f"send {submission_id}")
            return super().submit(submission_id, jws)

    events.clear()
    assert _courier(store, clock).deliver(_Recording(store)).delivered == 3
    sends = [e for e in events if not e.startswith("load") or e == "load all"]
    assert "load all" not in events
    assert sends == [f"send {sid}" for sid in sids]
    for sid in sids:  # the courier's own load comes right before the send
        assert events[events.index(f"send {sid}") - 1] == f"load {sid}"


def test_a_submission_delivered_by_another_pass_meanwhile_is_not_sent_again(
    store: SqliteStore, clock: _Clock
) -> None:
    first, second = _outbox(store, 2)

    class _Racing(_Sink):
        """While the first is sent, another pass (the service's) delivers the second."""

        def submit(self, submission_id: str, jws: str) -> str:
            if submission_id == first:
                other = self.store.get_submission(second)
                assert other is not None
                store.mark_delivered(second, super().submit(second, other.jws), "rcpt_other")
            return super().submit(submission_id, jws)

    sink = _Racing(store)
    report = _courier(store, clock).deliver(sink)
    assert report.delivered == 1 and sink.calls.count(second) == 1  # only the other pass's
    delivered = store.get_submission(second)
    assert delivered is not None and delivered.status is SubmissionStatus.DELIVERED
    assert store.pending_schedule() == []

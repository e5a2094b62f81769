"""Delivery from the outbox: at-least-once, retried with backoff, guarded by a circuit breaker.

Every submission is already committed to the outbox before anything is sent, and the insurer
answers a replayed submission id with its original receipt, so sending again after any doubt
(a timeout, a reset connection, a receipt that did not verify) can never attach twice.

- **Retries**: a retryable failure (5xx, 408/425/429, timeout, connection error, a receipt that
  is missing, malformed, unsigned or signed by an unknown key) is tried again after a delay drawn
  with *full jitter*: uniform in ``[0, min(max_delay_s, base_delay_s * 2 ** (attempt - 1))]``.
- **Dead letter**: a refusal the insurer means for good (other 4xx) is dead at once; a retryable
  failure is dead after ``max_attempts`` attempts. A dead entry keeps its reason and is sent
  again only by ``gateway outbox retry``.
- **Circuit breaker**: after ``breaker_threshold`` consecutive transport or 5xx failures the
  breaker opens for ``breaker_cooldown_s``: nothing is sent, entries keep their attempt count.
  Any answer from the insurer (a receipt, a refusal, a bad receipt) resets the count. After the
  cool-down one entry is tried (half-open): an answer closes the breaker, a transport or 5xx
  failure opens it again. Its state lives in the store, so ``sync`` and ``serve`` share it.

See docs/reliability.md.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from gateway.crypto import b64url_decode
from gateway.errors import DeliveryError, VerificationError
from gateway.ledger import receipt_digest
from gateway.store import Store, Submission, SubmissionStatus
from gateway.verify import verify_receipt

BREAKER_OPEN_UNTIL = "delivery.breaker_open_until"
BREAKER_FAILURES = "delivery.consecutive_failures"
_SENDABLE = frozenset({SubmissionStatus.PENDING, SubmissionStatus.FAILED})


class InsurerSink(Protocol):
    """What delivery needs from an insurer client (adapters.insurer.client.InsurerClient)."""

    def submit(self, submission_id: str, jws: str) -> str: ...


class DeliverySettings(BaseModel):
    """``[delivery]``: how often, how patiently and for how long the outbox is retried."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=10, ge=1, le=1000)
    base_delay_s: float = Field(default=2.0, gt=0, le=3600)
    max_delay_s: float = Field(default=900.0, gt=0, le=86_400)
    breaker_threshold: int = Field(default=5, ge=1, le=1000)
    breaker_cooldown_s: float = Field(default=120.0, ge=0, le=86_400)
    wait_s: float = Field(default=60.0, ge=0, le=3600)
    serve_every_s: float = Field(default=30.0, gt=0, le=3600)


def retry_delay(attempt: int, settings: DeliverySettings, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): full jitter."""
    ceiling = min(settings.max_delay_s, settings.base_delay_s * 2.0 ** min(attempt - 1, 60))
    return rng.uniform(0.0, ceiling)


@dataclass
class DeliveryReport:
    """One delivery's outcome: what was delivered, what will be retried, what is dead."""

    delivered: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    dead: dict[str, str] = field(default_factory=dict)
    breaker_open_until: datetime | None = None
    waiting: int = 0


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt must match: the insurer's keys and who we are."""

    receipt_jwks: Mapping[str, Any]
    exporter_id: str
    insurer_id: str | None = None  # the receipt's issuer must be exactly this insurer


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Courier:
    """Delivers the outbox of one store to one insurer."""

    def __init__(
        self,
        store: Store,
        check: ReceiptCheck,
        settings: DeliverySettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._check = check
        self._settings = settings or DeliverySettings()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.SystemRandom()

    def deliver(self, sink: InsurerSink, *, wait: bool = False) -> DeliveryReport:
        """One pass over every due entry; with ``wait``, keep retrying entries that come due
        within ``wait_s`` (the breaker's cool-down included) before returning."""
        report = DeliveryReport()
        deadline = self._clock() + (self._settings.wait_s if wait else 0.0)
        while True:
            self._pass(sink, report)
            pending = self._store.pending_schedule(limit=10_000)
            report.waiting = len(pending)
            if not pending:
                break
            next_due = self._next_due([at for _, at in pending])
            if not wait or next_due > deadline:
                break
            self._sleep(max(0.0, next_due - self._clock()))
        return report

    def _next_due(self, pending: list[datetime | None]) -> float:
        due = min((at.timestamp() if at else self._clock()) for at in pending)
        open_until = self._open_until()
        return max(due, open_until.timestamp()) if open_until else due

    def _open_until(self) -> datetime | None:
        value = self._store.get_meta(BREAKER_OPEN_UNTIL)
        return None if value is None else datetime.fromisoformat(value)

    def _pass(self, sink: InsurerSink, report: DeliveryReport) -> None:
        now = _utc(self._clock())
        open_until = self._open_until()
        if open_until is not None and open_until > now:
            report.breaker_open_until = open_until
            return
        half_open = open_until is not None
        # Ids first, then one submission (its JWS can be megabytes) at a time.
        for submission_id, _ in self._store.pending_schedule(limit=10_000, due_at=now):
            sub = self._store.get_submission(submission_id)
            if sub is None or sub.status not in _SENDABLE:
                continue  # delivered or given up meanwhile (another delivery pass)
            outcome = self._attempt(sink, sub, report)
            if outcome != "transport":
                self._close_breaker()  # the insurer answered: it is up, whatever it said
            elif self._trip(half_open):
                report.breaker_open_until = self._open_until()
                return
            half_open = False

    def _attempt(self, sink: InsurerSink, sub: Submission, report: DeliveryReport) -> str:
        try:
            receipt = sink.submit(sub.submission_id, sub.jws)
            receipt_id, sent_head = self._verify(sub, receipt)
        except DeliveryError as exc:
            if exc.status_code in (200, 201):
                # Accepted, but the answer held no usable receipt (not JSON, none in it): the
                # client calls that final; asking again gets the insurer's replay of it.
                self._fail(sub, exc.diagnostics(), report, permanent=False)
                return "receipt"
            transport = exc.retryable
            self._fail(sub, exc.diagnostics(), report, permanent=not exc.retryable)
            return "transport" if transport else "refused"
        except VerificationError as exc:
            self._fail(sub, exc.diagnostics(), report, permanent=False)
            return "receipt"
        # The disclosure goes into the ledger first: appending is idempotent per submission,
        # so a crash before the outbox is closed only means the receipt is fetched again.
        self._store.append_ledger(
            submission_id=sub.submission_id,
            payload_sha256=sub.payload_sha256,
            policy_version=sub.policy_version,
            receipt_sha256=receipt_digest(receipt),
            receipt_id=receipt_id,
            ledger_anchor=(sent_head["seq"], sent_head["hash"]) if sent_head else None,
        )
        self._store.mark_delivered(sub.submission_id, receipt, receipt_id)
        report.delivered += 1
        report.failed.pop(sub.submission_id, None)  # an earlier pass of this delivery failed
        return "delivered"

    def _verify(self, sub: Submission, receipt: str) -> tuple[str, dict[str, Any] | None]:
        verified = verify_receipt(
            receipt,
            dict(self._check.receipt_jwks),
            submission_id=sub.submission_id,
            issuer=self._check.insurer_id,
            audience=self._check.exporter_id,
        )
        if verified.payload.payload_sha256 != sub.payload_sha256:
            raise VerificationError("receipt covers a different payload than the one sent")
        sent_head = sent_ledger_head(sub.jws)
        countersigned = verified.payload.ledger
        if (countersigned.model_dump() if countersigned else None) != sent_head:
            raise VerificationError("receipt countersigns a different ledger head")
        return verified.payload.jti, sent_head

    def _fail(
        self, sub: Submission, reason: str, report: DeliveryReport, *, permanent: bool
    ) -> None:
        attempt = sub.attempts + 1
        if not permanent and attempt >= self._settings.max_attempts:
            permanent = True
            reason = f"gave up after {attempt} attempts; last: {reason}"
        if permanent:
            self._store.mark_failed(sub.submission_id, reason, permanent=True)
            report.dead[sub.submission_id] = reason
            report.failed.pop(sub.submission_id, None)
            return
        delay = retry_delay(attempt, self._settings, self._rng)
        self._store.mark_failed(
            sub.submission_id,
            reason,
            next_attempt_at=_utc(self._clock()) + timedelta(seconds=delay),
        )
        report.failed[sub.submission_id] = reason

    def _trip(self, half_open: bool) -> bool:
        """Count a transport failure; open the breaker at the threshold (at once when a
        half-open trial fails). ``True`` when it opened."""
        failures = int(self._store.get_meta(BREAKER_FAILURES) or 0) + 1
        self._store.set_meta(BREAKER_FAILURES, str(failures))
        if not half_open and failures < self._settings.breaker_threshold:
            return False
        until = _utc(self._clock()) + timedelta(seconds=self._settings.breaker_cooldown_s)
        self._store.set_meta(BREAKER_OPEN_UNTIL, until.isoformat())
        return True

    def _close_breaker(self) -> None:
        if self._store.get_meta(BREAKER_FAILURES) or self._store.get_meta(BREAKER_OPEN_UNTIL):
            self._store.set_meta(BREAKER_FAILURES, None)
            self._store.set_meta(BREAKER_OPEN_UNTIL, None)


def sent_ledger_head(jws: str) -> dict[str, Any] | None:
    """The ledger head our own stored submission carried (its payload is ours: no re-verify)."""
    payload = json.loads(b64url_decode(jws.split(".")[1]))
    head = payload.get("ledger")
    return dict(head) if head else None

"""The one module that chains the stages (DESIGN.md §3).

ingest items → policy decision (batched) → transform → aggregate → encrypt → sign → outbox,
then delivery from the outbox to the insurer and receipt verification. The stages themselves do
no IO; the store and the insurer client are passed in, so this module can be driven by the CLI,
the webhook service and tests alike.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.aggregate import AggregationError, Aggregator, bucket_key
from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import PaillierPublicKey, PseudonymKey, SigningKey, encrypt_bucket_totals
from gateway.errors import AccountingError, DeliveryError, VerificationError
from gateway.ingest import Quarantined
from gateway.limits import Limits
from gateway.model import ExportRecord
from gateway.policy.decision import Decision, Outcome
from gateway.policy.engine import PolicyEngine
from gateway.sign import sign_submission
from gateway.store import Store
from gateway.transform import OperatorError, OperatorSet, transform
from gateway.verify import verify_receipt

SCHEMA = "ecg.submission/1"


class InsurerSink(Protocol):
    """What delivery needs from an insurer client (adapters.insurer.client.InsurerClient)."""

    def submit(self, submission_id: str, jws: str) -> str: ...


@dataclass(frozen=True)
class Runtime:
    """Everything a sync needs, built and validated once at start-up (gateway.runtime)."""

    exporter_id: str
    insurer_id: str
    policy_name: str
    engine: PolicyEngine
    operators: OperatorSet
    signing_key: SigningKey
    pseudonym_key: PseudonymKey
    paillier_public_key: PaillierPublicKey
    receipt_jwks: Mapping[str, Any]
    limits: Limits = field(default_factory=Limits)


@dataclass
class SourceAccount:
    """Per-source account: read = attached + withheld + quarantined + pending."""

    read: int = 0
    attached: int = 0
    withheld: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    pending: int = 0

    def balanced(self) -> bool:
        accounted = self.attached + sum(self.withheld.values()) + self.quarantined + self.pending
        return self.read == accounted

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "attached": self.attached,
            "withheld": dict(sorted(self.withheld.items())),
            "quarantined": self.quarantined,
            "pending": self.pending,
        }


@dataclass
class SyncResult:
    """What one pass produced: accounts per source, submissions written, delivery outcome."""

    run_id: str
    sources: dict[str, SourceAccount]
    submissions: list[str] = field(default_factory=list)
    already_submitted: list[str] = field(default_factory=list)
    buckets: int = 0
    suppressed_records: int = 0
    delivered: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def totals(self) -> SourceAccount:
        total = SourceAccount()
        for acc in self.sources.values():
            total.read += acc.read
            total.attached += acc.attached
            total.withheld.update(acc.withheld)
            total.quarantined += acc.quarantined
            total.pending += acc.pending
        return total


@dataclass(frozen=True)
class PreviewRow:
    """One record as it is inside the building and as it would leave it."""

    original: dict[str, Any]
    decision: Decision
    attachment: dict[str, Any] | None
    exposure_minor: int | None
    reason: str | None


Progress = Callable[[str, int], None]


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Pipeline:
    """Runs records through the stages into the outbox, and the outbox to the insurer."""

    def __init__(
        self,
        runtime: Runtime,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
    ) -> None:
        self._rt = runtime
        self._store = store
        self._clock = clock
        self._progress = progress
        settings = runtime.engine.settings()
        self._k = settings.k
        self._dims = tuple(settings.bucket)

    # -- decision + transform, shared by sync and preview ------------------------------------
    def _decide(self, records: Sequence[ExportRecord]) -> list[tuple[dict[str, Any], Decision]]:
        inputs = [r.policy_input() for r in records]
        decisions = self._rt.engine.decide(inputs)
        if len(decisions) != len(inputs):
            # A broken engine must not shift decisions onto the wrong records: withhold all.
            decisions = [Decision.withhold("policy.error") for _ in inputs]
        return list(zip(inputs, decisions, strict=True))

    def preview(self, records: Sequence[ExportRecord]) -> list[PreviewRow]:
        """What would leave for each record, without writing anything."""
        rows = []
        for original, decision in self._decide(records):
            attachment, exposure, reason = None, None, decision.reason
            if decision.outcome is Outcome.ATTACH:
                try:
                    out = transform(original, decision, self._rt.operators)
                    attachment, exposure = out.attachment, out.exposure_minor
                except OperatorError as exc:
                    reason = exc.reason_code
            rows.append(PreviewRow(original, decision, attachment, exposure, reason))
        return rows

    # -- sync ----------------------------------------------------------------------------------
    def process(self, sources: Mapping[str, Iterable[ExportRecord | Quarantined]]) -> SyncResult:
        """Ingest every source to the end and write the resulting submissions to the outbox."""
        run_id = "run_" + uuid.uuid4().hex
        result = SyncResult(run_id=run_id, sources={})
        self._store.begin_run(run_id, sorted(sources))
        aggregator = Aggregator(self._k)
        pending: list[dict[str, Any]] = []
        sequence = 0
        for name, items in sources.items():
            account = result.sources.setdefault(name, SourceAccount())
            for batch in _batches(items, self._rt.limits.policy_batch_size):
                records = self._account_batch(run_id, name, batch, account)
                for original, decision in self._decide(records) if records else []:
                    attachment = self._apply(run_id, original, decision, account, aggregator)
                    if attachment is not None:
                        pending.append(attachment)
                while len(pending) >= self._rt.limits.max_attachments_per_submission:
                    chunk = pending[: self._rt.limits.max_attachments_per_submission]
                    del pending[: len(chunk)]
                    self._emit(result, chunk, None, sequence, final=False)
                    sequence += 1
                if self._progress:
                    self._progress(name, len(batch))
        aggregate = aggregator.finish()
        self._emit(result, pending, aggregate, sequence, final=True)
        result.buckets = len(aggregate.buckets)
        result.suppressed_records = aggregate.suppressed_records
        self._check_account(result)
        self._store.finish_run(run_id, {n: a.as_dict() for n, a in result.sources.items()})
        return result

    def _account_batch(
        self,
        run_id: str,
        name: str,
        batch: list[ExportRecord | Quarantined],
        account: SourceAccount,
    ) -> list[ExportRecord]:
        account.read += len(batch)
        bad = [item for item in batch if isinstance(item, Quarantined)]
        if bad:
            self._store.add_quarantine(run_id, bad)
            account.quarantined += len(bad)
        return [item for item in batch if isinstance(item, ExportRecord)]

    def _apply(
        self,
        run_id: str,
        original: dict[str, Any],
        decision: Decision,
        account: SourceAccount,
        aggregator: Aggregator,
    ) -> dict[str, Any] | None:
        if decision.outcome is Outcome.WITHHOLD:
            account.withheld[decision.reason or "policy.undefined"] += 1
            return None
        if decision.outcome is Outcome.QUARANTINE:
            source, _, row = str(original["source_ref"]).rpartition(":")
            self._store.add_quarantine(
                run_id,
                [Quarantined(source, int(row or 0), "<policy>", decision.reason or "policy", {})],
            )
            account.quarantined += 1
            return None
        try:
            out = transform(original, decision, self._rt.operators)
            key = bucket_key(out.attachment, self._dims) if out.exposure_minor is not None else None
        except OperatorError as exc:
            account.withheld[exc.reason_code] += 1
            return None
        except AggregationError as exc:
            account.withheld[exc.reason_code] += 1
            return None
        if key is not None and out.exposure_minor is not None:
            aggregator.add(key, out.exposure_minor)
        account.attached += 1
        return out.attachment

    def _submission_id(self, content: Mapping[str, Any]) -> str:
        """Deterministic for the same disclosure, opaque to the insurer (keyed, not a bare hash,
        so low-entropy plaintext totals cannot be guessed back from the id)."""
        mac = self._rt.pseudonym_key.mac(b"ecg-submission-id\x00" + canonical_json(content))
        return "sub_" + mac[:16].hex()

    def _emit(
        self,
        result: SyncResult,
        attachments: list[dict[str, Any]],
        aggregate: Any,
        sequence: int,
        *,
        final: bool,
    ) -> None:
        exposure = None
        plain_buckets: list[Any] = []
        if aggregate is not None and aggregate.buckets:
            totals = [b.total_minor for b in aggregate.buckets]
            ciphertexts = encrypt_bucket_totals(self._rt.paillier_public_key, totals)
            buckets = [
                {"key": b.key.as_dict(), "records": b.records, "ciphertext": ct}
                for b, ct in zip(aggregate.buckets, ciphertexts, strict=True)
            ]
            plain_buckets = [[b.key.as_dict(), b.records, b.total_minor] for b in aggregate.buckets]
            exposure = {
                "key_fingerprint": self._rt.paillier_public_key.fingerprint,
                "encoding": {"unit": "minor", "exponent": 0},
                "buckets": buckets,
                "suppressed_records": aggregate.suppressed_records,
            }
        if not attachments and exposure is None:
            return
        policy = {"version": self._rt.engine.version, "name": self._rt.policy_name}
        submission_id = self._submission_id(
            {
                "iss": self._rt.exporter_id,
                "aud": self._rt.insurer_id,
                "policy": policy,
                "attachments": attachments,
                "exposure": plain_buckets,
            }
        )
        if self._store.get_submission(submission_id) is not None:
            result.already_submitted.append(submission_id)
            return
        payload = {
            "schema": SCHEMA,
            "jti": submission_id,
            "iss": self._rt.exporter_id,
            "aud": self._rt.insurer_id,
            "iat": int(self._clock()),
            "policy": policy,
            "batch": {"run_id": result.run_id, "sequence": sequence, "final": final},
            "attachments": attachments,
            "exposure": exposure,
        }
        jws = sign_submission(payload, self._rt.signing_key)
        self._store.put_submission(
            submission_id,
            run_id=result.run_id,
            sequence=sequence,
            jws=jws,
            payload_sha256=sha256_hex(canonical_json(payload)),
            policy_version=self._rt.engine.version,
        )
        result.submissions.append(submission_id)

    def _check_account(self, result: SyncResult) -> None:
        for name, account in result.sources.items():
            if not account.balanced():
                raise AccountingError(
                    f"source {name}: read {account.read} != attached {account.attached} + withheld "
                    f"{sum(account.withheld.values())} + quarantined {account.quarantined} + "
                    f"pending {account.pending}"
                )

    # -- delivery ------------------------------------------------------------------------------
    def deliver(
        self, sink: InsurerSink, result: SyncResult | None = None
    ) -> tuple[int, dict[str, str]]:
        """Send every pending submission; verify and store each receipt.

        Returns ``(delivered, failed)``.
        """
        delivered, failed = 0, {}
        for sub in self._store.pending_submissions(limit=10_000):
            try:
                receipt = sink.submit(sub.submission_id, sub.jws)
                verified = verify_receipt(
                    receipt,
                    dict(self._rt.receipt_jwks),
                    submission_id=sub.submission_id,
                    audience=self._rt.exporter_id,
                )
                if verified.payload.payload_sha256 != sub.payload_sha256:
                    raise VerificationError("receipt covers a different payload than the one sent")
            except (DeliveryError, VerificationError) as exc:
                permanent = isinstance(exc, DeliveryError) and not exc.retryable
                self._store.mark_failed(sub.submission_id, exc.diagnostics(), permanent=permanent)
                failed[sub.submission_id] = exc.diagnostics()
                continue
            self._store.mark_delivered(sub.submission_id, receipt, verified.payload.jti)
            delivered += 1
        if result is not None:
            result.delivered, result.failed = delivered, failed
        return delivered, failed

"""The one module that chains the stages (DESIGN.md §3).

ingest items → policy decision (batched) → transform → aggregate → encrypt → sign → outbox,
then delivery from the outbox to the insurer and receipt verification. The stages themselves do
no IO; the store and the insurer client are passed in, so this module can be driven by the CLI,
the webhook service and tests alike.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gateway.account import ReconcileSummary, SourceAccount, SyncResult
from gateway.aggregate import ANY, Aggregate, AggregationError, Aggregator, BucketKey, bucket_key
from gateway.aggregate.snapshot_cipher import snapshot_ciphertexts
from gateway.booking import Attribution, Booking, ReconcileSetup, book
from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import (
    PaillierPublicKey,
    PseudonymKey,
    SigningKey,
)
from gateway.crypto.obfuscators import ObfuscatorSource, Patient
from gateway.delivery import Courier, DeliveryReport, DeliverySettings, InsurerSink, ReceiptCheck
from gateway.errors import AccountingError
from gateway.guard import ContinuingExportGuard, Receivable
from gateway.hub.common_id import hub_buyer_id
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationStatus
from gateway.limits import Limits
from gateway.model import ExportDeclaration, ExportRecord, RecordOrigin
from gateway.policy.decision import Decision, Outcome
from gateway.policy.engine import PolicyEngine
from gateway.sign import sign_submission_body
from gateway.store import Checkpoint, PendingRecord, RecordVersion, Store
from gateway.store.staging import ReconcileStaging
from gateway.transform import OperatorError, OperatorSet, transform
from gateway.versions import VersionTracker, record_keys

SCHEMA = "ecg.submission/1"
EXPOSURE_META = "exposure.snapshot_sha256"
EXPOSURE_CIPHERTEXTS = "exposure.ciphertexts"


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
    reconcile: ReconcileSetup | None = None
    # The gateway's published JWKS: the current key first, earlier keys kept after a rotation
    # (None: just the current key).
    published_jwks: Mapping[str, Any] | None = None
    # The key the exporters of a hub consortium share, naming buyers without an insurer code
    # alike in hub contributions (None: only insurer codes serve as common buyer ids).
    consortium_key: PseudonymKey | None = None
    # Where encryption gets its obfuscators (gateway.encryption); None: computed when needed.
    obfuscators: ObfuscatorSource | None = None


@dataclass(frozen=True)
class PreviewRow:
    """One record as it is inside the building and as it would leave it."""

    original: dict[str, Any]
    decision: Decision
    attachment: dict[str, Any] | None
    exposure_minor: int | None
    reason: str | None


@dataclass(frozen=True)
class SnapshotPlan:
    """An exposure snapshot to send: the aggregate, its digest, and the stored snapshot digest
    and ciphertext memory it was planned against."""

    aggregate: Aggregate
    digest: str
    replaces: str | None
    memory: str | None


@dataclass(frozen=True)
class SealedSnapshot:
    """A snapshot's bucket ciphertexts (in bucket order) and the memory kept for the next."""

    ciphertexts: list[str]
    memory: str


Progress = Callable[[str, int], None]
CustomsItem = ExportDeclaration | DeclarationStatus | Quarantined


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
        self._source_names: dict[str, str] = {}  # source_ref prefix -> configured source name
        self._pending: list[PendingRecord] | None = None  # set by a reconciled run
        self._explained: set[str] = set()  # customs-only shipments attached by an earlier sync
        self._declarations_of: dict[str, tuple[str, ...]] = {}  # reconciled record -> decls

    # -- decision + transform, shared by sync and preview ------------------------------------
    def _decide(
        self,
        records: Sequence[ExportRecord],
        extra: Mapping[str, dict[str, Any]] | None = None,
        inputs: list[dict[str, Any]] | None = None,
    ) -> list[tuple[dict[str, Any], Decision]]:
        """Decisions for ``records`` (``inputs``: their policy inputs, when already built)."""
        if inputs is None:
            inputs = [r.policy_input() for r in records]
        for inp in inputs if extra else ():
            inp.update(extra.get(inp["source_ref"], {}))  # type: ignore[union-attr]
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
    def process(
        self,
        sources: Mapping[str, Iterable[ExportRecord | Quarantined]],
        customs: Mapping[str, Iterable[CustomsItem]] | None = None,
        receivables: Iterable[Receivable | Quarantined] = (),
        *,
        as_of: date | None = None,
        checkpoints: Callable[[Mapping[str, SourceAccount]], Sequence[Checkpoint]] | None = None,
        skipped: Mapping[str, str] | None = None,
        snapshot: bool = True,
    ) -> SyncResult:
        """Ingest every source to the end and write the resulting submissions to the outbox.

        With ``snapshot=False`` the run's submissions carry its attachments only; the exposure
        snapshot is left to a later :meth:`plan_snapshot` (the webhook defers it, so a push is
        durable without waiting for Paillier encryption).

        ``checkpoints`` gives, from the final accounts, the sources' checkpoints; they are
        written with the run's account when it finishes (never for an interrupted run).
        ``skipped`` names sources left unread because their checkpoint shows them unchanged
        (source -> the run that read them); the run's summary records it.

        With customs sources (and a reconcile setup) the ERP records are first reconciled with
        the declarations: matched and customs-only shipments are attached, ERP-only ones stay
        pending and conflicts are withheld for review.
        """
        run_id = "run_" + uuid.uuid4().hex
        result = SyncResult(run_id=run_id, sources={}, skipped=dict(skipped or {}))
        names = sorted([*sources, *(customs or {})])
        self._store.begin_run(run_id, names)
        if customs is None or self._rt.reconcile is None:
            stream: Iterable[tuple[ExportRecord, Attribution]] = self._stream(
                run_id, sources, result
            )
            extra: dict[str, dict[str, Any]] = {}
        else:
            summary, attachable, extra = self._reconciled(
                run_id, sources, customs, receivables, result, as_of or date.today(), write=True
            )
            result.reconciliation = summary
            stream = attachable
        self._attach(result, stream, extra, snapshot=snapshot)
        if result.reconciliation is not None and self._explained:
            _drop_explained(result.reconciliation, self._explained)
        self._check_account(result)
        self._store.finish_run(
            run_id,
            {n: a.as_dict() for n, a in result.sources.items()},
            source_summary={"sources": names, "skipped": result.skipped},
            checkpoints=checkpoints(result.sources) if checkpoints else (),
            pending=self._pending,
        )
        return result

    def reconcile_only(
        self,
        sources: Mapping[str, Iterable[ExportRecord | Quarantined]],
        customs: Mapping[str, Iterable[CustomsItem]],
        receivables: Iterable[Receivable | Quarantined] = (),
        *,
        as_of: date,
    ) -> ReconcileSummary:
        """Reconcile, check deadlines and the guard, and write nothing (``gateway reconcile``)."""
        result = SyncResult(run_id="", sources={})
        summary, attachable, _ = self._reconciled(
            "", sources, customs, receivables, result, as_of, write=False
        )
        from_customs = []
        for record, _ in attachable:
            self._declarations_of.pop(record.source_ref, None)  # only customs-only ones matter
            if record.origin is RecordOrigin.CUSTOMS:
                from_customs.append(record)
        tracker = VersionTracker(self._store, self._source_names, self._declarations_of)
        identities = tracker.identify((r, r.policy_input()) for r in from_customs)
        known = {
            r.source_ref
            for r, i in zip(from_customs, identities, strict=True)
            if tracker.unchanged(i)
        }
        _drop_explained(summary, known)
        return summary

    def _read(
        self, run_id: str, name: str, items: Iterable[Any], result: SyncResult, *, write: bool
    ) -> Iterator[tuple[Any, SourceAccount]]:
        """Every good item of one source with its account; bad ones are quarantined."""
        account = result.sources.setdefault(name, SourceAccount())
        for batch in _batches(items, self._rt.limits.chunk_records):
            account.read += len(batch)
            bad = [item for item in batch if isinstance(item, Quarantined)]
            if bad:
                if write:
                    self._store.add_quarantine(run_id, bad)
                account.quarantined += len(bad)
            for item in batch:
                if not isinstance(item, Quarantined):
                    self._source_names[item.source_ref.rpartition(":")[0]] = name
                    yield item, account
            if self._progress:
                self._progress(name, len(batch))

    def _stream(
        self, run_id: str, sources: Mapping[str, Iterable[Any]], result: SyncResult
    ) -> Iterator[tuple[ExportRecord, Attribution]]:
        for name, items in sources.items():
            for record, account in self._read(run_id, name, items, result, write=True):
                yield record, ((account, 1),)

    def _attach(
        self,
        result: SyncResult,
        stream: Iterable[tuple[ExportRecord, Attribution]],
        extra: Mapping[str, dict[str, Any]],
        *,
        snapshot: bool = True,
    ) -> None:
        """Versions, policy, transform over ``stream``; chunks go to the outbox, each committed
        with the record versions it attaches. Records unchanged since they were attached are
        not decided or sent again. The last submission carries the exposure snapshot (unless
        ``snapshot`` is false)."""
        tracker = VersionTracker(self._store, self._source_names, self._declarations_of)
        pending: list[tuple[dict[str, Any], RecordVersion]] = []
        limit = self._rt.limits.max_attachments_per_submission
        sequence = 0
        for batch in _batches(stream, self._rt.limits.chunk_records):
            pending += self._attach_batch(result.run_id, tracker, batch, extra)
            while len(pending) >= limit:
                chunk, pending = pending[:limit], pending[limit:]
                if self._emit(result, chunk, None, sequence, final=False):
                    tracker.committed(version for _, version in chunk)
                sequence += 1
        if not snapshot:
            self._emit(result, pending, None, sequence, final=True)
            return
        aggregate = self._exposure_snapshot([v for _, v in pending])
        result.buckets = len(aggregate.buckets)
        result.suppressed_records = aggregate.suppressed_records
        digest = self._snapshot_digest(aggregate)
        if digest == self._store.get_meta(EXPOSURE_META):
            self._emit(result, pending, None, sequence, final=True)
        else:
            self._emit(result, pending, aggregate, sequence, final=True,
                       meta={EXPOSURE_META: digest})

    def _attach_batch(
        self,
        run_id: str,
        tracker: VersionTracker,
        batch: list[tuple[ExportRecord, Attribution]],
        extra: Mapping[str, dict[str, Any]],
    ) -> list[tuple[dict[str, Any], RecordVersion]]:
        """Attach one batch. A record whose key already occurred earlier in the batch starts a
        new segment, so it is compared with what the earlier occurrence left behind."""
        attached: list[tuple[dict[str, Any], RecordVersion]] = []
        refs = [record.source_ref for record, _ in batch]
        while batch:
            inputs = [r.policy_input() for r, _ in batch]
            identities = tracker.identify(zip([r for r, _ in batch], inputs, strict=True))
            cut = _first_repeat([i.key for i in identities])
            fresh = []
            for (record, attribution), identity, inp in zip(
                batch[:cut], identities[:cut], inputs[:cut], strict=True
            ):
                if tracker.unchanged(identity):
                    book(attribution, "unchanged")
                    if record.origin is RecordOrigin.CUSTOMS:
                        self._explained.add(record.source_ref)
                else:
                    fresh.append((record, attribution, identity, inp))
            decided = self._decide(
                [f[0] for f in fresh], extra, inputs=[f[3] for f in fresh]
            )
            for (original, decision), (_, attrib, identity, _) in zip(decided, fresh, strict=True):
                out = self._apply(run_id, original, decision, attrib)
                if out is not None:
                    attachment, key, exposure = out
                    version = tracker.attach(
                        identity, key.as_dict() if key else None, exposure,
                        hub_buyer=hub_buyer_id(
                            original, self._rt.consortium_key, attachment=attachment,
                            per_buyer=key is not None and key.buyer != ANY,
                        ),
                    )
                    if version.version > 1:
                        attachment["revision"] = version.version
                    attached.append((attachment, version))
            batch = batch[cut:]
        for ref in refs:  # a streamed reconciliation's match notes are needed only until here
            self._declarations_of.pop(ref, None)
        return attached

    # -- deferred exposure snapshot (the webhook's) ------------------------------------------
    def plan_snapshot(self) -> SnapshotPlan | None:
        """The exposure snapshot of the book as the store holds it now, or None when the
        insurer already has it. It only reads the store (sums in SQL), so it needs no writer
        lock: :meth:`write_snapshot` refuses a plan another snapshot overtook. The encryption
        is :meth:`seal_snapshot`."""
        replaces = self._store.get_meta(EXPOSURE_META)  # read first: see write_snapshot
        aggregate = self._exposure_snapshot(())
        digest = self._snapshot_digest(aggregate)
        if digest == replaces or not aggregate.buckets:
            return None
        return SnapshotPlan(aggregate, digest, replaces, self._store.get_meta(EXPOSURE_CIPHERTEXTS))

    def seal_snapshot(self, plan: SnapshotPlan, *, patience_s: float = 0.0) -> SealedSnapshot:
        """Encrypt a planned snapshot. Touches no store, so it may run outside the lock that
        serialises writers. ``patience_s``: how long each encryption may wait for a background
        obfuscator before computing one itself (0: never waits)."""
        source = self._rt.obfuscators
        if source is not None and patience_s > 0:
            source = Patient(source, patience_s)
        return self._seal(plan.aggregate, plan.memory, source)

    def write_snapshot(self, plan: SnapshotPlan, sealed: SealedSnapshot) -> SyncResult | None:
        """Sign and store the snapshot as a run of its own; None (nothing written) when another
        snapshot was stored since the plan was made: plan again."""
        if self._store.get_meta(EXPOSURE_META) != plan.replaces:
            return None
        result = SyncResult(run_id="run_" + uuid.uuid4().hex, sources={})
        self._store.begin_run(result.run_id, [])
        result.buckets = len(plan.aggregate.buckets)
        result.suppressed_records = plan.aggregate.suppressed_records
        self._emit(result, [], plan.aggregate, 0, final=True,
                   meta={EXPOSURE_META: plan.digest}, sealed=sealed)
        self._store.finish_run(result.run_id, {}, source_summary={"sources": [], "skipped": {},
                                                                  "snapshot": True})
        return result

    def _seal(
        self, aggregate: Aggregate, memory: str | None, source: ObfuscatorSource | None = None
    ) -> SealedSnapshot:
        ciphertexts, remembered, _ = snapshot_ciphertexts(
            self._rt.paillier_public_key, aggregate.buckets, memory,
            source if source is not None else self._rt.obfuscators,
        )
        return SealedSnapshot(ciphertexts, remembered)

    def _exposure_snapshot(self, uncommitted: Sequence[RecordVersion]) -> Aggregate:
        """The k-rule aggregate of the exporter's whole book: the latest attached version of
        every record, including those this run is about to commit."""
        aggregator = Aggregator(self._k)
        for bucket, records, total_minor in self._store.exposure_totals(uncommitted):
            aggregator.add_bucket(BucketKey(**bucket), records, total_minor)
        return aggregator.finish()

    def _snapshot_digest(self, aggregate: Aggregate) -> str:
        return sha256_hex(
            canonical_json(
                {
                    "key": self._rt.paillier_public_key.fingerprint,
                    "buckets": [
                        [b.key.as_dict(), b.records, b.total_minor] for b in aggregate.buckets
                    ],
                    "suppressed": aggregate.suppressed_records,
                }
            )
        )

    def _apply(
        self,
        run_id: str,
        original: dict[str, Any],
        decision: Decision,
        attribution: Attribution,
    ) -> tuple[dict[str, Any], BucketKey | None, int | None] | None:
        if decision.outcome is Outcome.WITHHOLD:
            book(attribution, "withheld", decision.reason)
            return None
        if decision.outcome is Outcome.QUARANTINE:
            source, _, row = str(original["source_ref"]).rpartition(":")
            self._store.add_quarantine(
                run_id,
                [Quarantined(source, int(row or 0), "<policy>", decision.reason or "policy", {})],
            )
            book(attribution, "quarantined")
            return None
        try:
            out = transform(original, decision, self._rt.operators)
            key = bucket_key(out.attachment, self._dims) if out.exposure_minor is not None else None
        except (OperatorError, AggregationError) as exc:
            book(attribution, "withheld", exc.reason_code)
            return None
        book(attribution, "attached")
        return out.attachment, key, out.exposure_minor if key is not None else None

    # -- reconciliation ------------------------------------------------------------------------
    def _reconciled(
        self,
        run_id: str,
        sources: Mapping[str, Iterable[Any]],
        customs: Mapping[str, Iterable[CustomsItem]],
        receivables: Iterable[Receivable | Quarantined],
        result: SyncResult,
        as_of: date,
        *,
        write: bool,
    ) -> tuple[ReconcileSummary, Iterator[tuple[ExportRecord, Attribution]],
               dict[str, dict[str, Any]]]:
        """Stage every ERP record and declaration on disk, then stream the records to attach.

        Records and declarations wait in a private staging file (gateway.store.staging), not
        in memory; the groups come back one at a time and are booked as they come. The summary
        is complete once the stream is exhausted; ``extra`` (policy input from the guard) fills
        as it advances.
        """
        setup = self._rt.reconcile
        assert setup is not None
        staging = ReconcileStaging(setup.config, directory=_staging_dir(self._store))
        try:
            tags = _Tags()
            for name, items in sources.items():
                for record, account in self._read(run_id, name, items, result, write=write):
                    staging.add_erp(record, tags.of(account, name), self._key(record, name))
            self._carry_pending(staging, tags, result)
            self._stage_declarations(staging, tags, run_id, customs, result, write=write)
            items = list(receivables)  # open items, indexed by buyer for the guard
        except BaseException:
            staging.close()
            raise
        booking = Booking(setup, ReconcileSummary(as_of=as_of))
        good = [r for r in items if not isinstance(r, Quarantined)]
        bad = [r for r in items if isinstance(r, Quarantined)]
        booking.summary.counts["receivables_quarantined"] = len(bad)
        if bad and write:
            self._store.add_quarantine(run_id, bad)
        guard = ContinuingExportGuard(good, overdue_days=setup.overdue_days)
        booking.summary.counts["continuing_export_warnings"] = 0
        self._declarations_of = booking.declarations_of
        self._pending = []
        extra: dict[str, dict[str, Any]] = {}

        def stream() -> Iterator[tuple[ExportRecord, Attribution]]:
            with staging:
                for staged in staging.matches(as_of=as_of):
                    match, pending = staged.match, len(booking.pending_erp)
                    booking.route(
                        match,
                        tuple((tags.account(t), 1) for t in staged.decl_tags),
                        tuple((tags.account(t), 1) for t in staged.erp_tags),
                    )
                    if len(booking.pending_erp) > pending:  # the group waits: keep its invoices
                        assert self._pending is not None
                        self._pending += [
                            PendingRecord(self._key(r, tags.source(t)), tags.source(t),
                                          r.model_dump_json())
                            for r, t in zip(match.erp, staged.erp_tags, strict=True)
                        ]
                        booking.pending_erp.clear()
                    attachable, booking.attachable = booking.attachable, []
                    extra.update(booking.guard_batch(guard, attachable))
                    yield from attachable
            booking.count()
            if booking.quarantined and write:
                self._store.add_quarantine(run_id, booking.quarantined)
            booking.deadlines(as_of)

        return booking.summary, stream(), extra

    def _key(self, record: ExportRecord, source: str) -> str:
        return record_keys(record, source)[0]

    def _carry_pending(self, staging: ReconcileStaging, tags: _Tags, result: SyncResult) -> None:
        """Add the invoices an earlier run left pending that this run's exports do not list
        again: they are reconciled with today's declarations like the rest. Each is read into
        the account ``carried:<source>``."""
        for stored in self._store.pending_records():
            if staging.has_erp_key(stored.key):
                continue  # the export lists it again: read from there
            record = ExportRecord.model_validate_json(stored.record_json)
            account = result.sources.setdefault(f"carried:{stored.source}", SourceAccount())
            account.read += 1
            self._source_names.setdefault(record.source_ref.rpartition(":")[0], stored.source)
            staging.add_erp(record, tags.of(account, stored.source), stored.key)

    def _stage_declarations(
        self,
        staging: ReconcileStaging,
        tags: _Tags,
        run_id: str,
        customs: Mapping[str, Iterable[CustomsItem]],
        result: SyncResult,
        *,
        write: bool,
    ) -> None:
        statuses: list[DeclarationStatus] = []
        for name, items in customs.items():
            for item, account in self._read(run_id, name, items, result, write=write):
                if isinstance(item, DeclarationStatus):
                    statuses.append(item)
                    account.read -= 1  # a status refreshes a declaration; it is not a shipment
                else:
                    staging.add_declaration(item, tags.of(account, name))
        staging.add_statuses(statuses)

    def _ledger_head(self) -> dict[str, Any] | None:
        head = self._store.ledger_head()
        return None if head is None else {"seq": head.seq, "hash": head.hash}

    def _submission_id(self, content: Mapping[str, Any]) -> str:
        """Deterministic for the same disclosure, opaque to the insurer (keyed, not a bare hash,
        so low-entropy plaintext totals cannot be guessed back from the id)."""
        mac = self._rt.pseudonym_key.mac(b"ecg-submission-id\x00" + canonical_json(content))
        return "sub_" + mac[:16].hex()

    def _emit(
        self,
        result: SyncResult,
        attached: Sequence[tuple[dict[str, Any], RecordVersion]],
        aggregate: Aggregate | None,
        sequence: int,
        *,
        final: bool,
        meta: Mapping[str, str] | None = None,
        sealed: SealedSnapshot | None = None,
    ) -> bool:
        """Sign and store one submission; False when there was nothing to send or the same
        disclosure is already in the outbox (then nothing was written). ``sealed``: the
        aggregate's ciphertexts, when they were computed beforehand."""
        attachments = [attachment for attachment, _ in attached]
        with_exposure = aggregate is not None and bool(aggregate.buckets)
        if not attachments and not with_exposure:
            return False
        plain_buckets: list[Any] = []
        if aggregate is not None and with_exposure:
            plain_buckets = [[b.key.as_dict(), b.records, b.total_minor] for b in aggregate.buckets]
        policy = {"version": self._rt.engine.version, "name": self._rt.policy_name}
        submission_id = self._submission_id(
            {
                "iss": self._rt.exporter_id,
                "aud": self._rt.insurer_id,
                "policy": policy,
                "attachments": attachments,
                "exposure": plain_buckets,
                # A book that goes A -> B -> A sends its third snapshot again: the snapshot it
                # replaces makes it a new disclosure, not a replay of the first.
                "replaces": self._store.get_meta(EXPOSURE_META) if with_exposure else None,
            }
        )
        if self._store.get_submission(submission_id) is not None:
            result.already_submitted.append(submission_id)
            return False
        exposure = None
        if aggregate is not None and with_exposure:
            if sealed is None:
                sealed = self._seal(aggregate, self._store.get_meta(EXPOSURE_CIPHERTEXTS))
            ciphertexts, memory = sealed.ciphertexts, sealed.memory
            meta = {**(meta or {}), EXPOSURE_CIPHERTEXTS: memory}
            exposure = {
                "key_fingerprint": self._rt.paillier_public_key.fingerprint,
                "encoding": {"unit": "minor", "exponent": 0},
                "buckets": [
                    {"key": b.key.as_dict(), "records": b.records, "ciphertext": ct}
                    for b, ct in zip(aggregate.buckets, ciphertexts, strict=True)
                ],
                "suppressed_records": aggregate.suppressed_records,
            }
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
            "ledger": self._ledger_head(),
        }
        jws, body = sign_submission_body(payload, self._rt.signing_key)
        self._store.put_submission(
            submission_id,
            run_id=result.run_id,
            sequence=sequence,
            jws=jws,
            payload_sha256=sha256_hex(body),
            policy_version=self._rt.engine.version,
            records=[version for _, version in attached],
            meta=meta,
        )
        result.submissions.append(submission_id)
        return True

    def _check_account(self, result: SyncResult) -> None:
        for name, account in result.sources.items():
            if not account.balanced():
                raise AccountingError(
                    f"source {name}: read {account.read} != attached {account.attached} + withheld "
                    f"{sum(account.withheld.values())} + quarantined {account.quarantined} + "
                    f"pending {account.pending} + unchanged {account.unchanged}"
                )

    # -- delivery ------------------------------------------------------------------------------
    def deliver(
        self,
        sink: InsurerSink,
        result: SyncResult | None = None,
        *,
        settings: DeliverySettings | None = None,
        wait: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> DeliveryReport:
        """Send every due outbox entry; verify, ledger and store each receipt (gateway.delivery)."""
        courier = Courier(
            self._store,
            ReceiptCheck(self._rt.receipt_jwks, self._rt.exporter_id, self._rt.insurer_id),
            settings,
            clock=self._clock,
            sleep=sleep,
            rng=rng,
        )
        report = courier.deliver(sink, wait=wait)
        if result is not None:
            result.delivered, result.failed, result.dead = (
                report.delivered, report.failed, report.dead
            )
            result.breaker_open_until = report.breaker_open_until
        return report


class _Tags:
    """Small integers standing for (source account, source name) in the staging file."""

    def __init__(self) -> None:
        self._pairs: list[tuple[SourceAccount, str]] = []
        self._index: dict[tuple[int, str], int] = {}

    def of(self, account: SourceAccount, source: str) -> int:
        key = (id(account), source)
        tag = self._index.get(key)
        if tag is None:
            tag = self._index[key] = len(self._pairs)
            self._pairs.append((account, source))
        return tag

    def account(self, tag: int) -> SourceAccount:
        return self._pairs[tag][0]

    def source(self, tag: int) -> str:
        return self._pairs[tag][1]


def _staging_dir(store: Store) -> Path | None:
    """Reconciliation stages beside the store (its directory is the operator's private data
    directory); a store without a file stages in the system's temporary directory."""
    path = getattr(store, "path", None)
    return Path(path).parent if path is not None else None


def _drop_explained(summary: ReconcileSummary, explained: set[str]) -> None:
    """Declarations without an ERP invoice in today's exports whose shipment an earlier sync
    already attached (from customs alone, or matched with an invoice yesterday's export listed)
    are not newly auto-attached: the report counts them as already attached."""
    kept = [a for a in summary.auto_attached if a["source_ref"] not in explained]
    summary.counts["already_attached"] = len(summary.auto_attached) - len(kept)
    summary.auto_attached = kept
    summary.counts["auto_attached"] = len(kept)


def _first_repeat(keys: Sequence[str]) -> int:
    """The index of the first key that already occurred earlier (``len(keys)`` if none)."""
    seen: set[str] = set()
    for n, key in enumerate(keys):
        if key in seen:
            return n
        seen.add(key)
    return len(keys)

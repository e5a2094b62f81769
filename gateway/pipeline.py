"""The one module that chains the stages (DESIGN.md §3).

ingest items → policy decision (batched) → transform → aggregate → encrypt → sign → outbox,
then delivery from the outbox to the insurer and receipt verification. The stages themselves do
no IO; the store and the insurer client are passed in, so this module can be driven by the CLI,
the webhook service and tests alike.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from gateway.account import ReconcileSummary, SourceAccount, SyncResult
from gateway.aggregate import AggregationError, Aggregator, bucket_key
from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import PaillierPublicKey, PseudonymKey, SigningKey, encrypt_bucket_totals
from gateway.deadlines import BusinessCalendar, DeadlineState, Rule, assess
from gateway.errors import AccountingError, DeliveryError, VerificationError
from gateway.guard import GuardWarning, Receivable, continuing_export_warnings
from gateway.guard import buyer_key as guard_buyer_key
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationStatus, apply_statuses
from gateway.limits import Limits
from gateway.model import ExportDeclaration, ExportRecord, RecordOrigin
from gateway.policy.decision import Decision, Outcome
from gateway.policy.engine import PolicyEngine
from gateway.reconcile import (
    NOT_SHIPPED,
    STALE,
    Match,
    MatchKind,
    ReconcileConfig,
    enrich,
    reconcile,
    record_from_declaration,
)
from gateway.sign import sign_submission
from gateway.store import Store
from gateway.transform import OperatorError, OperatorSet, transform
from gateway.verify import verify_receipt

SCHEMA = "ecg.submission/1"


class InsurerSink(Protocol):
    """What delivery needs from an insurer client (adapters.insurer.client.InsurerClient)."""

    def submit(self, submission_id: str, jws: str) -> str: ...


@dataclass(frozen=True)
class ReconcileSetup:
    """Reconciliation settings, the notification deadline rule and the guard threshold."""

    config: ReconcileConfig
    rule: Rule
    calendar: BusinessCalendar
    warn_business_days: int = 2
    overdue_days: int = 30


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


@dataclass(frozen=True)
class PreviewRow:
    """One record as it is inside the building and as it would leave it."""

    original: dict[str, Any]
    decision: Decision
    attachment: dict[str, Any] | None
    exposure_minor: int | None
    reason: str | None


Progress = Callable[[str, int], None]
#: Which source accounts one record stands for: (account, how many of that source's items).
Attribution = tuple[tuple[SourceAccount, int], ...]
CustomsItem = ExportDeclaration | DeclarationStatus | Quarantined
GUARD_FIELD = "guard.max_days_overdue"


def _book(attribution: Attribution, outcome: str, reason: str | None = None) -> None:
    for account, n in attribution:
        if outcome == "attached":
            account.attached += n
        elif outcome == "withheld":
            account.withheld[reason or "policy.undefined"] += n
        elif outcome == "quarantined":
            account.quarantined += n
        else:
            account.pending += n


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
    def _decide(
        self, records: Sequence[ExportRecord], extra: Mapping[str, dict[str, Any]] | None = None
    ) -> list[tuple[dict[str, Any], Decision]]:
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
    ) -> SyncResult:
        """Ingest every source to the end and write the resulting submissions to the outbox.

        With customs sources (and a reconcile setup) the ERP records are first reconciled with
        the declarations: matched and customs-only shipments are attached, ERP-only ones stay
        pending and conflicts are withheld for review.
        """
        run_id = "run_" + uuid.uuid4().hex
        result = SyncResult(run_id=run_id, sources={})
        self._store.begin_run(run_id, sorted([*sources, *(customs or {})]))
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
        self._attach(result, stream, extra)
        self._check_account(result)
        self._store.finish_run(run_id, {n: a.as_dict() for n, a in result.sources.items()})
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
        summary, _, _ = self._reconciled(
            "", sources, customs, receivables, result, as_of, write=False
        )
        return summary

    def _read(
        self, run_id: str, name: str, items: Iterable[Any], result: SyncResult, *, write: bool
    ) -> Iterator[tuple[Any, SourceAccount]]:
        """Every good item of one source with its account; bad ones are quarantined."""
        account = result.sources.setdefault(name, SourceAccount())
        for batch in _batches(items, self._rt.limits.policy_batch_size):
            account.read += len(batch)
            bad = [item for item in batch if isinstance(item, Quarantined)]
            if bad:
                if write:
                    self._store.add_quarantine(run_id, bad)
                account.quarantined += len(bad)
            for item in batch:
                if not isinstance(item, Quarantined):
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
    ) -> None:
        """Policy, transform and aggregation over ``stream``; chunks go to the outbox."""
        aggregator = Aggregator(self._k)
        pending: list[dict[str, Any]] = []
        limit = self._rt.limits.max_attachments_per_submission
        sequence = 0
        for batch in _batches(stream, self._rt.limits.policy_batch_size):
            decided = self._decide([record for record, _ in batch], extra)
            for (original, decision), (_, attribution) in zip(decided, batch, strict=True):
                attachment = self._apply(result.run_id, original, decision, attribution, aggregator)
                if attachment is not None:
                    pending.append(attachment)
            while len(pending) >= limit:
                chunk, pending = pending[:limit], pending[limit:]
                self._emit(result, chunk, None, sequence, final=False)
                sequence += 1
        aggregate = aggregator.finish()
        self._emit(result, pending, aggregate, sequence, final=True)
        result.buckets = len(aggregate.buckets)
        result.suppressed_records = aggregate.suppressed_records

    def _apply(
        self,
        run_id: str,
        original: dict[str, Any],
        decision: Decision,
        attribution: Attribution,
        aggregator: Aggregator,
    ) -> dict[str, Any] | None:
        if decision.outcome is Outcome.WITHHOLD:
            _book(attribution, "withheld", decision.reason)
            return None
        if decision.outcome is Outcome.QUARANTINE:
            source, _, row = str(original["source_ref"]).rpartition(":")
            self._store.add_quarantine(
                run_id,
                [Quarantined(source, int(row or 0), "<policy>", decision.reason or "policy", {})],
            )
            _book(attribution, "quarantined")
            return None
        try:
            out = transform(original, decision, self._rt.operators)
            key = bucket_key(out.attachment, self._dims) if out.exposure_minor is not None else None
        except (OperatorError, AggregationError) as exc:
            _book(attribution, "withheld", exc.reason_code)
            return None
        if key is not None and out.exposure_minor is not None:
            aggregator.add(key, out.exposure_minor)
        _book(attribution, "attached")
        return out.attachment

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
    ) -> tuple[ReconcileSummary, list[tuple[ExportRecord, Attribution]], dict[str, dict[str, Any]]]:
        setup = self._rt.reconcile
        assert setup is not None
        erp_accounts: dict[int, SourceAccount] = {}
        erp: list[ExportRecord] = []
        for name, items in sources.items():
            for record, account in self._read(run_id, name, items, result, write=write):
                erp.append(record)
                erp_accounts[id(record)] = account
        declarations, decl_accounts = self._declarations(run_id, customs, result, write=write)
        summary = ReconcileSummary(as_of=as_of)
        attachable: list[tuple[ExportRecord, Attribution]] = []
        held: list[tuple[str, date]] = []
        outcome = reconcile(erp, declarations, setup.config, as_of=as_of)
        for match in outcome:
            decls: Attribution = tuple((decl_accounts[d.source_ref], 1) for d in match.declarations)
            self._route(match, decls, erp_accounts, setup, summary, attachable, held)
        summary.counts = {kind.value: 0 for kind in MatchKind} | outcome.counts()
        summary.counts["matched"] = sum(
            1 for m in outcome if m.kind is MatchKind.MATCHED and NOT_SHIPPED not in m.flags
        )
        summary.counts["auto_attached"] = len(summary.auto_attached)
        summary.counts["not_shipped"] = sum(1 for p in summary.pending if p["not_shipped"])
        summary.counts["stale"] = sum(1 for p in summary.pending if p["stale"])
        self._deadlines(setup, summary, held, as_of)
        extra = self._guard(setup, summary, attachable, receivables, run_id, write=write)
        return summary, attachable, extra

    def _declarations(
        self,
        run_id: str,
        customs: Mapping[str, Iterable[CustomsItem]],
        result: SyncResult,
        *,
        write: bool,
    ) -> tuple[list[ExportDeclaration], dict[str, SourceAccount]]:
        declarations: list[ExportDeclaration] = []
        statuses: list[DeclarationStatus] = []
        accounts: dict[str, SourceAccount] = {}
        for name, items in customs.items():
            for item, account in self._read(run_id, name, items, result, write=write):
                if isinstance(item, DeclarationStatus):
                    statuses.append(item)
                    account.read -= 1  # a status refreshes a declaration; it is not a shipment
                else:
                    declarations.append(item)
                    accounts[item.source_ref] = account
        if statuses:
            declarations = list(apply_statuses(declarations, statuses))
        return declarations, accounts

    def _route(
        self,
        match: Match,
        decls: Attribution,
        erp_accounts: Mapping[int, SourceAccount],
        setup: ReconcileSetup,
        summary: ReconcileSummary,
        attachable: list[tuple[ExportRecord, Attribution]],
        held: list[tuple[str, date]],
    ) -> None:
        erp_refs = [r.source_ref for r in match.erp]
        numbers = [d.declaration_number for d in match.declarations]
        # A group has left once any of its declarations shipped (a split shipment may leave in
        # parts); a group none of whose declarations shipped yet stays pending.
        left = any(d.shipped for d in match.declarations)
        if match.kind is MatchKind.MATCHED and left:
            for i, record in enumerate(match.erp):
                enriched = enrich(record, match.declarations)
                enriched = enriched.model_copy(update={"origin": RecordOrigin.RECONCILED})
                attachable.append(
                    (enriched, ((erp_accounts[id(record)], 1), *(decls if i == 0 else ())))
                )
        elif match.kind is MatchKind.CUSTOMS_ONLY and left:
            for decl, share in zip(match.declarations, decls, strict=True):
                if not decl.shipped:
                    _book((share,), "pending")
                    summary.pending.append(_pending_entry([], decl, match))
                    held.append((decl.declaration_number, decl.shipment_date))
                    continue
                record = record_from_declaration(decl, setup.config)
                attachable.append(
                    (record.model_copy(update={"origin": RecordOrigin.CUSTOMS}), (share,))
                )
                summary.auto_attached.append(
                    {
                        "declaration_number": decl.declaration_number,
                        "source_ref": decl.source_ref,
                        "shipment_date": decl.shipment_date.isoformat(),
                        "detail": match.detail,
                    }
                )
        elif match.kind is MatchKind.CONFLICT:
            attribution = tuple((erp_accounts[id(r)], 1) for r in match.erp) + decls
            _book(attribution, "withheld", match.reason)
            summary.conflicts.append(
                {
                    "reason": match.reason,
                    "erp": erp_refs,
                    "declarations": numbers,
                    "flags": sorted(match.flags),
                    "detail": match.detail,
                }
            )
            held.extend((ref, _shipped(match)) for ref in erp_refs or numbers)
        else:  # ERP-only (not yet cleared), or declared but not shipped yet: pending
            attribution = tuple((erp_accounts[id(r)], 1) for r in match.erp) + decls
            _book(attribution, "pending")
            summary.pending.append(_pending_entry(erp_refs, None, match))
            held.extend((ref, _shipped(match)) for ref in erp_refs or numbers)

    def _deadlines(
        self,
        setup: ReconcileSetup,
        summary: ReconcileSummary,
        held: Sequence[tuple[str, date]],
        as_of: date,
    ) -> None:
        """The notification clock of every shipment held back (pending, not shipped, conflict):
        those are the ones that can still miss their deadline. Records attached in this run are
        being notified now."""
        items = [(ref, shipped, None) for ref, shipped in held]
        statuses = assess(
            items,
            setup.rule,
            setup.calendar,
            as_of=as_of,
            warn_business_days=setup.warn_business_days,
        )
        flagged = [s for s in statuses if s.state in (DeadlineState.AT_RISK, DeadlineState.MISSED)]
        summary.deadlines = [
            {
                "ref": s.ref,
                "shipment_date": s.shipment_date.isoformat(),
                "deadline": s.deadline.isoformat(),
                "state": s.state.value,
                "business_days_left": s.business_days_left,
            }
            for s in flagged
        ]
        states = [s.state for s in flagged]
        summary.counts["deadline_at_risk"] = states.count(DeadlineState.AT_RISK)
        summary.counts["deadline_missed"] = states.count(DeadlineState.MISSED)

    def _guard(
        self,
        setup: ReconcileSetup,
        summary: ReconcileSummary,
        attachable: Sequence[tuple[ExportRecord, Attribution]],
        receivables: Iterable[Receivable | Quarantined],
        run_id: str,
        *,
        write: bool,
    ) -> dict[str, dict[str, Any]]:
        """Continuing-export warnings; the policy input gets the days overdue, and decides."""
        good: list[Receivable] = []
        bad: list[Quarantined] = []
        for item in receivables:
            (bad if isinstance(item, Quarantined) else good).append(item)  # type: ignore[arg-type]
        if bad and write:
            self._store.add_quarantine(run_id, bad)
        summary.counts["receivables_quarantined"] = len(bad)
        shipments = [
            (r.source_ref, guard_buyer_key(r.buyer.name, r.buyer.insurer_code), r.shipment_date)
            for r, _ in attachable
        ]
        warnings: list[GuardWarning] = continuing_export_warnings(
            shipments, good, overdue_days=setup.overdue_days
        )
        summary.guard = [
            {
                "ref": w.ref,
                "shipment_date": w.shipment_date.isoformat(),
                "overdue_invoices": list(w.overdue_invoices),
                "max_days_overdue": w.max_days_overdue,
            }
            for w in warnings
        ]
        summary.counts["continuing_export_warnings"] = len(warnings)
        return {w.ref: {GUARD_FIELD: w.max_days_overdue} for w in warnings}

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


def _shipped(match: Match) -> date:
    dates = [r.shipment_date for r in match.erp] + [d.shipment_date for d in match.declarations]
    return min(dates)


def _pending_entry(
    erp_refs: list[str], decl: ExportDeclaration | None, match: Match
) -> dict[str, Any]:
    """One held-back shipment for the report: a whole group, or one unshipped declaration."""
    numbers = (
        [decl.declaration_number] if decl else [d.declaration_number for d in match.declarations]
    )
    shipped = decl.shipment_date if decl else _shipped(match)
    return {
        "erp": erp_refs,
        "declarations": numbers,
        "shipment_date": shipped.isoformat(),
        "stale": STALE in match.flags and decl is None,
        "not_shipped": decl is not None
        or (bool(match.declarations) and not any(d.shipped for d in match.declarations)),
        "detail": match.detail,
    }

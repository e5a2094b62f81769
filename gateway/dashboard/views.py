"""Read models of the overview page: plain data computed from the store and the runtime.

Nothing here renders HTML or writes anything. The ledger is read by
:mod:`gateway.dashboard.ledger_views`, one submission by :mod:`gateway.dashboard.submission_views`
and the exposure charts by :mod:`gateway.dashboard.exposure_views`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from pydantic import ValidationError

from gateway.deadlines import assess
from gateway.errors import ConfigError
from gateway.model import ExportRecord
from gateway.pipeline import Runtime
from gateway.store import PendingRecord, QuarantineStatus, Run, Store, SubmissionStatus

RUNS_SHOWN: Final = 10
PENDING_SHOWN: Final = 200
OUTBOX_STATES: Final = tuple(s.value for s in SubmissionStatus)


@dataclass(frozen=True)
class RunSummary:
    """One sync run's account, summed over its sources.

    read = attached + withheld + quarantined + pending + unchanged for every finished run;
    ``finished_at`` is ``None`` for a run still going or one that was interrupted.
    """

    run_id: str
    started_at: datetime
    finished_at: datetime | None
    read: int
    attached: int
    withheld: int
    withheld_by_reason: tuple[tuple[str, int], ...]
    quarantined: int
    pending: int
    unchanged: int
    sources: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (source, the earlier run that read the same file)


@dataclass(frozen=True)
class PendingDeadline:
    """An invoice waiting for its customs declaration, and its notification clock.

    ``state`` is ``open``, ``at_risk``, ``missed`` or ``unknown`` (the record could not be read,
    or the business-day calendar has no holiday data for the year of its deadline).
    """

    ref: str
    since: datetime | None
    shipment_date: date | None
    deadline: date | None
    state: str
    business_days_left: int | None


@dataclass(frozen=True)
class PolicyInUse:
    """The policy version deciding now; ``activated_*`` are ``None`` when it is the configured
    policy and no activation was ever recorded."""

    version: str
    name: str
    action: str | None
    activated_by: str | None
    activated_at: datetime | None


@dataclass(frozen=True)
class Overview:
    runs: tuple[RunSummary, ...]
    open_quarantine: int
    outbox: Mapping[str, int]
    customs: bool
    pending_total: int
    pending: tuple[PendingDeadline, ...]
    policy: PolicyInUse

    @property
    def last(self) -> RunSummary | None:
        return self.runs[0] if self.runs else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def run_summary(run: Run) -> RunSummary:
    """Sum a run's per-source account (the JSON the pipeline stores when the run finishes)."""
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for account in (run.account or {}).values():
        if not isinstance(account, Mapping):
            continue
        for name in ("read", "attached", "quarantined", "pending", "unchanged"):
            totals[name] += _count(account.get(name))
        withheld = account.get("withheld")
        for reason, n in (withheld.items() if isinstance(withheld, Mapping) else ()):
            reasons[str(reason)] += _count(n)
    summary = run.source_summary or {}
    sources = summary.get("sources")
    skipped = summary.get("skipped")
    return RunSummary(
        run_id=run.run_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        read=totals["read"],
        attached=totals["attached"],
        withheld=sum(reasons.values()),
        withheld_by_reason=tuple(sorted(reasons.items())),
        quarantined=totals["quarantined"],
        pending=totals["pending"],
        unchanged=totals["unchanged"],
        sources=tuple(str(s) for s in sources) if isinstance(sources, list) else (),
        skipped=tuple(sorted((str(k), str(v)) for k, v in skipped.items()))
        if isinstance(skipped, Mapping)
        else (),
    )


def pending_deadline(item: PendingRecord, runtime: Runtime, today: date) -> PendingDeadline:
    """The notification clock of one pending invoice, by the same rule and calendar the
    pipeline's reconciliation uses (``gateway.deadlines.assess``)."""
    try:
        record = ExportRecord.model_validate_json(item.record_json)
    except ValidationError:
        return PendingDeadline("(unreadable record)", item.since, None, None, "unknown", None)
    setup = runtime.reconcile
    if setup is None:
        return PendingDeadline(record.source_ref, item.since, record.shipment_date, None,
                               "unknown", None)
    try:
        (status,) = assess(
            [(record.source_ref, record.shipment_date, None)], setup.rule, setup.calendar,
            as_of=today, warn_business_days=setup.warn_business_days,
        )
    except ConfigError:
        return PendingDeadline(record.source_ref, item.since, record.shipment_date, None,
                               "unknown", None)
    return PendingDeadline(
        record.source_ref, item.since, record.shipment_date, status.deadline,
        status.state.value, status.business_days_left,
    )


def policy_in_use(store: Store, runtime: Runtime) -> PolicyInUse:
    """The latest recorded activation, or the policy the runtime was configured with."""
    active = store.active_policy()
    if active is None:
        return PolicyInUse(runtime.engine.version, runtime.policy_name, None, None, None)
    kept = store.get_policy_version(active.version)
    name = kept.name if kept is not None else runtime.policy_name
    return PolicyInUse(active.version, name, active.action, active.actor, active.at)


def overview(store: Store, runtime: Runtime, *, today: date) -> Overview:
    """Everything the overview page shows."""
    runs = tuple(run_summary(r) for r in store.list_runs(limit=RUNS_SHOWN))
    counts = store.submission_counts()
    outbox = {state: counts.get(SubmissionStatus(state), 0) for state in OUTBOX_STATES}
    pending = store.pending_records()
    return Overview(
        runs=runs,
        open_quarantine=store.quarantine_counts().get(QuarantineStatus.OPEN, 0),
        outbox=outbox,
        customs=runtime.reconcile is not None,
        pending_total=len(pending),
        pending=tuple(pending_deadline(p, runtime, today) for p in pending[:PENDING_SHOWN]),
        policy=policy_in_use(store, runtime),
    )

"""The work the dashboard starts inside ``gateway serve``: a sync of the configured sources, and
checking, activating and rolling back policy versions (docs/dashboard.md).

Everything runs under the service's pipeline lock (one pipeline at a time; the embedded engine
is not thread-safe) on the store ``serve`` already holds. An activation builds the new runtime
first, then records the activation, then swaps the runtime, so a version that cannot run is
never recorded as active.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cached_property

from gateway.account import SyncResult
from gateway.adapters.samples import read_sample
from gateway.dashboard.context import RuntimeRef
from gateway.ingest import SourceItem
from gateway.model import ExportRecord
from gateway.pipeline import Pipeline, Progress
from gateway.policy.bundle import PolicyBundle
from gateway.policy.lifecycle import (
    ActivationCheck,
    activate,
    check_bundle,
    resolve_version,
    stored_bundle,
)
from gateway.runtime import (
    build_runtime,
    insurer_client,
    load_mapping_for,
    open_customs,
    open_receivables,
    plan_sources,
)
from gateway.settings import Settings
from gateway.store import PolicyActivation, Store
from gateway.transform import OperatorContext

SAMPLE_LIMIT = 200


def process_with(
    settings: Settings,
    runtime: RuntimeRef,
    store: Store,
    *,
    progress: Progress | None = None,
    as_of: date | None = None,
    replay: Mapping[str, Iterable[SourceItem]] | None = None,
) -> tuple[Pipeline, SyncResult]:
    """Process every configured source into the outbox of ``store`` (nothing is sent)."""
    current = runtime.current
    plan = plan_sources(settings, store, current.engine.version, replay)
    pipeline = Pipeline(current, store, progress=progress)
    result = pipeline.process(
        plan.sources,
        open_customs(settings) or None,
        open_receivables(settings),
        as_of=as_of,
        checkpoints=plan.checkpoints,
        skipped=plan.skipped,
    )
    return pipeline, result


def deliver_with(
    settings: Settings, pipeline: Pipeline, result: SyncResult, *, wait: bool
) -> None:
    """Send the outbox to the configured insurer (``wait``: keep retrying up to ``wait_s``)."""
    with insurer_client(settings) as client:
        pipeline.deliver(client, result, settings=settings.delivery, wait=wait)


class ServeJobs:
    """:class:`gateway.dashboard.context.Jobs` for ``gateway serve``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        runtime: RuntimeRef,
        lock: threading.Lock,
    ) -> None:
        self._settings = settings
        self._store = store
        self._runtime = runtime
        self._lock = lock

    @cached_property
    def _samples(self) -> list[ExportRecord]:
        dashboard = self._settings.dashboard
        mapping = load_mapping_for(dashboard.sample_mapping)
        records, _ = read_sample(dashboard.sample, mapping, limit=SAMPLE_LIMIT)
        return records

    def samples(self) -> Sequence[ExportRecord]:
        return self._samples

    def sync(self) -> SyncResult:
        with self._lock:
            pipeline, result = process_with(self._settings, self._runtime, self._store)
            deliver_with(self._settings, pipeline, result, wait=False)
            return result

    def check(self, bundle: PolicyBundle) -> ActivationCheck:
        inputs = [r.policy_input() for r in self._samples]
        context = OperatorContext(pseudonym_key=self._runtime.current.pseudonym_key)
        with self._lock:
            return check_bundle(bundle, inputs, context)

    def _make_active(
        self, bundle: PolicyBundle, *, actor: str, reason: str | None, action: str
    ) -> PolicyActivation:
        check = self.check(bundle)
        with self._lock:
            fresh = build_runtime(self._settings, bundle=bundle) if check.ok else None
            entry = activate(
                self._store, bundle, check, actor=actor, reason=reason, action=action
            )
            assert fresh is not None  # activate() refuses a failed check
            self._runtime.swap(fresh)
        return entry

    def activate(
        self, bundle: PolicyBundle, *, actor: str, reason: str | None
    ) -> PolicyActivation:
        return self._make_active(bundle, actor=actor, reason=reason, action="activate")

    def rollback(self, version: str | None, *, actor: str, reason: str) -> PolicyActivation:
        bundle = stored_bundle(self._store, resolve_version(self._store, version))
        return self._make_active(bundle, actor=actor, reason=reason, action="rollback")

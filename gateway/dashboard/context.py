"""What every dashboard page is given: the store, the live runtime, sessions and the jobs it may
start. Built once by ``gateway serve`` (:func:`gateway.service.create_app`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gateway.pipeline import Runtime

if TYPE_CHECKING:
    from gateway.account import SyncResult
    from gateway.auth.sessions import SessionManager
    from gateway.model import ExportRecord
    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.lifecycle import ActivationCheck
    from gateway.settings import Settings
    from gateway.store import PolicyActivation, Store


class RuntimeRef:
    """The runtime in use, swapped as a whole when a policy version is activated."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()

    @property
    def current(self) -> Runtime:
        with self._lock:
            return self._runtime

    def swap(self, runtime: Runtime) -> None:
        with self._lock:
            self._runtime = runtime


class Jobs(Protocol):
    """State-changing work the dashboard may start; each call checks nothing about roles (the
    route did) and runs under the service's pipeline lock."""

    def sync(self) -> SyncResult: ...

    def check(self, bundle: PolicyBundle) -> ActivationCheck: ...

    def activate(
        self, bundle: PolicyBundle, *, actor: str, reason: str | None
    ) -> PolicyActivation: ...

    def rollback(self, version: str | None, *, actor: str, reason: str) -> PolicyActivation: ...

    def samples(self) -> Sequence[ExportRecord]: ...


@dataclass
class DashboardContext:
    """Shared by every dashboard router."""

    settings: Settings
    store: Store
    runtime: RuntimeRef
    sessions: SessionManager
    jobs: Jobs
    pipeline_lock: threading.Lock = field(default_factory=threading.Lock)

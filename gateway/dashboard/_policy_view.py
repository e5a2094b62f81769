"""What the policy page shows: the version in force, its modules, the sample preview under it,
and the activation history (read from the store and the live runtime).

Helpers of :mod:`gateway.dashboard.policy_page`; they read, never write. The sample records are
the exporter's own data, shown with their original values to signed-in users only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from fastapi import Request
from fastapi.responses import Response

from gateway.auth.roles import Permission, allowed
from gateway.auth.sessions import Principal
from gateway.dashboard.context import DashboardContext
from gateway.dashboard.render import render
from gateway.errors import GatewayError
from gateway.model import ExportRecord
from gateway.pipeline import Runtime
from gateway.policy import PolicyBundle
from gateway.policy.bundle import TEST_SUFFIX
from gateway.policy.lifecycle import ActivationCheck, stored_bundle
from gateway.policy.preview import PreviewRecord, evaluate_with, preview_records
from gateway.runtime import load_policy
from gateway.store import PolicyActivation

MAX_SAMPLES: Final = 20
LOCK_WAIT_S: Final = 20.0  # how long a page waits for a running sync before saying so
NOT_LEAVING: Final = "—"
NEVER_ACTIVATED: Final = "configured, never activated"


class Busy(Exception):
    """The pipeline lock stayed taken (a sync is running) for :data:`LOCK_WAIT_S`."""


@contextmanager
def evaluating(ctx: DashboardContext) -> Iterator[Runtime]:
    """The runtime in use, under the pipeline lock; :class:`Busy` if a sync holds it too long."""
    if not ctx.pipeline_lock.acquire(timeout=LOCK_WAIT_S):
        raise Busy
    try:
        yield ctx.runtime.current
    finally:
        ctx.pipeline_lock.release()


@dataclass(frozen=True)
class Active:
    """The version in force: its text (when known) and the activation that made it so."""

    version: str
    name: str
    bundle: PolicyBundle | None
    activation: PolicyActivation | None

    @property
    def label(self) -> str:
        if self.activation is None:
            return NEVER_ACTIVATED
        return "rolled back to" if self.activation.action == "rollback" else "activated"


def active(ctx: DashboardContext) -> Active:
    """The active version from the store's log, else the runtime's configured policy."""
    activation = ctx.store.active_policy()
    if activation is not None:
        bundle = stored_bundle(ctx.store, activation.version)
        return Active(bundle.version, bundle.name, bundle, activation)
    rt = ctx.runtime.current
    kept = ctx.store.get_policy_version(rt.engine.version)
    configured: PolicyBundle | None
    if kept is not None:
        configured = PolicyBundle(kept.modules, name=kept.name)
    else:
        try:
            configured = load_policy(ctx.settings)
        except GatewayError:
            configured = None
    return Active(rt.engine.version, rt.policy_name, configured, None)


def active_name(ctx: DashboardContext) -> str:
    """The name an edited policy keeps: the active version's."""
    return active(ctx).name


def active_modules(ctx: DashboardContext) -> dict[str, str]:
    """A copy of the active version's modules (empty when its text is unknown)."""
    bundle = active(ctx).bundle
    return dict(bundle.modules) if bundle is not None else {}


def sample_records(ctx: DashboardContext) -> list[ExportRecord]:
    """At most :data:`MAX_SAMPLES` of the configured sample records."""
    return list(ctx.jobs.samples()[:MAX_SAMPLES])


def text(value: Any) -> str:
    """A value as the page shows it: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def rows(records: Sequence[PreviewRecord]) -> list[dict[str, Any]]:
    """Preview records as template rows (the JavaScript builds the same from JSON)."""
    return [
        {
            "record": r.source_ref,
            "outcome": r.outcome,
            "reason": r.reason,
            "exposure": r.exposure,
            "fields": [
                {
                    "field": f.field,
                    "original": text(f.original),
                    "actions": ", ".join(f.actions) or NOT_LEAVING,
                    "leaves": NOT_LEAVING if f.dropped else text(f.leaves),
                    "dropped": f.dropped,
                }
                for f in r.fields
            ],
        }
        for r in records
    ]


def history(ctx: DashboardContext, current: str) -> list[dict[str, Any]]:
    """The activation log, newest first; ``rollback`` marks the newest entry of each earlier
    version (one button per version that could be returned to)."""
    names = {v.version: v.name for v in ctx.store.list_policy_versions()}
    seen: set[str] = {current}
    out = []
    for a in reversed(ctx.store.activations()):
        out.append({
            "seq": a.seq, "action": a.action, "version": a.version, "short": a.version[:12],
            "name": names.get(a.version, ""), "actor": a.actor, "at": a.at,
            "reason": a.reason or "", "exceptions": sorted(a.exceptions.items()),
            "rollback": a.version not in seen,
        })
        seen.add(a.version)
    return out


def preview_active(ctx: DashboardContext) -> tuple[list[dict[str, Any]], str | None]:
    """The sample under the runtime's engine (what a sync sends now), and a note if none."""
    try:
        records = sample_records(ctx)
    except GatewayError as exc:
        return [], f"The sample records cannot be read: {exc}"
    if not records:
        return [], "There are no sample records to preview."
    inputs = [r.policy_input() for r in records]
    try:
        with evaluating(ctx) as rt:
            views = evaluate_with(rt.engine, rt.operators, inputs)
    except Busy:
        return [], "A sync is running; reload the page when it has finished to see the preview."
    return rows(preview_records(inputs, views)), None


def modules(bundle: PolicyBundle | None, wanted: str | None) -> tuple[list[tuple[str, str]], str]:
    """The modules to offer (policy modules first) and the one to open."""
    if bundle is None:
        return [], ""
    ordered = sorted(bundle.modules.items(), key=lambda kv: (kv[0].endswith(TEST_SUFFIX), kv[0]))
    paths = [p for p, _ in ordered]
    return ordered, wanted if wanted in paths else paths[0]


def render_page(
    ctx: DashboardContext,
    request: Request,
    who: Principal,
    *,
    status: int = 200,
    module: str | None = None,
    activated: int | None = None,
    refused: str | None = None,
    check: ActivationCheck | None = None,
) -> Response:
    """The whole page (blocking: call it off the event loop)."""
    now = active(ctx)
    listed, current = modules(now.bundle, module)
    preview, note = preview_active(ctx)
    log = history(ctx, now.version)
    done = next((h for h in log if h["seq"] == activated), None)
    failing = [t for t in check.tests if not t.passed] if check is not None else []
    return render(
        ctx, request, "policy.html", principal=who, status=status, nav="policy",
        active=now,
        modules=listed, current=current, current_text=dict(listed).get(current, ""),
        can_edit=allowed(who.role, Permission.EDIT_POLICY),
        can_activate=allowed(who.role, Permission.ACTIVATE_POLICY), preview=preview,
        sample_note=note, history=log, activated=done, refused=refused, check=check,
        failing=failing,
    )

"""What a policy would let leave for sample records, and how a candidate differs from another.

Shared by ``gateway policy preview|diff`` and the dashboard's policy page. Nothing here reads a
file or writes anything: callers hand over the policy text, the records' policy inputs and the
pseudonym key (the runtime's, so tokens match what a sync sends). Records are decided and
transformed exactly as a sync would; the JSON documents built here carry the sample's original
values (the exporter's own data, for the exporter's own screen) and are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.crypto import PseudonymKey
from gateway.policy.bundle import PolicyBundle
from gateway.policy.compare import FieldRow, PolicyDiff, RecordView, diff_views, field_rows
from gateway.policy.decision import POLICY_ERROR, Decision, Outcome
from gateway.policy.engine import DEFAULT_BATCH_SIZE, PolicyEngine, RegoEngine
from gateway.transform import OperatorContext, OperatorError, OperatorSet, build_operators
from gateway.transform import transform as apply_decision


@dataclass(frozen=True)
class PreviewRecord:
    """One sample record under one policy: its decision and every field's fate."""

    source_ref: str
    outcome: str
    reason: str | None
    exposure: bool
    fields: tuple[FieldRow, ...]


@dataclass(frozen=True)
class Preview:
    """A candidate policy on a sample, and its difference from a baseline policy."""

    records: tuple[PreviewRecord, ...]
    diff: PolicyDiff


def evaluate_with(
    engine: PolicyEngine, operators: OperatorSet, inputs: Sequence[Mapping[str, Any]]
) -> list[RecordView]:
    """Decide and transform ``inputs`` with a built engine and operators (nothing is written)."""
    decisions = engine.decide(inputs)
    if len(decisions) != len(inputs):  # as a sync: never shift decisions onto the wrong records
        decisions = [Decision.withhold(POLICY_ERROR) for _ in inputs]
    views = []
    for original, decision in zip(inputs, decisions, strict=True):
        ref = str(original["source_ref"])
        if decision.outcome is not Outcome.ATTACH:
            views.append(RecordView(ref, decision.outcome.value, decision.reason))
            continue
        try:
            out = apply_decision(original, decision, operators)
        except OperatorError as exc:  # a sync withholds such a record
            views.append(RecordView(ref, "withhold", exc.reason_code, decision.fields))
            continue
        views.append(
            RecordView(
                ref, "attach", None, decision.fields, out.attachment, out.exposure_minor is not None
            )
        )
    return views


def evaluate(
    bundle: PolicyBundle,
    inputs: Sequence[Mapping[str, Any]],
    key: PseudonymKey,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[RecordView]:
    """Decide and transform ``inputs`` under ``bundle`` in a fresh embedded engine.

    A module that does not compile raises :class:`~gateway.errors.PolicyError`; operator
    parameters that are wrong raise :class:`~gateway.errors.ConfigError`. Neither message
    contains record data (the records are not seen until both succeed).
    """
    engine = RegoEngine(bundle, batch_size=batch_size)
    operators = build_operators(
        engine.operators(), OperatorContext(pseudonym_key=key), clear_allowed=engine.exceptions()
    )
    return evaluate_with(engine, operators, inputs)


def preview_records(
    inputs: Sequence[Mapping[str, Any]], views: Sequence[RecordView]
) -> tuple[PreviewRecord, ...]:
    """Line up each record's original fields with what leaves under its view."""
    return tuple(
        PreviewRecord(
            view.source_ref, view.outcome, view.reason, view.exposure,
            tuple(field_rows(original, view)),
        )
        for original, view in zip(inputs, views, strict=True)
    )


def preview_candidate(
    inputs: Sequence[Mapping[str, Any]],
    candidate: Sequence[RecordView],
    baseline: Sequence[RecordView],
) -> Preview:
    """The candidate's preview rows and what it discloses more or less than the baseline."""
    return Preview(preview_records(inputs, candidate), diff_views(baseline, candidate))


def record_json(record: PreviewRecord) -> dict[str, Any]:
    """One preview record as JSON (``leaves`` is ``null`` and ``dropped`` true when a field
    does not leave)."""
    return {
        "source_ref": record.source_ref,
        "decision": record.outcome,
        "reason": record.reason,
        "exposure_encrypted": record.exposure,
        "fields": [
            {
                "field": row.field,
                "original": row.original,
                "actions": list(row.actions),
                "leaves": None if row.dropped else row.leaves,
                "dropped": row.dropped,
            }
            for row in record.fields
        ],
    }


def diff_json(diff: PolicyDiff) -> dict[str, Any]:
    """A diff as JSON: field changes record by record, decision changes, and a summary."""
    return {
        "fields": [
            {"source_ref": c.source_ref, "field": c.field, "change": c.change.value}
            for c in diff.fields
        ],
        "decisions": [
            {
                "source_ref": d.source_ref, "old": d.old, "new": d.new,
                "old_reason": d.old_reason, "new_reason": d.new_reason,
            }
            for d in diff.decisions
        ],
        "summary": diff.summary,
    }


def preview_json(preview: Preview) -> dict[str, Any]:
    """The whole preview as JSON: ``{"records": [...], "diff": {...}}``."""
    return {
        "records": [record_json(r) for r in preview.records],
        "diff": diff_json(preview.diff),
    }

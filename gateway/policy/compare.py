"""What a policy lets leave, record by record, and how two policy versions differ on a sample.

Pure: callers decide and transform the sample records (``gateway policy preview`` / ``diff``)
and hand over one :class:`RecordView` per record; this module only lines the views up. What
leaves is compared, not the actions named: a change of action that sends the same value is no
change in disclosure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from gateway.errors import PolicyError

#: The pseudo-field that stands for the Paillier-encrypted exposure of an attached record.
EXPOSURE: Final = "exposure"
DROPPED: Final = "(dropped)"


class Change(StrEnum):
    """How what leaves for one field changed from the old policy to the new one."""

    MORE = "more disclosed"
    LESS = "less disclosed"
    CHANGED = "changed"


@dataclass(frozen=True)
class RecordView:
    """One record under one policy: its decision and, when attached, what leaves.

    ``actions`` are the policy's actions per field; ``leaves`` the attachment (empty unless
    the record is attached); ``exposure`` whether its amount joins an encrypted bucket total.
    """

    source_ref: str
    outcome: str
    reason: str | None = None
    actions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    leaves: Mapping[str, Any] = field(default_factory=dict)
    exposure: bool = False


@dataclass(frozen=True)
class FieldRow:
    """One field of one record for a preview: original, actions, and what leaves."""

    field: str
    original: Any
    actions: tuple[str, ...]
    leaves: Any  # the value sent, or DROPPED

    @property
    def dropped(self) -> bool:
        return self.leaves is DROPPED


@dataclass(frozen=True)
class FieldChange:
    """A field of one record whose disclosure differs between two policies."""

    source_ref: str
    field: str
    change: Change


@dataclass(frozen=True)
class DecisionChange:
    """A record whose decision differs (``attach -> withhold`` and so on)."""

    source_ref: str
    old: str
    new: str
    old_reason: str | None
    new_reason: str | None


@dataclass(frozen=True)
class PolicyDiff:
    """Every field and decision change over a sample, with a count per field and change."""

    fields: tuple[FieldChange, ...]
    decisions: tuple[DecisionChange, ...]

    @property
    def summary(self) -> dict[str, dict[str, int]]:
        """``{field: {change: count}}``, fields sorted."""
        counts: dict[str, Counter[str]] = {}
        for change in self.fields:
            counts.setdefault(change.field, Counter())[change.change.value] += 1
        return {name: dict(sorted(counts[name].items())) for name in sorted(counts)}

    @property
    def empty(self) -> bool:
        return not self.fields and not self.decisions


def field_rows(original: Mapping[str, Any], view: RecordView) -> list[FieldRow]:
    """Every field of the record (``source_ref`` aside), in the record's order.

    A field the policy names no action for never leaves (allowlist): its actions are empty and
    what leaves is :data:`DROPPED`, as for a field whose action drops it.
    """
    rows = []
    for name, value in original.items():
        if name == "source_ref":
            continue
        actions = tuple(view.actions.get(name, ()))
        leaves = view.leaves.get(name, DROPPED)
        rows.append(FieldRow(name, value, actions, leaves))
    return rows


def _disclosed(view: RecordView) -> dict[str, str]:
    """What leaves, by field, as canonical JSON text (so values compare exactly)."""
    out = {
        name: json.dumps(value, sort_keys=True, ensure_ascii=False)
        for name, value in view.leaves.items()
    }
    if view.exposure:
        out[EXPOSURE] = "encrypted"
    return out


def _field_changes(old: RecordView, new: RecordView) -> list[FieldChange]:
    before, after = _disclosed(old), _disclosed(new)
    changes = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            changes.append(FieldChange(new.source_ref, name, Change.MORE))
        elif name not in after:
            changes.append(FieldChange(new.source_ref, name, Change.LESS))
        elif before[name] != after[name]:
            changes.append(FieldChange(new.source_ref, name, Change.CHANGED))
    return changes


def diff_views(old: Sequence[RecordView], new: Sequence[RecordView]) -> PolicyDiff:
    """Compare the same sample records under an old and a new policy, record by record."""
    if len(old) != len(new) or any(
        a.source_ref != b.source_ref for a, b in zip(old, new, strict=False)
    ):
        raise PolicyError("policy diff: the two evaluations cover different records")
    fields: list[FieldChange] = []
    decisions: list[DecisionChange] = []
    for before, after in zip(old, new, strict=True):
        if before.outcome != after.outcome:
            decisions.append(
                DecisionChange(
                    after.source_ref, before.outcome, after.outcome, before.reason, after.reason
                )
            )
        fields.extend(_field_changes(before, after))
    return PolicyDiff(tuple(fields), tuple(decisions))

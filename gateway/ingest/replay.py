"""Quarantined rows taken back out of the quarantine: re-normalised under today's mapping.

``gateway quarantine retry`` keeps the stored raw row of every quarantined ERP row (locally, in
the store) and runs it through :func:`~gateway.ingest.to_item` again with the source's current
mapping. A row that now parses becomes a record to replay; one that still fails stays in the
quarantine with its field and reason. Two rules keep a replay from sending stale content:

- when the source itself currently provides the same invoice, the source's row wins: it is read
  by the same sync, and replaying the older stored row would make it a new version of that
  invoice with the old content;
- of several quarantined rows of one invoice, only the newest is replayed.

IO-free: the caller reads the store and the source.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from gateway.ingest.mapping import ColumnMapping
from gateway.ingest.normalise import Quarantined, to_item
from gateway.limits import Limits
from gateway.model import ExportRecord

__all__ = ["NO_RAW_ROW", "Replay", "StoredRow", "renormalise"]

NO_RAW_ROW: Final = (
    "no raw row was stored (the row was unreadable, or the policy or reconciliation "
    "quarantined it): fix the cause and run `gateway sync` again"
)
IN_SOURCE: Final = "the source now provides this invoice itself; the sync attaches it from there"
NEWER_ROW: Final = "a newer quarantined row of the same invoice is replayed instead"
_DEFAULT_LIMITS: Final = Limits()


class StoredRow(Protocol):
    """What a replay needs from a stored quarantine entry (``gateway.store.QuarantineEntry``)."""

    @property
    def id(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def row(self) -> int: ...
    @property
    def raw(self) -> Mapping[str, str | None]: ...


@dataclass
class Replay:
    """The outcome of re-normalising the quarantined rows of one source.

    ``records`` are to be replayed; ``replayed`` names the entries they come from. ``superseded``
    entries need no replay of their own (why, per entry); ``failing`` entries still do not parse
    (their field and reason, never the value); ``unreplayable`` ones have no raw row to replay.
    """

    records: list[ExportRecord] = field(default_factory=list)
    replayed: list[int] = field(default_factory=list)
    superseded: dict[int, str] = field(default_factory=dict)
    failing: dict[int, Quarantined] = field(default_factory=dict)
    unreplayable: dict[int, str] = field(default_factory=dict)

    def resolved(self) -> list[int]:
        """Entries the replaying sync settles: replayed or superseded."""
        return sorted([*self.replayed, *self.superseded])


def renormalise(
    rows: Sequence[StoredRow],
    mapping: ColumnMapping,
    *,
    present: Collection[str] = (),
    limits: Limits = _DEFAULT_LIMITS,
) -> Replay:
    """Re-normalise ``rows`` (all of one source) under ``mapping``.

    ``present`` holds the invoice numbers the source currently provides as good records.
    """
    out = Replay()
    newest: dict[str, tuple[int, ExportRecord]] = {}
    for entry in sorted(rows, key=lambda r: r.id):
        if not entry.raw:
            out.unreplayable[entry.id] = NO_RAW_ROW
            continue
        item = to_item(entry.raw, mapping, source=entry.source, row=entry.row, limits=limits)
        if isinstance(item, Quarantined):
            out.failing[entry.id] = item
        elif item.invoice_number in present:
            out.superseded[entry.id] = IN_SOURCE
        else:
            older = newest.get(item.invoice_number)
            if older is not None:
                out.superseded[older[0]] = NEWER_ROW
            newest[item.invoice_number] = (entry.id, item)
    for entry_id, record in sorted(newest.values(), key=lambda pair: pair[0]):
        out.replayed.append(entry_id)
        out.records.append(record)
    return out

"""Record identity and versions: a re-read is recognised, a changed row becomes a new version.

A record is named by a business key: the ERP source and invoice number, or, for a shipment
only customs knows about, the export declaration number. Its content hash covers what was read
(the policy input without the row position and the fields the gateway derives), so reading
the same export again finds every record unchanged, and an edited row is version + 1 of the
record it edits, never a silent overwrite of what was already sent. A shipment first attached
from customs alone and later found in the ERP is a new version of that shipment, not a second
one. The store is only read here; versions are written with the submission that carries them.
See docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.model import ExportRecord, RecordOrigin
from gateway.model.declaration import normalise_declaration_number
from gateway.store.base import RecordVersion

#: Fields left out of the content hash: where the row sits in its file, and what the gateway
#: itself derives (origin, the continuing-export guard).
DERIVED_FIELDS = frozenset({"source_ref", "origin", "guard.max_days_overdue"})
_SEP = "\x1f"
INVOICE, CUSTOMS = "invoice", "customs"
#: Sorted compact JSON, as ``json.dumps(sort_keys=True, separators=(",", ":"),
#: ensure_ascii=False)`` writes it (one encoder, not one per record).
_CONTENT_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class VersionStore(Protocol):
    def latest_versions(self, keys: Iterable[str]) -> dict[str, RecordVersion]: ...


def content_sha256(policy_input: Mapping[str, Any]) -> str:
    """The hash of a record's content as read (``policy_input`` of :class:`ExportRecord`).

    Local only, never signed: sorted compact JSON is deterministic for these plain values
    (strings, integers, ``None``, lists of flat objects) and much cheaper than RFC 8785.
    """
    content = dict(policy_input)
    for field in DERIVED_FIELDS:
        content.pop(field, None)
    return hashlib.sha256(_CONTENT_JSON.encode(content).encode("utf-8")).hexdigest()


def record_keys(
    record: ExportRecord, source: str, declarations: Iterable[str] = ()
) -> tuple[str, tuple[str, ...]]:
    """The record's own key, and the keys of the declarations it was matched with (customs-only
    shipments it may be a version of, and shipments it explains from now on).

    ``source`` is the configured source name, not the file name in ``source_ref``: tomorrow's
    export under another file name names the same invoices. ``declarations`` are every
    declaration a reconciled record was matched with (a split shipment has several).
    """
    if record.origin is RecordOrigin.CUSTOMS:
        return _customs_key(str(record.declaration_number)), ()
    own = _SEP.join((INVOICE, source, record.invoice_number))
    if record.origin is RecordOrigin.RECONCILED:
        numbers = [*([record.declaration_number] if record.declaration_number else []),
                   *declarations]
        return own, tuple(dict.fromkeys(_customs_key(n) for n in numbers))
    return own, ()


def _customs_key(declaration_number: str) -> str:
    """ERP exports write declaration numbers with separators (``43017-26-1347553``), customs
    without: both name the same declaration."""
    return _SEP.join((CUSTOMS, normalise_declaration_number(declaration_number)))


@dataclass(frozen=True)
class Identity:
    """One record's key, content hash and the version it would be if attached now.

    ``explained`` is set for a shipment only customs knows about whose declaration an attached
    ERP invoice was already matched with (yesterday's invoice, absent from today's delta
    export): the shipment is attached already, under that invoice.
    """

    key: str
    aliases: tuple[str, ...]
    content_sha256: str
    previous: RecordVersion | None
    explained: bool = False


class VersionTracker:
    """Classifies the records of one run against the store and the run's own earlier records."""

    def __init__(
        self,
        store: VersionStore,
        source_names: Mapping[str, str] | None = None,
        declarations_of: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``source_names`` maps a ``source_ref`` prefix (file name) to the configured source
        name; a prefix not in it is its own name. ``declarations_of`` maps a reconciled
        record's ``source_ref`` to every declaration it was matched with."""
        self._store = store
        self._names = source_names if source_names is not None else {}
        self._declarations = declarations_of if declarations_of is not None else {}
        self._in_run: dict[str, RecordVersion] = {}
        self._adopted: set[str] = set()
        # New record ids: a random prefix per tracker and a counter, so the records one sync
        # creates sort together and their rows are appended to the store's indexes, not
        # scattered over them (opaque, local ids: they never leave the gateway).
        self._id_prefix = "rec_" + secrets.token_hex(8)
        self._created = 0

    def identify(self, records: Iterable[tuple[ExportRecord, Mapping[str, Any]]]) -> list[Identity]:
        """The identity of each ``(record, policy_input)``; ``previous`` is the latest version
        attached so far (by this run or an earlier one), or ``None`` for a new record."""
        items = [
            (
                record_keys(r, self._source(r), self._declarations.get(r.source_ref, ())),
                content_sha256(inp),
            )
            for r, inp in records
        ]
        wanted = [k for (key, aliases), _ in items for k in (key, *aliases)]
        stored = self._store.latest_versions(k for k in wanted if k not in self._in_run)
        out = []
        for (key, aliases), digest in items:
            previous = self._in_run.get(key) or stored.get(key)
            if previous is not None and key.startswith(CUSTOMS + _SEP) and _is_invoice(previous):
                out.append(Identity(key, aliases, digest, previous, explained=True))
                continue
            if previous is None:
                previous = self._adoptable(aliases, stored)
            out.append(Identity(key, aliases, digest, previous))
        return out

    def _adoptable(
        self, aliases: tuple[str, ...], stored: Mapping[str, RecordVersion]
    ) -> RecordVersion | None:
        """A customs-only shipment this ERP record now explains, if no ERP record did yet."""
        for alias in aliases:
            found = self._in_run.get(alias) or stored.get(alias)
            if found is None or found.record_id in self._adopted:
                continue
            if _is_invoice(found):
                continue
            return found
        return None

    def _source(self, record: ExportRecord) -> str:
        prefix = record.source_ref.rpartition(":")[0]
        return self._names.get(prefix, prefix)

    @staticmethod
    def unchanged(identity: Identity) -> bool:
        return identity.explained or (
            identity.previous is not None
            and identity.previous.content_sha256 == identity.content_sha256
        )

    def attach(
        self,
        identity: Identity,
        bucket: Mapping[str, str] | None,
        exposure_minor: int | None,
        *,
        hub_buyer: str | None = None,
    ) -> RecordVersion:
        """The version to store with the submission that attaches this record now
        (``hub_buyer``: its buyer id shared across exporters, gateway.hub.common_id)."""
        prev = identity.previous
        # A previous version this run already attached may since have been superseded here.
        if prev is not None:
            prev = self._in_run.get(identity.key, prev)
        version = RecordVersion(
            record_id=prev.record_id if prev else self._new_record_id(),
            version=prev.version + 1 if prev else 1,
            content_sha256=identity.content_sha256,
            keys=(identity.key,),
            bucket=dict(bucket) if bucket is not None else None,
            exposure_minor=exposure_minor,
            # A declaration several invoices share (a consolidated shipment) names the first
            # of them only; it still marks the shipment as attached.
            aliases=identity.aliases,
            hub_buyer=hub_buyer,
        )
        if prev is not None and not _is_invoice(prev):
            self._adopted.add(prev.record_id)
        self._in_run[identity.key] = version
        return version

    def committed(self, versions: Iterable[RecordVersion]) -> None:
        """Forget ``versions`` now that the store holds them: the store answers for them from
        here on, so a run's memory does not grow with the number of records it attaches."""
        for version in versions:
            for key in version.keys:
                if self._in_run.get(key) is version:
                    del self._in_run[key]

    def _new_record_id(self) -> str:
        self._created += 1
        return f"{self._id_prefix}{self._created:08x}"


def _is_invoice(version: RecordVersion) -> bool:
    """Whether the record was ever attached from an ERP invoice (not from customs alone)."""
    return any(k.startswith(INVOICE + _SEP) for k in version.keys)

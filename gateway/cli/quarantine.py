"""``gateway quarantine list|show|retry|discard``: rows that could not become records.

A quarantined row is stored with its raw columns, locally only, so it can be replayed once its
cause is fixed. Those values can be trade secrets (buyer names, prices): ``list`` and ``show``
print the field and the reason, the column names, never a value; ``show --reveal`` prints them,
with a warning.

``retry`` re-normalises each stored row under its source's *current* mapping
(:mod:`gateway.ingest.replay`). Rows that now parse are replayed through a full sync, so
reconciliation with customs still sees them, and their entries become ``retried`` once that sync
has finished. Rows that still fail stay open, named by field and reason. Only rows of an ERP
``[[sources]]`` entry with a stored raw row can be replayed; for the others the command says why
and what to do instead. It exits 1 when a selected entry is still open afterwards or a
submission could not be delivered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from gateway.cli._common import ConfigOption, console, err_console, gateway_errors
from gateway.cli.outbox import listing_table, print_wide, short_id
from gateway.cli.report import print_account
from gateway.cli.sync import run_sync
from gateway.errors import ConfigError
from gateway.export_csv import CSV_ENCODING, render_csv
from gateway.ingest import SourceItem
from gateway.ingest.replay import Replay, renormalise
from gateway.model import ExportRecord
from gateway.runtime import load_mapping_for, open_source, open_store
from gateway.settings import Settings, load_settings
from gateway.store import QuarantineEntry, QuarantineStatus, Store

app = typer.Typer(
    help="Quarantined rows: list, show, replay them after a fix, or discard them.",
    no_args_is_help=True,
)
PAGE = 1000
#: ``--csv`` columns: the keys of ``_public`` (never a raw value).
QUARANTINE_CSV_COLUMNS = (
    "id", "run_id", "source", "row", "field", "reason", "status", "created_at", "columns",
)


class StatusFilter(StrEnum):
    OPEN = "open"
    RETRIED = "retried"
    DISCARDED = "discarded"
    ALL = "all"


def _line(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def _where(e: QuarantineEntry) -> str:
    return f"#{e.id} {escape(e.source)} row {e.row}"


def _public(e: QuarantineEntry) -> dict[str, Any]:
    """The entry without its raw values."""
    return {
        "id": e.id, "run_id": e.run_id, "source": e.source, "row": e.row, "field": e.field,
        "reason": e.reason, "status": e.status.value, "created_at": e.created_at.isoformat(),
        "columns": sorted(e.raw),
    }


def _pages(store: Store, status: QuarantineStatus | None) -> Iterator[QuarantineEntry]:
    offset = 0
    while page := store.list_quarantine(status=status, limit=PAGE, offset=offset):
        yield from page
        offset += PAGE


def _labels(settings: Settings, name: str) -> set[str]:
    """What a ``--source`` names: a stored source label, or a configured source's file."""
    files = [(s.name, s.path) for s in settings.sources]
    files += [(c.name, c.path) for c in settings.customs]
    return {name} | {path.name for n, path in files if n == name and path is not None}


@app.command("list")
def list_entries(
    config: ConfigOption = Path("gateway.toml"),
    status: Annotated[StatusFilter, typer.Option(help="Which entries.")] = StatusFilter.OPEN,
    source: Annotated[
        str | None, typer.Option(help="Only this source: a configured name or a file name.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 200,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the list here as CSV.")
    ] = None,
) -> None:
    """List quarantined rows: id, run, source, row, field and reason (never the values)."""
    with gateway_errors():
        settings = load_settings(config)
        wanted = None if source is None else _labels(settings, source)
        chosen = None if status is StatusFilter.ALL else QuarantineStatus(status.value)
        entries: list[QuarantineEntry] = []
        with open_store(settings) as store:
            for entry in _pages(store, chosen):
                if wanted is None or entry.source in wanted:
                    entries.append(entry)
                if len(entries) >= limit:
                    break
    if csv_out is not None:
        text = render_csv(QUARANTINE_CSV_COLUMNS, [_public(e) for e in entries])
        csv_out.write_text(text, encoding=CSV_ENCODING, newline="")
    if json_out:
        typer.echo(json.dumps([_public(e) for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        _line("no quarantined rows" + ("" if chosen is None else f" in state {chosen.value}"))
        return
    table = listing_table(
        "Quarantine",
        ("id", "run", "source", "row", "field", "reason", "status"),
        right=("id", "row"),
        wrap="reason",
    )
    for e in entries:
        table.add_row(
            str(e.id), short_id(e.run_id), escape(e.source), str(e.row), escape(e.field),
            escape(e.reason), e.status.value,
        )
    print_wide(table)


def _entry(store: Store, entry_id: int, *, need_open: bool) -> QuarantineEntry:
    entry = store.get_quarantine(entry_id)
    if entry is None:
        raise ConfigError(f"no quarantine entry {entry_id} (see `gateway quarantine list`)")
    if need_open and entry.status is not QuarantineStatus.OPEN:
        raise ConfigError(f"quarantine entry {entry_id} is already {entry.status.value}")
    return entry


@app.command("show")
def show(
    entry_id: Annotated[int, typer.Argument(help="The quarantine entry id.")],
    config: ConfigOption = Path("gateway.toml"),
    reveal: Annotated[
        bool, typer.Option(help="Also print the row's values (they may be trade secrets).")
    ] = False,
) -> None:
    """One quarantined row: where it came from, why, and its column names."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        entry = _entry(store, entry_id, need_open=False)
    for key, value in _public(entry).items():
        if key != "columns":
            _line(f"{key}: {escape(str(value))}")
    if not entry.raw:
        _line("columns: none stored (the row cannot be replayed from the store)")
        return
    _line(f"columns: {escape(', '.join(sorted(entry.raw)))}")
    if reveal:
        err_console.print("[yellow]warning:[/] printing the row's values (may be trade secrets)")
        for column in sorted(entry.raw):
            typer.echo(f"  {column} = {entry.raw[column]!r}")


@dataclass
class _Plan:
    """Per configured source, what its rows' replay found; per entry, why it cannot replay."""

    replays: dict[str, Replay] = field(default_factory=dict)
    blocked: dict[int, str] = field(default_factory=dict)


def _run_sources(store: Store, run_id: str) -> set[str]:
    """The configured sources a run read (its summary and its account name them)."""
    run = store.get_run(run_id)
    if run is None:
        return set()
    listed = (run.source_summary or {}).get("sources")
    return set(listed if isinstance(listed, list) else ()) | set(run.account or {})


def _source_of(
    settings: Settings, entry: QuarantineEntry, readers: dict[str, Any], ran: set[str]
) -> str:
    """The configured ERP source a stored row came from, or :class:`ConfigError` saying why
    there is none. A row is named by its file; a renamed export (tomorrow's file) is still
    found when the row's run read a single ERP source."""
    label = entry.source
    same = [name for name, reader in readers.items() if getattr(reader, "source", None) == label]
    if len(same) == 1:
        return same[0]
    if len(same) > 1:
        raise ConfigError(f"several configured sources read a file named {label}")
    if any(c.path.name == label for c in settings.customs):
        raise ConfigError("a customs source's row: fix it and run `gateway sync` again")
    if settings.receivables is not None and settings.receivables.path.name == label:
        raise ConfigError("an open-items row: fix the file and run `gateway sync` again")
    candidates = sorted(ran & set(readers))
    if len(candidates) == 1:
        return candidates[0]
    raise ConfigError(
        "not from a configured [[sources]] entry (removed, or pushed through the webhook): "
        "fix the cause and send or sync it again"
    )


def _present(source: Any) -> set[str]:
    """Invoice numbers the source provides as good records now, read with its current mapping."""
    return {item.invoice_number for item in source if isinstance(item, ExportRecord)}


def _plan(settings: Settings, store: Store, entries: Sequence[QuarantineEntry]) -> _Plan:
    plan = _Plan()
    readers: dict[str, Any] = {s.name: open_source(s, settings) for s in settings.sources}
    runs = {run_id: _run_sources(store, run_id) for run_id in {e.run_id for e in entries}}
    groups: dict[str, list[QuarantineEntry]] = defaultdict(list)
    for entry in entries:
        try:
            groups[_source_of(settings, entry, readers, runs[entry.run_id])].append(entry)
        except ConfigError as exc:
            plan.blocked[entry.id] = str(exc)
    for source in settings.sources:
        rows = groups.get(source.name)
        if not rows:
            continue
        present = _present(readers[source.name]) if any(e.raw for e in rows) else set()
        plan.replays[source.name] = renormalise(
            rows, load_mapping_for(source.mapping), present=present, limits=settings.limits
        )
    return plan


def _print_plan(plan: _Plan, entries: dict[int, QuarantineEntry]) -> None:
    for replay in plan.replays.values():
        for entry_id in replay.replayed:
            _line(f"  [green]replaying[/] {_where(entries[entry_id])}: it parses now")
        for entry_id, why in replay.superseded.items():
            _line(f"  [green]settled[/] {_where(entries[entry_id])}: {escape(why)}")
        for entry_id, item in replay.failing.items():
            _line(
                f"  [red]still failing[/] {_where(entries[entry_id])} field "
                f"{escape(item.field)}: {escape(item.reason)}"
            )
    blocked = dict(plan.blocked)
    for replay in plan.replays.values():
        blocked.update(replay.unreplayable)
    for entry_id, why in sorted(blocked.items()):
        _line(f"  [yellow]not replayable[/] {_where(entries[entry_id])}: {escape(why)}")


def _select(store: Store, ids: list[int], everything: bool) -> list[QuarantineEntry]:
    if not ids and not everything:
        raise ConfigError("name the quarantine entries to retry, or give --all")
    chosen = {i: _entry(store, i, need_open=True) for i in ids}
    if everything:
        chosen.update({e.id: e for e in _pages(store, QuarantineStatus.OPEN)})
    return [chosen[i] for i in sorted(chosen)]


@app.command("retry")
def retry(
    entry_ids: Annotated[list[int] | None, typer.Argument(help="Quarantine entry ids.")] = None,
    config: ConfigOption = Path("gateway.toml"),
    everything: Annotated[bool, typer.Option("--all", help="Every open entry.")] = False,
    deliver: Annotated[bool, typer.Option(help="Deliver the outbox after the sync.")] = True,
) -> None:
    """Re-read quarantined rows with today's mapping and replay those that now parse."""
    with gateway_errors():
        settings = load_settings(config)
        with open_store(settings) as store:
            entries = _select(store, entry_ids or [], everything)
            plan = _plan(settings, store, entries) if entries else _Plan()
        if not entries:
            _line("no open quarantined rows")
            return
        _print_plan(plan, {e.id: e for e in entries})
        settled = sorted(i for r in plan.replays.values() for i in r.resolved())
        failed = False
        if settled:
            # A source named here is read even when its file is unchanged since its checkpoint:
            # the rows it settles may parse only under today's mapping.
            replay: dict[str, list[SourceItem]] = {
                name: list(r.records) for name, r in plan.replays.items() if r.resolved()
            }
            result = run_sync(settings, replay=replay, deliver=deliver, command="quarantine")
            print_account(console, result)
            failed = bool(result.failed or result.dead)
            with open_store(settings, lock="quarantine") as store:
                store.set_quarantine_status(settled, QuarantineStatus.RETRIED)
    _line(f"retried: {len(settled)}, still open: {len(entries) - len(settled)}")
    if failed or len(settled) < len(entries):
        raise typer.Exit(code=1)


@app.command("discard")
def discard(
    entry_ids: Annotated[list[int], typer.Argument(help="Quarantine entry ids.")],
    config: ConfigOption = Path("gateway.toml"),
) -> None:
    """Close open entries without replaying them (the row was fixed at its source)."""
    with gateway_errors():
        settings = load_settings(config)
        with open_store(settings, lock="quarantine") as store:
            for entry_id in entry_ids:
                _entry(store, entry_id, need_open=True)
            changed = store.set_quarantine_status(entry_ids, QuarantineStatus.DISCARDED)
    _line(f"discarded: {changed}")

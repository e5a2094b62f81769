"""``gateway outbox list|inspect|retry``: the signed submissions waiting for, or past, delivery.

``list`` and ``inspect`` only read the store. They never print a submission's JWS, and
``inspect`` shows the payload's attachments (what left, or is about to leave, the building) only
with ``--show-payload``. ``retry`` requeues dead or failed entries and, unless ``--no-deliver``,
sends the outbox once, now; it exits 1 when a requeued entry is still not delivered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.cli._common import ConfigOption, console, err_console, gateway_errors
from gateway.crypto import b64url_decode
from gateway.crypto.strict_json import loads_strict
from gateway.delivery import DeliveryReport
from gateway.errors import ConfigError, StoreError
from gateway.export_csv import CSV_ENCODING, render_csv
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, open_store
from gateway.settings import load_settings
from gateway.store import Store, Submission, SubmissionStatus

app = typer.Typer(
    help="The outbox of signed submissions: list, inspect and retry their delivery.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PAGE = 1000
TABLE_WIDTH = 150
#: ``--csv`` columns: the keys of ``Submission.summary()``.
OUTBOX_CSV_COLUMNS = (
    "submission_id", "run_id", "sequence", "created_at", "status", "payload_sha256", "attempts",
    "last_attempt_at", "last_error", "policy_version", "next_attempt_at",
)


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def print_wide(table: Table) -> None:
    """Print a table at least ``TABLE_WIDTH`` wide: its ids are what a reader copies into the next
    command, so they are never cut to fit a narrow screen (a terminal wraps long lines)."""
    width = max(console.width, TABLE_WIDTH)
    Console(file=console.file, width=width, highlight=False).print(table)


def listing_table(title: str, columns: Sequence[str], *, right: Sequence[str], wrap: str) -> Table:
    """A plain listing: numbers right-aligned, only the ``wrap`` column wraps."""
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(
            column, justify="right" if column in right else "left", no_wrap=column != wrap
        )
    return table


def short_id(run_id: str) -> str:
    """A run id's first 12 characters, like a short commit hash (JSON output has it whole)."""
    return run_id[:12]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def _line(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


@app.command("list")
def list_entries(
    config: ConfigOption = Path("gateway.toml"),
    status: Annotated[
        SubmissionStatus | None, typer.Option(help="Only entries in this state.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=PAGE, help="At most this many.")] = 50,
    json_out: JsonFlag = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the list here as CSV.")
    ] = None,
) -> None:
    """List outbox entries, newest first: state, attempts, next attempt and last error."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        entries = store.list_submissions(limit, status=status)
    if csv_out is not None:
        rows = [entry.summary() for entry in entries]
        text = render_csv(OUTBOX_CSV_COLUMNS, rows)
        csv_out.write_text(text, encoding=CSV_ENCODING, newline="")
    if json_out:
        _echo_json([entry.summary() for entry in entries])
        return
    if not entries:
        _line("the outbox is empty" if status is None else f"no {status.value} entries")
        return
    table = listing_table(
        "Outbox",
        ("id", "run", "seq", "status", "attempts", "next attempt", "last error"),
        right=("seq", "attempts"),
        wrap="last error",
    )
    for e in entries:
        table.add_row(
            e.submission_id, short_id(e.run_id), str(e.sequence), e.status.value, str(e.attempts),
            _when(e.next_attempt_at), escape(e.last_error or "-"),
        )
    print_wide(table)


def payload_overview(submission: Submission) -> tuple[dict[str, Any], list[Any]]:
    """What a stored submission says, without its contents; and its attachments, apart."""
    what = f"outbox entry {submission.submission_id}"
    parts = submission.jws.split(".")
    if len(parts) != 3:
        raise StoreError(f"{what}: the stored submission is not a compact JWS")
    payload = loads_strict(
        b64url_decode(parts[1], what=what, error=StoreError), what=what, error=StoreError
    )
    if not isinstance(payload, dict):
        raise StoreError(f"{what}: the stored payload is not a JSON object")
    attachments = payload.get("attachments") or []
    exposure = payload.get("exposure")
    overview = {
        "schema": payload.get("schema"),
        "issuer": payload.get("iss"),
        "audience": payload.get("aud"),
        "issued_at": payload.get("iat"),
        "policy": payload.get("policy"),
        "batch": payload.get("batch"),
        "attachments": len(attachments),
        "exposure_buckets": len(exposure.get("buckets") or []) if exposure else 0,
        "suppressed_records": exposure.get("suppressed_records") if exposure else None,
        "ledger_head": payload.get("ledger"),
    }
    return overview, list(attachments)


def _inspection(store: Store, submission_id: str) -> tuple[dict[str, Any], list[Any]]:
    entry = store.get_submission(submission_id)
    if entry is None:
        raise ConfigError(f"no outbox entry {submission_id!r} (see `gateway outbox list`)")
    overview, attachments = payload_overview(entry)
    receipt = store.get_receipt(submission_id)
    ledger = [e for e in store.ledger_entries() if e.submission_id == submission_id]
    return {
        "submission": entry.summary(),
        "payload": overview,
        "receipt": None if receipt is None else {
            "receipt_id": receipt.receipt_id,
            "received_at": receipt.received_at.isoformat(),
            "verified_at": _when(receipt.verified_at),
        },
        "ledger": ledger[0].to_json() if ledger else None,
    }, attachments


def _print_inspection(doc: dict[str, Any]) -> None:
    for section in ("submission", "payload", "receipt", "ledger"):
        value = doc[section]
        if value is None:
            _line(f"[bold]{section}[/]: none")
            continue
        _line(f"[bold]{section}[/]")
        for key, item in value.items():
            shown = json.dumps(item, ensure_ascii=False) if isinstance(item, dict) else item
            _line(f"  {key}: {escape(str(shown))}")


@app.command("inspect")
def inspect(
    submission_id: Annotated[str, typer.Argument(help="The outbox entry (sub_...).")],
    config: ConfigOption = Path("gateway.toml"),
    show_payload: Annotated[
        bool, typer.Option(help="Also print the attachments, exactly as they were sent.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """One entry: its state, an overview of its payload, its receipt and its ledger entry."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        doc, attachments = _inspection(store, submission_id)
    if show_payload:
        err_console.print("[yellow]warning:[/] printing the attachments this submission carries")
        doc["attachments"] = attachments
    if json_out:
        _echo_json(doc)
        return
    _print_inspection(doc)
    if show_payload:
        _line("[bold]attachments[/]")
        typer.echo(json.dumps(attachments, indent=2, ensure_ascii=False, sort_keys=True))


def _targets(store: Store, ids: list[str], all_dead: bool) -> list[str]:
    """The entries to requeue: every id must exist and not be delivered yet."""
    if not ids and not all_dead:
        raise ConfigError("name the outbox entries to retry, or give --all-dead")
    for submission_id in ids:
        entry = store.get_submission(submission_id)
        if entry is None:
            raise ConfigError(f"no outbox entry {submission_id!r} (see `gateway outbox list`)")
        if entry.status is SubmissionStatus.DELIVERED:
            raise ConfigError(f"outbox entry {submission_id} is already delivered")
    targets = list(dict.fromkeys(ids))
    if all_dead:
        offset = 0
        while page := store.list_submissions(PAGE, offset, status=SubmissionStatus.DEAD):
            targets += [e.submission_id for e in page if e.submission_id not in targets]
            offset += PAGE
    return targets


def _print_delivery(store: Store, targets: list[str], report: DeliveryReport) -> bool:
    """Print the outcome; ``True`` when every target is delivered."""
    states = {t: store.get_submission(t) for t in targets}
    delivered = [t for t, s in states.items() if s and s.status is SubmissionStatus.DELIVERED]
    for submission_id in delivered:
        _line(f"  [green]delivered[/] {submission_id}")
    for label, reasons in (("failed", report.failed), ("dead", report.dead)):
        for submission_id, why in reasons.items():
            _line(f"  [red]{label}[/] {submission_id}: {escape(why)}")
    if report.breaker_open_until is not None:
        _line(f"  circuit breaker open until {_when(report.breaker_open_until)}: nothing sent")
    _line(
        f"delivered: {report.delivered}, failed: {len(report.failed)}, "
        f"dead: {len(report.dead)}, still queued: {report.waiting}"
    )
    return len(delivered) == len(targets)


@app.command("retry")
def retry(
    submission_ids: Annotated[
        list[str] | None, typer.Argument(help="Outbox entries to send again.")
    ] = None,
    config: ConfigOption = Path("gateway.toml"),
    all_dead: Annotated[bool, typer.Option(help="Requeue every dead entry.")] = False,
    deliver: Annotated[
        bool, typer.Option(help="Deliver the outbox now (otherwise the next sync does).")
    ] = True,
) -> None:
    """Requeue dead or failed entries with a fresh attempt count, then deliver them now."""
    with gateway_errors():
        settings = load_settings(config)
        with open_store(settings, lock="outbox") as store:
            runtime = build_runtime(settings, store) if deliver else None
            targets = _targets(store, submission_ids or [], all_dead)
            if not targets:
                _line("no dead entries to retry")
                return
            for submission_id in targets:
                store.requeue(submission_id)
            _line(f"requeued {len(targets)}: {', '.join(targets)}")
            if runtime is None:
                return
            with insurer_client(settings) as client:
                report = Pipeline(runtime, store).deliver(
                    client, settings=settings.delivery, wait=False
                )
            complete = _print_delivery(store, targets, report)
    if not complete:
        raise typer.Exit(code=1)

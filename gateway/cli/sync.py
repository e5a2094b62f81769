"""``gateway sync``: one pass over the configured sources, then delivery of the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from gateway.account import SyncResult
from gateway.cli._common import ConfigOption, console, gateway_errors, setup_logging
from gateway.cli.report import print_account, result_json
from gateway.dashboard.context import RuntimeRef
from gateway.ingest import SourceItem
from gateway.runtime import build_runtime, open_store
from gateway.service.jobs import deliver_with, process_with
from gateway.settings import Settings, load_settings


def run_sync(
    settings: Settings,
    *,
    deliver: bool = True,
    show_progress: bool = True,
    as_of: date | None = None,
    replay: Mapping[str, Iterable[SourceItem]] | None = None,
    command: str = "sync",
) -> SyncResult:
    """Build the runtime, process every source into the outbox and deliver it.

    ``replay`` adds items to the named sources (rows taken back out of the quarantine); they
    are read after the source itself, and records already attached are not sent again.
    """
    with open_store(settings, lock=command) as store:
        runtime = RuntimeRef(build_runtime(settings, store))
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records"),
            TimeElapsedColumn(),
            console=console,
            disable=not show_progress,
            transient=False,
        )
        tasks: dict[str, TaskID] = {}

        def advance(source: str, n: int) -> None:
            if source not in tasks:
                tasks[source] = progress.add_task(source, total=None)
            progress.advance(tasks[source], n)

        with progress:
            pipeline, result = process_with(
                settings, runtime, store, progress=advance, as_of=as_of, replay=replay
            )
        if deliver:
            deliver_with(settings, pipeline, result, wait=True)
    return result


def command(
    config: ConfigOption = Path("gateway.toml"),
    deliver: Annotated[
        bool, typer.Option(help="Deliver the outbox to the insurer after processing.")
    ] = True,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the account as JSON here.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Read every configured source once, apply the policy, and send what the policy allows."""
    setup_logging(verbose)
    with gateway_errors():
        result = run_sync(load_settings(config), deliver=deliver)
    print_account(console, result)
    if json_out is not None:
        text = json.dumps(result_json(result), indent=2, ensure_ascii=False)
        json_out.write_text(text, encoding="utf-8")
    if result.failed or result.dead:
        raise typer.Exit(code=1)

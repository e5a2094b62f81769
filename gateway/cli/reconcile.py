"""``gateway reconcile``: match customs declarations to ERP invoices and report, sending nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli._common import ConfigOption, console, gateway_errors, setup_logging
from gateway.cli.report import print_reconciliation
from gateway.errors import ConfigError
from gateway.export_csv import CSV_ENCODING, flatten_sections
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, open_customs, open_receivables, open_sources, open_store
from gateway.settings import load_settings


def command(
    config: ConfigOption = Path("gateway.toml"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the report here.")
    ] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the report here as CSV (safe for spreadsheets)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Report as of this date (YYYY-MM-DD); default today.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Report matched, auto-attachable, pending and conflicting shipments and deadlines at risk."""
    setup_logging(verbose)
    with gateway_errors():
        settings = load_settings(config)
        if not settings.customs:
            raise ConfigError(f"{config}: no [[customs]] source configured; nothing to reconcile")
        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError:
            raise ConfigError("--as-of must be a date, YYYY-MM-DD") from None
        with open_store(settings) as store:
            runtime = build_runtime(settings, store)
            summary = Pipeline(runtime, store).reconcile_only(
                open_sources(settings),
                open_customs(settings),
                open_receivables(settings),
                as_of=day,
            )
    print_reconciliation(console, summary)
    if json_out is not None:
        text = json.dumps(summary.as_dict(), indent=2, ensure_ascii=False)
        json_out.write_text(text + "\n", encoding="utf-8")
    if csv_out is not None:
        sections = {k: v for k, v in summary.as_dict().items() if isinstance(v, list)}
        csv_out.write_text(flatten_sections(sections), encoding=CSV_ENCODING, newline="")

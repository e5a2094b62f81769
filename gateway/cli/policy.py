"""``gateway policy``: test a policy, preview it on sample records, and diff two versions.

Everything runs locally in the embedded engine and sends nothing. A preview shows the sample's
original values: they are the exporter's own data, shown on the exporter's own screen. Without
``--config`` pseudonyms are made with a throw-away key, so tokens differ from those a sync sends
(but are the same for both sides of a diff).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.adapters.erp import CsvSource, JsonLinesSource
from gateway.adapters.policy_files import builtin_policy, load_policy_dir
from gateway.cli._common import console, gateway_errors
from gateway.crypto import PseudonymKey
from gateway.errors import ConfigError
from gateway.ingest import SourceItem
from gateway.keys import load_pseudonym_key_file
from gateway.model import ExportRecord
from gateway.policy import PolicyBundle, run_rego_tests
from gateway.policy.compare import DROPPED, PolicyDiff, diff_views
from gateway.policy.preview import diff_json, evaluate, preview_records, record_json
from gateway.runtime import load_mapping_for, load_policy
from gateway.settings import Settings, load_settings

app = typer.Typer(help="Test, preview and compare redaction policies.", no_args_is_help=True)

Config = Annotated[
    Path | None, typer.Option("--config", "-c", help="Configuration file (policy, keys).")
]
PolicyDir = Annotated[
    str | None, typer.Option("--policy", help="Policy directory, or `builtin`.")
]
Sample = Annotated[
    Path, typer.Option("--sample", help="Sample export (.csv or .jsonl), read with --mapping.")
]
MappingName = Annotated[
    str, typer.Option("--mapping", help="Shipped mapping name or mapping file.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _policy(spec: str) -> PolicyBundle:
    return builtin_policy() if spec == "builtin" else load_policy_dir(Path(spec))


def _bundle(config: Path | None, policy: str | None) -> tuple[PolicyBundle, Settings | None]:
    settings = load_settings(config) if config is not None else None
    if policy is not None:
        return _policy(policy), settings
    return (load_policy(settings) if settings else builtin_policy()), settings


def _read_sample(path: Path, mapping: str, limit: int | None) -> tuple[list[ExportRecord], int]:
    """The sample's records (up to ``limit``) and how many rows the mapping quarantined."""
    columns = load_mapping_for(mapping)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ConfigError(f"sample {path.name}: expected a .csv or .jsonl file")
    source: Iterator[SourceItem] = iter(
        CsvSource(path, columns) if suffix == ".csv" else JsonLinesSource(path, columns)
    )
    records: list[ExportRecord] = []
    rejected = 0
    for item in source:
        if isinstance(item, ExportRecord):
            records.append(item)
            if limit is not None and len(records) >= limit:
                break
        else:
            rejected += 1
    return records, rejected


def _pseudonym_key(settings: Settings | None) -> PseudonymKey:
    if settings is not None:
        return load_pseudonym_key_file(settings.keys.pseudonym_key)
    return PseudonymKey("preview-" + date.today().strftime("%Y%m%d"), secrets.token_bytes(32))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@app.command("test")
def test_command(config: Config = None, policy: PolicyDir = None, as_json: Json = False) -> None:
    """Run the policy's Rego unit tests in the embedded engine; exit 1 when any fails."""
    with gateway_errors():
        bundle, _ = _bundle(config, policy)
        results = run_rego_tests(bundle)
    failed = [r for r in results if not r.passed]
    if as_json:
        doc = {
            "policy": {"name": bundle.name, "version": bundle.version},
            "tests": [
                {"package": r.package, "name": r.name, "passed": r.passed, "error": r.error}
                for r in results
            ],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        table = Table(title=f"Rego tests of {bundle.name} {bundle.short_version}")
        for col in ("package", "test", "result", "why"):
            table.add_column(col, overflow="fold")
        for r in results:
            state = "[green]pass[/]" if r.passed else "[red]FAIL[/]"
            table.add_row(r.package, r.name, state, escape(r.error or ""))
        console.print(table)
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or not results:
        if not results:
            console.print("[red]no tests found[/]: add *_test.rego modules with test_* rules")
        raise typer.Exit(code=1)


@app.command("preview")
def preview_command(
    sample: Sample,
    config: Config = None,
    policy: PolicyDir = None,
    mapping: MappingName = "generic",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records to show.")] = 5,
    as_json: Json = False,
) -> None:
    """Per sample record and field: the original value, the action, and what leaves."""
    with gateway_errors():
        bundle, settings = _bundle(config, policy)
        records, rejected = _read_sample(sample, mapping, limit)
        inputs = [r.policy_input() for r in records]
        views = evaluate(bundle, inputs, _pseudonym_key(settings))
    previewed = preview_records(inputs, views)
    if as_json:
        doc = {"policy": {"name": bundle.name, "version": bundle.version},
               "records": [record_json(r) for r in previewed], "rejected_rows": rejected}
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for view in previewed:
        verdict = view.outcome + (f" ({view.reason})" if view.reason else "")
        table = Table(title=f"{escape(view.source_ref)}: {verdict}", title_justify="left")
        for col in ("field", "original", "action", "leaves"):
            table.add_column(col, overflow="fold")
        for row in view.fields:
            action = ", ".join(row.actions) or "—"
            leaves = DROPPED if row.dropped else _text(row.leaves)
            table.add_row(row.field, escape(_text(row.original)), action, escape(leaves))
        console.print(table)
        if view.exposure:
            console.print("  the amount also joins its bucket total, Paillier-encrypted")
    console.print(f"policy {bundle.name} {bundle.short_version}; {rejected} row(s) rejected")


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(help="Old policy directory, or `builtin`.")],
    new: Annotated[str, typer.Argument(help="New policy directory, or `builtin`.")],
    sample: Sample,
    mapping: MappingName = "generic",
    as_json: Json = False,
) -> None:
    """What the NEW policy discloses more or less than OLD, record by record and field by field."""
    with gateway_errors():
        before, after = _policy(old), _policy(new)
        records, _ = _read_sample(sample, mapping, None)
        inputs = [r.policy_input() for r in records]
        key = _pseudonym_key(None)
        diff = diff_views(evaluate(before, inputs, key), evaluate(after, inputs, key))
    if as_json:
        doc = {
            "old": {"name": before.name, "version": before.version},
            "new": {"name": after.name, "version": after.version},
            "records": len(records),
            **diff_json(diff),
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    _print_diff(diff, len(records))


def _print_diff(diff: PolicyDiff, count: int) -> None:
    if diff.empty:
        console.print(f"No difference in what leaves over {count} sample record(s).")
        return
    if diff.decisions:
        table = Table(title="Decision changes", title_justify="left")
        for col in ("record", "old", "new"):
            table.add_column(col, overflow="fold")
        for d in diff.decisions:
            table.add_row(
                escape(d.source_ref),
                d.old + (f" ({d.old_reason})" if d.old_reason else ""),
                d.new + (f" ({d.new_reason})" if d.new_reason else ""),
            )
        console.print(table)
    table = Table(title="Field changes", title_justify="left")
    for col in ("record", "field", "change"):
        table.add_column(col, overflow="fold")
    for c in diff.fields:
        table.add_row(escape(c.source_ref), c.field, c.change.value)
    console.print(table)
    summary = Table(title=f"Summary over {count} sample record(s)", title_justify="left")
    summary.add_column("field")
    summary.add_column("changes")
    for name, counts in diff.summary.items():
        summary.add_row(name, ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    console.print(summary)

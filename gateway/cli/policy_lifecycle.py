"""``gateway policy activate|rollback|history``: versioned activation (docs/policy-lifecycle.md).

``activate`` checks the candidate first (it compiles, its Rego tests pass, no protected field
leaves in clear on the sample records without a justified exception) and refuses with exit code 1
when it does not pass; ``rollback`` makes an earlier activated version active again, checked the
same way. Both append to the store's activation log: who, when, the hash, the reason and the
justified exceptions. ``sync`` and ``serve`` use the latest entry.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gateway.adapters.policy_files import builtin_policy, load_policy_dir
from gateway.adapters.samples import read_sample
from gateway.cli._common import ConfigOption, console, gateway_errors
from gateway.keys import load_pseudonym_key_file
from gateway.policy.bundle import PolicyBundle
from gateway.policy.lifecycle import (
    ActivationCheck,
    activate,
    check_bundle,
    resolve_version,
    stored_bundle,
)
from gateway.runtime import load_mapping_for, load_policy, open_store
from gateway.settings import Settings, load_settings
from gateway.store import PolicyActivation
from gateway.transform import OperatorContext

Reason = Annotated[
    str | None, typer.Option("--reason", help="Why, in words the ledger will keep.")
]
Actor = Annotated[
    str | None, typer.Option("--actor", help="Who (default: the operating-system user).")
]
SampleOpt = Annotated[
    Path | None,
    typer.Option("--sample", help="Sample export to check on (default: [dashboard] sample)."),
]
MappingOpt = Annotated[str | None, typer.Option("--mapping", help="Mapping for --sample.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


def run_check(
    settings: Settings, bundle: PolicyBundle, sample: Path | None, mapping: str | None
) -> ActivationCheck:
    """Check ``bundle`` on the sample records with the configured pseudonym key."""
    sample = sample or settings.dashboard.sample
    columns = load_mapping_for(mapping or settings.dashboard.sample_mapping)
    records, _ = read_sample(sample, columns)
    context = OperatorContext(pseudonym_key=load_pseudonym_key_file(settings.keys.pseudonym_key))
    return check_bundle(bundle, [r.policy_input() for r in records], context)


def print_check(check: ActivationCheck) -> None:
    """The check as a compliance officer reads it: tests, clear disclosures, verdict."""
    passed = sum(t.passed for t in check.tests)
    console.print(
        f"policy [bold]{escape(check.name)}[/] {check.version[:12]}: "
        f"{passed}/{len(check.tests)} Rego tests pass; "
        f"{check.attached} of {check.samples} sample records attached"
    )
    if check.findings:
        table = Table(title="Protected fields leaving in clear", title_justify="left")
        for column in ("field", "what it is", "operator", "records", "justification"):
            table.add_column(column)
        for f in check.findings:
            why = check.exceptions.get(f.field)
            table.add_row(
                f.field, f.label, f.operator, str(f.records),
                escape(why) if why else "[red]none: refused[/]",
            )
        console.print(table)
    for warning in check.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}")
    for problem in check.problems:
        console.print(f"[red]refused:[/] {escape(problem)}", soft_wrap=True)


def _print_activation(entry: PolicyActivation) -> None:
    console.print(
        f"[green]{entry.action}d[/] policy {entry.version[:12]} as entry {entry.seq} "
        f"by {escape(entry.actor)} at {entry.at:%Y-%m-%d %H:%M:%S} UTC"
    )


def activate_command(
    config: ConfigOption = Path("gateway.toml"),
    policy: Annotated[
        str | None, typer.Option("--policy", help="Policy directory, or `builtin`.")
    ] = None,
    sample: SampleOpt = None,
    mapping: MappingOpt = None,
    reason: Reason = None,
    actor: Actor = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="Check only; activate nothing.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Check a policy version and make it the one every sync uses."""
    with gateway_errors():
        settings = load_settings(config)
        if policy is None:
            bundle = load_policy(settings)
        else:
            bundle = builtin_policy() if policy == "builtin" else load_policy_dir(Path(policy))
        check = run_check(settings, bundle, sample, mapping)
        if as_json:
            typer.echo(json.dumps(check.to_json(), indent=2, ensure_ascii=False))
        else:
            print_check(check)
        if not check.ok:
            raise typer.Exit(code=1)
        if check_only:
            return
        with open_store(settings, lock="policy") as store:
            entry = activate(store, bundle, check, actor=_actor(actor), reason=reason)
    if not as_json:
        _print_activation(entry)


def rollback_command(
    config: ConfigOption = Path("gateway.toml"),
    to: Annotated[
        str | None,
        typer.Option("--to", help="Version (8+ hex digits); default: the one before."),
    ] = None,
    reason: Reason = None,
    actor: Actor = None,
    sample: SampleOpt = None,
    mapping: MappingOpt = None,
) -> None:
    """Make an earlier activated version active again (checked like an activation)."""
    with gateway_errors():
        settings = load_settings(config)
        with open_store(settings, lock="policy") as store:
            bundle = stored_bundle(store, resolve_version(store, to))
            check = run_check(settings, bundle, sample, mapping)
            print_check(check)
            if not check.ok:
                raise typer.Exit(code=1)
            entry = activate(
                store, bundle, check, actor=_actor(actor), reason=reason, action="rollback"
            )
    _print_activation(entry)


def history_command(config: ConfigOption = Path("gateway.toml"), as_json: Json = False) -> None:
    """Every activation and rollback: who, when, which version, why."""
    with gateway_errors():
        settings = load_settings(config)
        with open_store(settings) as store:
            entries = store.activations()
    if as_json:
        doc = [
            {
                "seq": e.seq, "action": e.action, "version": e.version, "actor": e.actor,
                "at": e.at.isoformat(), "reason": e.reason, "exceptions": dict(e.exceptions),
                "previous_version": e.previous_version,
            }
            for e in entries
        ]
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if not entries:
        console.print("no policy version was ever activated: sync uses the configured policy")
        return
    table = Table(title="Policy activations (latest is in force)", title_justify="left")
    for column in ("#", "action", "version", "who", "when (UTC)", "reason", "exceptions"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            str(e.seq), e.action, e.version[:12], escape(e.actor),
            f"{e.at:%Y-%m-%d %H:%M:%S}", escape(e.reason or ""),
            escape("; ".join(f"{k}: {v}" for k, v in e.exceptions.items())),
        )
    console.print(table)

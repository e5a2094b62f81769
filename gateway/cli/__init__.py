"""The ``gateway`` command. One module per sub-command; this module only wires them up.

Errors the gateway raises on purpose are printed as one-line diagnostics (exit code 2). Rich
tracebacks never show local variables: locals can hold keys and record values.
"""

from __future__ import annotations

import typer

from gateway.cli import (
    contribute,
    demo,
    hub,
    init,
    keys,
    ledger,
    outbox,
    policy,
    policy_lifecycle,
    quarantine,
    reconcile,
    serve,
    sync,
    users,
    verify,
)

app = typer.Typer(
    name="gateway",
    help="Exporter-side data-sovereignty gateway for export credit insurance.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.command("init")(init.command)
app.command("sync")(sync.command)
app.command("reconcile")(reconcile.command)
app.command("serve")(serve.command)
app.command("demo")(demo.command)
app.command("verify")(verify.command)
app.command("contribute")(contribute.command)
app.add_typer(ledger.app, name="ledger")
app.add_typer(outbox.app, name="outbox")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(keys.app, name="keys")
policy.app.command("activate")(policy_lifecycle.activate_command)
policy.app.command("rollback")(policy_lifecycle.rollback_command)
policy.app.command("history")(policy_lifecycle.history_command)
app.add_typer(policy.app, name="policy")
app.add_typer(users.app, name="users")
app.add_typer(hub.app, name="hub")


def main() -> None:
    """Console-script entry point."""
    app()

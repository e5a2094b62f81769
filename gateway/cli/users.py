"""``gateway users add|list|passwd|set-role|disable|enable``: who may sign in to the dashboard.

Roles: ``admin`` (IT administrator: syncs, users), ``compliance`` (compliance officer: the
export policy) and ``auditor`` (read-only). Passwords are asked for twice without echo, or read
from the environment variable named by ``--password-env``; they are never arguments, and never
printed. ``list`` never shows password hashes. Changing a password or role, or disabling a user,
ends that user's open dashboard sessions at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from gateway.auth import Role, add_user, change_password, set_disabled, set_role
from gateway.cli._common import ConfigOption, console, gateway_errors
from gateway.errors import ConfigError
from gateway.runtime import open_store
from gateway.settings import load_settings
from gateway.store import UserRecord

app = typer.Typer(
    help="Dashboard users: add them, list them, change passwords and roles, disable them.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The user name (lower case: letters, digits, ._@-).")]
RoleArg = Annotated[
    Role, typer.Argument(help="admin (IT administrator), compliance (officer) or auditor.")
]
PasswordEnv = Annotated[
    str | None,
    typer.Option(
        "--password-env", metavar="VAR",
        help="Read the password from this environment variable instead of asking for it.",
    ),
]


def _password(env: str | None) -> str:
    """The new password: from ``env`` when named, else asked for twice without echo."""
    if env is not None:
        from_env = os.environ.get(env)
        if not from_env:
            raise ConfigError(f"environment variable {env} is not set or empty")
        return from_env
    typed: str = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    return typed


def _line(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def _summary(user: UserRecord) -> dict[str, str | bool]:
    return {
        "username": user.username,
        "role": user.role,
        "created_at": user.created_at.isoformat(timespec="seconds"),
        "disabled": user.disabled,
    }


@app.command("add")
def add(
    name: NameArg,
    role: Annotated[
        Role, typer.Option("--role", help="admin, compliance or auditor.", show_default=False)
    ],
    config: ConfigOption = Path("gateway.toml"),
    password_env: PasswordEnv = None,
) -> None:
    """Add a dashboard user with a role and a password (at least 12 characters)."""
    with gateway_errors():
        settings = load_settings(config)
        password = _password(password_env)
        with open_store(settings) as store:
            user = add_user(store, name, role, password)
    _line(f"added user {user.username} ({user.role})")


@app.command("list")
def list_users(
    config: ConfigOption = Path("gateway.toml"),
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List the users: name, role, when added, and whether disabled (never password hashes)."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        users = store.list_users()
    if json_out:
        typer.echo(json.dumps([_summary(u) for u in users], indent=2, sort_keys=True))
        return
    if not users:
        _line("no dashboard users yet; add one with `gateway users add NAME --role ROLE`")
        return
    table = Table(title="Dashboard users", box=box.SIMPLE_HEAD)
    for column in ("user", "role", "created", "disabled"):
        table.add_column(column, no_wrap=True)
    for user in users:
        summary = _summary(user)
        table.add_row(
            user.username, user.role, str(summary["created_at"]), "yes" if user.disabled else "no"
        )
    console.print(table, highlight=False)


@app.command("passwd")
def passwd(
    name: NameArg,
    config: ConfigOption = Path("gateway.toml"),
    password_env: PasswordEnv = None,
) -> None:
    """Set a new password for a user; the user's open sessions end."""
    with gateway_errors():
        settings = load_settings(config)
        password = _password(password_env)
        with open_store(settings) as store:
            user = change_password(store, name, password)
    _line(f"password changed for {user.username}; their open sessions have ended")


@app.command("set-role")
def set_user_role(
    name: NameArg, role: RoleArg, config: ConfigOption = Path("gateway.toml")
) -> None:
    """Give a user another role; the user's open sessions end."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        user = set_role(store, name, role)
    _line(f"{user.username} is now {user.role}; their open sessions have ended")


@app.command("disable")
def disable(name: NameArg, config: ConfigOption = Path("gateway.toml")) -> None:
    """Stop a user from signing in; their open sessions end at once."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        user = set_disabled(store, name, True)
    _line(f"disabled {user.username}; their open sessions have ended")


@app.command("enable")
def enable(name: NameArg, config: ConfigOption = Path("gateway.toml")) -> None:
    """Let a disabled user sign in again."""
    with gateway_errors(), open_store(load_settings(config)) as store:
        user = set_disabled(store, name, False)
    _line(f"enabled {user.username}")

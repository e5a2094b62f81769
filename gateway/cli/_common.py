"""Shared CLI plumbing: error mapping and the console."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from gateway.errors import GatewayError

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file written by `gateway init`.",
        envvar="GATEWAY_CONFIG",
    ),
]


@contextmanager
def gateway_errors() -> Iterator[None]:
    """Print a gateway error as one diagnostic line and exit 2, instead of a traceback."""
    try:
        yield
    except GatewayError as exc:
        # One line, however long: soft_wrap stops rich from folding it at the console width.
        err_console.print(
            f"[bold red]error:[/] {escape(exc.diagnostics())}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None


def run(fn: Callable[[], T]) -> T:
    with gateway_errors():
        return fn()


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

"""``gateway serve``: run the HTTP service (webhook, submissions, JWKS, OpenAPI docs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from gateway.cli._common import ConfigOption, console, gateway_errors, setup_logging
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app
from gateway.settings import load_settings


def command(
    config: ConfigOption = Path("gateway.toml"),
    host: Annotated[
        str | None, typer.Option(help="Bind address (default from the configuration).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from the configuration).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the push webhook and the submissions API until interrupted."""
    setup_logging(verbose)
    with gateway_errors():
        settings = load_settings(config)
        runtime = build_runtime(settings)
        token = os.environ.get(settings.service.webhook_token_env, "")
        if not token:
            console.print(
                f"[yellow]webhook disabled:[/] set {settings.service.webhook_token_env} "
                "to enable POST /v1/records"
            )

        def deliver(pipeline: Pipeline) -> None:
            with insurer_client(settings) as client:
                pipeline.deliver(client, settings=settings.delivery)

        with open_store(settings, lock="serve") as store:
            app = create_app(
                runtime,
                store,
                mapping=load_mapping_for(settings.service.webhook_mapping),
                deliver=deliver,
                webhook_token=token,
                retry_every_s=settings.delivery.serve_every_s,
            )
            uvicorn.run(
                app,
                host=host or settings.service.host,
                port=port or settings.service.port,
                log_level="debug" if verbose else "info",
                server_header=False,
            )

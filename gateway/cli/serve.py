"""``gateway serve``: run the HTTP service (webhook, submissions, JWKS, OpenAPI docs).

The webhook's signing secret comes from the environment variable named by
``[service] webhook_secret_env``; unset, the webhook is off (503); set but short or a
placeholder, the service refuses to start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from gateway.cli._common import ConfigOption, console, gateway_errors, setup_logging
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app, webhook_secret
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
        name = settings.service.webhook_secret_env
        secret = os.environ.get(name, "")
        if secret:
            webhook_secret(secret, name=name)  # a short or placeholder secret stops start-up
        else:
            console.print(
                f"[yellow]webhook disabled:[/] set {name} (at least 32 random bytes) "
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
                webhook_secret=secret or None,
                service=settings.service,
                retry_every_s=settings.delivery.serve_every_s,
            )
            uvicorn.run(
                app,
                host=host or settings.service.host,
                port=port or settings.service.port,
                log_level="debug" if verbose else "info",
                server_header=False,
            )

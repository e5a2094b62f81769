"""``gateway serve``: run the HTTP service (webhook, submissions, JWKS, OpenAPI docs).

The webhook's signing secret comes from the environment variable named by
``[service] webhook_secret_env``; unset, the webhook is off (503); set but short or a
placeholder, the service refuses to start.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from gateway.auth.sessions import SessionManager
from gateway.cli._common import ConfigOption, console, gateway_errors, setup_logging
from gateway.dashboard.context import DashboardContext, RuntimeRef
from gateway.keys.session_key import load_or_create_session_key
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, insurer_client, load_mapping_for, open_store
from gateway.service import create_app, webhook_secret
from gateway.service.jobs import ServeJobs
from gateway.settings import Settings, load_settings
from gateway.store import Store


def dashboard_context(
    settings: Settings, store: Store, runtime: RuntimeRef
) -> DashboardContext | None:
    """The dashboard's context for ``serve`` (``None`` when the dashboard is disabled)."""
    if not settings.dashboard.enabled:
        return None
    key = load_or_create_session_key(settings.session_key_path)
    lock = threading.Lock()
    return DashboardContext(
        settings=settings,
        store=store,
        runtime=runtime,
        sessions=SessionManager(key, settings.dashboard.session_ttl_s),
        jobs=ServeJobs(settings, store, runtime, lock),
        pipeline_lock=lock,
    )


#: Allocations between young-generation collections (CPython's default is 700). A push creates
#: tens of thousands of short-lived containers, nearly all freed by reference counting; a
#: collection every 700 of them mostly walks live ones.
GC_YOUNG_THRESHOLD = 50_000


def settle_heap() -> None:
    """Prepare the process's heap for serving: collect, then move everything built at start-up
    (runtime, policy engine, app, imported modules) out of the collector's sight (``gc.freeze``)
    so that full collections walk only what the requests left, and collect the young generation
    less often (:data:`GC_YOUNG_THRESHOLD`)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


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
        name = settings.service.webhook_secret_env
        secret = os.environ.get(name, "")
        if secret:
            webhook_secret(secret, name=name)  # a short or placeholder secret stops start-up
        else:
            console.print(
                f"[yellow]webhook disabled:[/] set {name} (at least 32 random bytes) "
                "to enable POST /v1/records"
            )

        with contextlib.ExitStack() as stack:
            store = stack.enter_context(open_store(settings, lock="serve"))
            # One insurer client for the service's life: every delivery pass reuses its TLS
            # context and its keep-alive connections (passes run one at a time).
            client = stack.enter_context(insurer_client(settings))

            def deliver(pipeline: Pipeline) -> None:
                pipeline.deliver(client, settings=settings.delivery)

            runtime = RuntimeRef(build_runtime(settings, store))
            dashboard = dashboard_context(settings, store, runtime)
            if dashboard is None:
                console.print("dashboard disabled ([dashboard] enabled = false)")
            elif not store.list_users():
                console.print(
                    "[yellow]no dashboard users yet:[/] add one with "
                    "`gateway users add NAME --role compliance`"
                )
            app = create_app(
                runtime,
                store,
                mapping=load_mapping_for(settings.service.webhook_mapping),
                dashboard=dashboard,
                deliver=deliver,
                webhook_secret=secret or None,
                service=settings.service,
                retry_every_s=settings.delivery.serve_every_s,
            )
            settle_heap()
            uvicorn.run(
                app,
                host=host or settings.service.host,
                port=port or settings.service.port,
                log_level="debug" if verbose else "info",
                server_header=False,
            )

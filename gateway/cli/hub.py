"""``gateway hub init|serve|register|release|status``: run the cross-exporter aggregation hub.

A thin shell over :mod:`gateway.hub` (docs/hub.md). Nothing here prints key material, a token
or a ciphertext: only paths, ids, key ids, fingerprints and counts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from gateway.cli._common import console, gateway_errors, setup_logging
from gateway.errors import ConfigError
from gateway.hub import operations
from gateway.hub._records import StoredRelease
from gateway.hub.push import make_push_client
from gateway.hub.runtime import HubRuntime, load_hub_runtime
from gateway.hub.settings import HubSettings, load_hub_settings
from gateway.hub.setup import init_hub
from gateway.hub.store import HubStore, check_period
from gateway.keys import load_jwks_file

app = typer.Typer(
    help="The aggregation hub: adds exporters' encrypted totals, releases buckets with >= k.",
    no_args_is_help=True,
)

HubConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", help="hub.toml written by `gateway hub init`.",
                 envvar="GATEWAY_HUB_CONFIG"),
]
DEFAULT_CONFIG = Path("hub.toml")


def _open(config: Path) -> tuple[HubSettings, HubRuntime, HubStore]:
    settings = load_hub_settings(config)
    runtime = load_hub_runtime(settings)
    return settings, runtime, HubStore(settings.store_path)


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="Directory for hub.toml, keys/ and data/.")],
    hub_id: Annotated[str, typer.Option(help="This hub's id (the contributions' audience).")],
    insurer_id: Annotated[str, typer.Option(help="The insurer's id (the releases' audience).")],
    insurer_paillier_key: Annotated[
        Path, typer.Option(help="The insurer's Paillier public key document.")],
    fingerprint: Annotated[
        str, typer.Option(help="Its fingerprint (sha256:...), obtained from the insurer.")],
    k: Annotated[int, typer.Option(help="Distinct exporters a bucket needs (>= 2).")] = 3,
    port: Annotated[int, typer.Option(help="Port `gateway hub serve` listens on.")] = 8710,
    insurer_url: Annotated[
        str | None, typer.Option(help="Where releases are pushed (optional).")] = None,
) -> None:
    """Write hub.toml, a fresh hub signing key (0600) and the hub's public jwks.json."""
    with gateway_errors():
        done = init_hub(
            directory, hub_id=hub_id, insurer_id=insurer_id,
            insurer_paillier_key=insurer_paillier_key, fingerprint=fingerprint, k=k, port=port,
            insurer_url=insurer_url,
        )
    typer.echo(f"wrote {done.config}")
    typer.echo(f"  hub signing key kid {done.kid} ({done.signing_key}, mode 0600)")
    typer.echo(f"  public JWKS for the insurer: {done.jwks}")
    typer.echo(f"  insurer Paillier key {done.fingerprint}")
    typer.echo("next: gateway hub register EXPORTER_ID --jwks FILE --config " + str(done.config))


@app.command("serve")
def serve_command(
    config: HubConfigOption = DEFAULT_CONFIG,
    host: Annotated[str | None, typer.Option(help="Bind address (default: hub.toml).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: hub.toml).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the hub's API until interrupted."""
    from gateway.hub.service import create_app  # FastAPI loads only for this command

    setup_logging(verbose)
    with gateway_errors():
        settings, runtime, store = _open(config)
        if runtime.release_token is None:
            console.print(f"[yellow]release endpoint disabled:[/] set {settings.release_token_env} "
                          "(at least 32 random bytes); `gateway hub release` still works")
        app_ = create_app(runtime, store)
    uvicorn.run(app_, host=host or settings.host, port=port or settings.port,
                log_level="debug" if verbose else "info", server_header=False)


@app.command("register")
def register_command(
    exporter_id: Annotated[str, typer.Argument(help="The exporter's id (its contributions' iss).")],
    jwks: Annotated[Path, typer.Option(help="The exporter's public JWKS file.")],
    config: HubConfigOption = DEFAULT_CONFIG,
    replace: Annotated[
        bool, typer.Option(help="Replace the keys of a registered exporter.")] = False,
) -> None:
    """Register an exporter and the public keys its contributions are signed with."""
    with gateway_errors():
        settings = load_hub_settings(config)
        document = load_jwks_file(jwks)
        exporter = HubStore(settings.store_path).register_exporter(
            exporter_id, document, now=int(time.time()), replace=replace
        )
    kids = ", ".join(key["kid"] for key in exporter.jwks["keys"])
    typer.echo(f"registered {exporter.exporter_id} (keys {kids})")


def _describe(release: StoredRelease) -> str:
    return (f"release {release.jti} of {release.period}: {release.buckets} buckets, "
            f"{release.remainders} remainders, {release.suppressed} suppressed, "
            f"{release.contributions} contributions")


@app.command("release")
def release_command(
    period: Annotated[str, typer.Argument(help="The period to release, YYYY-MM.")],
    config: HubConfigOption = DEFAULT_CONFIG,
    push: Annotated[bool, typer.Option(
        "--push", help="Push the stored release (again) to the insurer.")] = False,
) -> None:
    """Release a period (closing it) and push it to the insurer when insurer_url is set."""
    with gateway_errors():
        settings, runtime, store = _open(config)
        check_period(period)
        existing = store.release_of(period)
        if existing is not None and not push:
            raise ConfigError(f"period {period} is already released; --push sends it again")
        if existing is None:
            existing = operations.release_period(store, runtime, period, now=int(time.time()))
            typer.echo(_describe(existing))
            if settings.insurer_url is None:
                if push:
                    raise ConfigError("insurer_url is not configured: nowhere to push")
                return
        with make_push_client() as client:
            pushed = operations.push_period(store, runtime, period, client=client,
                                            now=int(time.time()))
        typer.echo(f"pushed {pushed.jti} to {settings.insurer_url}")


@app.command("status")
def status_command(
    period: Annotated[str | None, typer.Argument(help="One period (YYYY-MM); default all.")] = None,
    config: HubConfigOption = DEFAULT_CONFIG,
) -> None:
    """Show each period's contributions, buckets, buckets with >= k, and release status."""
    with gateway_errors():
        settings = load_hub_settings(config)
        store = HubStore(settings.store_path)
        summaries = [store.summary(check_period(period), settings.k)] if period else (
            store.periods(settings.k))
        exporters = len(store.exporters())
    typer.echo(f"hub {settings.hub_id}: {exporters} exporters registered, k = {settings.k}")
    for s in summaries:
        line = (f"{s.period}  {s.status:<8}  contributions {s.contributions}  "
                f"buckets {s.buckets}  at k {s.buckets_at_k}")
        if s.release is not None:
            r = s.release
            state = "pushed" if r.pushed_at is not None else (
                f"not pushed ({r.push_attempts} attempts)")
            line += f"  release {r.jti} {state}"
        typer.echo(line)

"""``gateway init``: a configuration file and development keys in a directory."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli._common import console, gateway_errors
from gateway.devsetup import create_dev_insurer, write_config
from gateway.errors import ConfigError
from gateway.keys import generate_gateway_keys


def command(
    directory: Annotated[
        Path, typer.Argument(help="Directory for gateway.toml, keys/ and data/.")
    ] = Path("gateway-config"),
    exporter_id: Annotated[
        str, typer.Option(help="Your exporter id as the insurer knows it.")
    ] = "exporter-dev",
    insurer_url: Annotated[
        str, typer.Option(help="The insurer's attachment API.")
    ] = "http://127.0.0.1:8080",
    paillier_bits: Annotated[
        int, typer.Option(help="Key size of the local reference insurer.")
    ] = 3072,
) -> None:
    """Create a configuration with fresh development keys and a local reference insurer's keys.

    Production: replace insurer/ with the insurer's published Paillier public key, its fingerprint
    and its receipt JWKS, and point the configuration's sources tables at your ERP export.
    """
    with gateway_errors():
        if (directory / "gateway.toml").exists():
            raise ConfigError(f"{directory / 'gateway.toml'} exists; refusing to overwrite it")
        directory.mkdir(parents=True, exist_ok=True)
        keys = generate_gateway_keys(directory / "keys", exporter_id)
        insurer = create_dev_insurer(
            directory / "insurer",
            gateway_jwks=keys.jwks,
            exporter_id=exporter_id,
            paillier_bits=paillier_bits,
        )
        sample = directory / "exports" / "sample_export.csv"
        sample.parent.mkdir(exist_ok=True)
        shipped = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
        with resources.as_file(shipped) as src:
            shutil.copyfile(src, sample)
        config = write_config(
            directory,
            exporter_id=exporter_id,
            keys=keys,
            insurer=insurer,
            sources=[("erp", sample)],
            insurer_url=insurer_url,
        )
    console.print(f"wrote {config}")
    console.print(f"  gateway signing key kid {keys.kid} (public keys: {keys.jwks})")
    console.print(f"  reference insurer keys in {insurer.directory} (development only)")
    console.print("next:")
    console.print(
        f"  python -m gateway.examples.insurer_api --config {insurer.config_path} --port 8080"
    )
    console.print(f"  gateway sync --config {config}")

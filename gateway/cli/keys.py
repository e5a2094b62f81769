"""``gateway keys generate|rotate|export-public|import-paillier|list``: key custody.

A thin shell over :mod:`gateway.keys`. Nothing here prints key material: only paths, file modes,
key ids, fingerprints and public keys (``export-public``). Passphrases come from an environment
variable named on the command line or in the configuration, never from an argument. Output is
plain text (no wrapping, no markup) so that the printed configuration lines can be copied.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli._common import ConfigOption, gateway_errors
from gateway.keys import (
    KeyEntry,
    describe_keys,
    generate_gateway_keys,
    import_paillier_public_key,
    passphrase_from_env,
    public_jwks,
    rotate_pseudonym_key,
    rotate_signing_key,
    write_public_file,
)
from gateway.settings import Settings, load_settings

app = typer.Typer(
    help="Generate, rotate, export and import keys; list the keys a configuration uses.",
    no_args_is_help=True,
)

DEFAULT_CONFIG = Path("gateway.toml")
JwksOption = Annotated[
    Path | None,
    typer.Option(help="The published JWKS; default: jwks.json beside the signing key."),
]


class Which(StrEnum):
    """The key ``rotate`` replaces."""

    signing = "signing"
    pseudonym = "pseudonym"


def _q(value: object) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _say(*lines: str) -> None:
    for line in lines:
        typer.echo(line)


@app.command("generate")
def generate(
    directory: Annotated[Path, typer.Option("--dir", help="Directory for the key files.")] = Path(
        "keys"
    ),
    exporter_id: Annotated[
        str, typer.Option(help="Your exporter id as the insurer knows it.")
    ] = "exporter-dev",
    passphrase_env: Annotated[
        str | None,
        typer.Option(help="Encrypt signing.pem with the passphrase in this environment variable."),
    ] = None,
) -> None:
    """Create signing.pem (0600), pseudonym.key (0600) and jwks.json (0644); never overwrites."""
    with gateway_errors():
        passphrase = passphrase_from_env(passphrase_env, new_key=True)
        paths = generate_gateway_keys(directory, exporter_id, passphrase=passphrase)
    lines = [
        f"wrote {paths.signing_key} (0600), {paths.pseudonym_key} (0600), {paths.jwks} (0644)",
        f"  signing key kid {paths.kid}",
        f"  pseudonymisation key kid {paths.pseudonym_kid}",
        "the [keys] section of gateway.toml:",
        "[keys]",
        f"signing_key = {_q(paths.signing_key.resolve())}",
    ]
    if passphrase_env:
        lines.append(f"signing_key_passphrase_env = {_q(passphrase_env)}")
    lines.append(f"pseudonym_key = {_q(paths.pseudonym_key.resolve())}")
    lines.append(f"give {paths.jwks} to the insurer, registered for exporter id {exporter_id}")
    _say(*lines)


def _settings(config: Path) -> Settings:
    with gateway_errors():
        return load_settings(config)


@app.command("rotate")
def rotate(
    which: Annotated[Which, typer.Argument(help="signing or pseudonym.")],
    config: ConfigOption = DEFAULT_CONFIG,
    jwks: JwksOption = None,
) -> None:
    """Replace a key in place; the previous one moves to retired/ (gateway.toml is unchanged).

    signing: the published JWKS keeps every previous public key after the new one, so
    submissions signed before the rotation still verify. pseudonym: the new key has a new kid;
    tokens made from now on differ from earlier ones for the same buyer.
    """
    settings = _settings(config)
    with gateway_errors():
        if which is Which.signing:
            done = rotate_signing_key(
                settings.keys.signing_key,
                passphrase_env=settings.keys.signing_key_passphrase_env,
                jwks=jwks,
            )
            _say(
                f"new signing key kid {done.new_kid} in {done.signing_key}",
                f"previous key kid {done.previous_kid} kept in {done.retired}",
                f"{done.jwks} now lists {len(done.published_kids)} keys, the new one first",
                "give the new JWKS to the insurer (gateway keys export-public) before the next "
                "sync; restart a running `gateway serve`",
            )
        else:
            rotated = rotate_pseudonym_key(settings.keys.pseudonym_key)
            _say(
                f"new pseudonymisation key kid {rotated.new_kid} in {rotated.pseudonym_key}",
                f"previous key kid {rotated.previous_kid} kept in {rotated.retired}",
                "tokens made from now on carry the new kid: the insurer sees a new token for "
                "every buyer; old tokens are never remapped",
            )


@app.command("export-public")
def export_public(
    config: ConfigOption = DEFAULT_CONFIG,
    jwks: JwksOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the JWKS to this new file (0644), not stdout.")
    ] = None,
) -> None:
    """Print the public JWKS the insurer verifies submissions with (public keys only)."""
    settings = _settings(config)
    with gateway_errors():
        document = public_jwks(
            settings.keys.signing_key, settings.keys.signing_key_passphrase_env, jwks
        )
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        if out is not None:
            write_public_file(out, text.encode("utf-8"))
    if out is None:
        typer.echo(text, nl=False)
    else:
        _say(f"wrote {out} ({len(document['keys'])} public keys)")


@app.command("import-paillier")
def import_paillier(
    file: Annotated[Path, typer.Argument(help="The insurer's Paillier public key document.")],
    fingerprint: Annotated[
        str, typer.Option(help="The fingerprint the insurer published (sha256:<64 hex>).")
    ],
    directory: Annotated[Path, typer.Option("--dir", help="The gateway's key directory.")] = Path(
        "keys"
    ),
) -> None:
    """Check the insurer's Paillier public key against its fingerprint and copy it in."""
    with gateway_errors():
        done = import_paillier_public_key(file, directory, fingerprint)
    _say(
        f"checked: {done.bits} bits, fingerprint matches",
        f"wrote {done.public_key} (0644)",
        "in the [insurer] section of gateway.toml:",
        f"paillier_public_key = {_q(done.public_key.resolve())}",
        f"paillier_fingerprint = {_q(done.fingerprint)}",
    )


@app.command("list")
def list_keys(
    config: ConfigOption = DEFAULT_CONFIG,
    jwks: JwksOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Key ids, fingerprints, file modes and problems; never key material.

    Exits 1 when start-up would refuse a key.
    """
    settings = _settings(config)
    entries = describe_keys(
        signing_key=settings.keys.signing_key,
        passphrase_env=settings.keys.signing_key_passphrase_env,
        pseudonym_key=settings.keys.pseudonym_key,
        paillier_public_key=settings.insurer.paillier_public_key,
        paillier_fingerprint=settings.insurer.paillier_fingerprint,
        receipt_jwks=settings.insurer.receipt_jwks,
        jwks=jwks,
    )
    if as_json:
        typer.echo(json.dumps([{**asdict(e), "path": str(e.path)} for e in entries], indent=2))
    else:
        _say(*_table(entries))
    if any(e.status.startswith("refused") for e in entries):
        raise typer.Exit(code=1)


def _table(entries: list[KeyEntry]) -> list[str]:
    rows = [("ROLE", "FILE", "MODE", "KID / FINGERPRINT", "STATUS")]
    rows += [(e.role, str(e.path), e.mode, e.ident, e.status) for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join([*(row[i].ljust(widths[i]) for i in range(4)), row[4]]).rstrip()
        for row in rows
    ]

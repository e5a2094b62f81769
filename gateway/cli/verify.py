"""``gateway verify``: what an insurer runs, alone, on a submission it received."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gateway.cli._common import console, err_console
from gateway.errors import GatewayError
from gateway.keys import load_paillier_public_key_file
from gateway.verify import verify_submission


def _read_jws(path: Path) -> str:
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="ascii")
    return text.strip()


def command(
    submission: Annotated[
        Path, typer.Argument(help="File holding the compact JWS, or - for stdin.")
    ],
    jwks: Annotated[Path, typer.Option(help="The gateway's published JWKS (jwks.json).")],
    paillier_key: Annotated[
        Path, typer.Option(help="The insurer's Paillier public key document the exposures use.")
    ],
    audience: Annotated[str | None, typer.Option(help="Require this insurer id as `aud`.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the verified payload as JSON.")
    ] = False,
) -> None:
    """Verify a signed submission: signature, key id, header, schema, audience and ciphertexts."""
    try:
        jwks_doc = json.loads(jwks.read_text(encoding="utf-8"))
        verified = verify_submission(
            _read_jws(submission),
            jwks_doc,
            load_paillier_public_key_file(paillier_key, None),
            audience=audience,
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        err_console.print(
            f"[red]not verified:[/] cannot read input: {type(exc).__name__}", soft_wrap=True
        )
        raise typer.Exit(code=1) from None
    except GatewayError as exc:
        err_console.print(
            f"[red]not verified:[/] {escape(exc.diagnostics())}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=1) from None
    payload = verified.payload
    if as_json:
        console.print_json(verified.payload_bytes.decode("utf-8"))
        return
    exposure = payload.exposure
    lines = [
        f"[green]verified[/] submission {payload.jti}",
        f"  signed by kid {verified.kid} for exporter {escape(payload.iss)}, "
        f"audience {escape(payload.aud)}",
        f"  policy {escape(payload.policy.name)} {payload.policy.version[:12]}",
        f"  attachments: {len(payload.attachments)}",
    ]
    if exposure is not None:
        lines.append(
            f"  exposure buckets: {len(exposure.buckets)} "
            f"under Paillier key {exposure.key_fingerprint}"
        )
    lines.append(f"  payload sha256: {verified.payload_sha256}")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)

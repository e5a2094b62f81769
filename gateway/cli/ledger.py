"""``gateway ledger verify|export``: check the disclosure ledger, or hand it to an auditor.

``verify --config`` checks the local store's chain, plus any ``--anchor SEQ:HASH`` heads taken
from insurer receipts (the only way to detect a truncated tail). ``verify --bundle`` is what an
auditor runs offline on an exported bundle, without any configuration. Exit 0: intact; exit 1:
the first bad entry is named; exit 2: the input could not be used at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from gateway.cli._common import console, err_console, gateway_errors
from gateway.errors import ConfigError
from gateway.ledger import (
    LedgerEntry,
    LedgerVerdict,
    entry_from_json,
    export_bundle,
    verify_bundle,
    verify_chain,
)
from gateway.runtime import open_store
from gateway.settings import load_settings
from gateway.store import Store

app = typer.Typer(
    help="The tamper-evident disclosure ledger: verify it or export it for an auditor.",
    no_args_is_help=True,
)

OptionalConfig = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Configuration file written by `gateway init`."),
]


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as countersigned by an insurer receipt."""
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ConfigError("--anchor must be SEQ:HASH (a ledger sequence number and 64 hex digits)")
    return int(seq), digest.lower()


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {type(exc).__name__}") from exc


def _report(verdict: LedgerVerdict, entries: list[LedgerEntry]) -> None:
    if not verdict.ok:
        err_console.print(
            f"[red]ledger broken:[/] {escape(verdict.problem)}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=1)
    head = f"{entries[-1].seq} {entries[-1].hash}" if entries else "none (empty ledger)"
    console.print(
        f"ledger intact: {len(entries)} entries, head {head}", highlight=False, soft_wrap=True
    )


@app.command("verify")
def verify(
    config: OptionalConfig = None,
    bundle: Annotated[
        Path | None, typer.Option(help="An exported ledger bundle to verify offline.")
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="SEQ:HASH ledger head from an insurer receipt (repeatable)."),
    ] = None,
    gateway_jwks: Annotated[
        Path | None, typer.Option(help="With --bundle: the gateway's JWKS, to check submissions.")
    ] = None,
    receipt_jwks: Annotated[
        Path | None, typer.Option(help="With --bundle: the insurer's JWKS, to check receipts.")
    ] = None,
) -> None:
    """Verify the ledger: modified, deleted, inserted, reordered or truncated entries."""
    with gateway_errors():
        if (config is None) == (bundle is None):
            raise ConfigError("give exactly one of --config (local store) or --bundle (offline)")
        anchors = [parse_anchor(a) for a in anchor or ()]
        if bundle is not None:
            doc = _read_json(bundle, "bundle")
            verdict = verify_bundle(
                doc,
                gateway_jwks=None if gateway_jwks is None else _read_json(gateway_jwks, "JWKS"),
                receipt_jwks=None if receipt_jwks is None else _read_json(receipt_jwks, "JWKS"),
                anchors=anchors,
            )
            entries = [entry_from_json(e) for e in doc["entries"]] if verdict.ok else []
        else:
            assert config is not None
            with open_store(load_settings(config)) as store:
                entries = store.ledger_entries()
            verdict = verify_chain(entries, anchors=anchors)
    _report(verdict, entries)


def _evidence(store: Store, entries: list[LedgerEntry]) -> tuple[dict[str, str], dict[str, str]]:
    submissions: dict[str, str] = {}
    receipts: dict[str, str] = {}
    for entry in entries:
        submission = store.get_submission(entry.submission_id)
        receipt = store.get_receipt(entry.submission_id)
        if submission is not None:
            submissions[entry.submission_id] = submission.jws
        if receipt is not None and receipt.receipt_id == entry.receipt_id:
            receipts[entry.receipt_id] = receipt.receipt_jws
    return submissions, receipts


def _write_private(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; choose another --out") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


@app.command("export")
def export(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Configuration file written by `gateway init`.")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the bundle (a new file, mode 0600).")],
) -> None:
    """Export the ledger with its submissions and receipts as an auditor's bundle."""
    with gateway_errors():
        with open_store(load_settings(config)) as store:
            entries = store.ledger_entries()
            submissions, receipts = _evidence(store, entries)
        bundle = export_bundle(entries, submissions, receipts)
        _write_private(out, json.dumps(bundle, indent=1, sort_keys=True) + "\n")
    console.print(
        f"exported {len(entries)} ledger entries to {escape(str(out))}",
        highlight=False, soft_wrap=True,
    )

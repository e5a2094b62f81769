"""``gateway demo``: the whole flow on embedded defaults, self-contained.

Generates keys in a temporary directory, starts the reference insurer attachment API on a
loopback port, runs the sample ERP export (and a deliberately malformed one) through the
pipeline, then shows side by side what stayed in the building and what left, the insurer's
verified receipt, and the insurer's decrypted bucket totals.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from gateway.account import SyncResult
from gateway.cli._common import console, gateway_errors
from gateway.cli.report import print_account
from gateway.cli.sync import run_sync
from gateway.crypto import generate_signing_key
from gateway.devsetup import DevInsurer, start_dev_insurer, write_config
from gateway.keys import generate_gateway_keys, load_paillier_public_key_file
from gateway.ledger import verify_chain
from gateway.model import ExportRecord, from_minor
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, open_source, open_store
from gateway.settings import load_settings
from gateway.verify import verify_receipt, verify_submission

SAMPLE = "sample_export.csv"
MALFORMED = "malformed_export.csv"
CUSTOMS = "declarations.csv"
RECEIVABLES = "receivables.csv"
#: The demo's "today": two weeks after the sample's last shipment, so the notification clock of
#: the shipment customs has not cleared yet is close to running out.
DEMO_AS_OF = date(2026, 3, 12)
SHOWN_FIELDS = (
    "buyer.name",
    "buyer.country",
    "invoice_number",
    "amount",
    "hs_code",
    "payment_method",
    "maturity_date",
)


@dataclass
class DemoResult:
    """What the demo did, for the tests that run it."""

    workdir: Path
    result: SyncResult
    exposure: list[dict[str, Any]]
    receipts: list[dict[str, Any]]
    again: SyncResult | None = None


def _copy_samples(target: Path) -> dict[str, Path]:
    target.mkdir(parents=True, exist_ok=True)
    examples = resources.files("gateway.examples")
    out = {}
    for folder, name in (
        ("erp", SAMPLE),
        ("erp", MALFORMED),
        ("customs", CUSTOMS),
        ("erp", RECEIVABLES),
    ):
        dest = target / name
        with resources.as_file(examples.joinpath(folder, name)) as src:
            shutil.copyfile(src, dest)
        out[name] = dest
    return out


def _side_by_side(out: Console, config: Path, sample: Path, count: int) -> None:
    settings = load_settings(config)
    runtime = build_runtime(settings)
    records: list[ExportRecord] = []
    for item in open_source(settings.sources[0], settings):
        if isinstance(item, ExportRecord):
            records.append(item)
        if len(records) >= count:
            break
    with open_store(settings) as store:
        rows = Pipeline(runtime, store).preview(records)
    for row in rows:
        table = Table(title=f"{sample.name} — {row.original['source_ref']}", title_justify="left")
        table.add_column("field")
        table.add_column("stays in the building", style="yellow", overflow="fold")
        table.add_column("leaves the building", style="green", overflow="fold")
        for name in SHOWN_FIELDS:
            left = "—" if row.attachment is None else row.attachment.get(name, "(dropped)")
            shown = left if isinstance(left, str) else json.dumps(left, ensure_ascii=False)
            table.add_row(name, str(row.original.get(name)), shown)
        lines = f"{len(row.original['line_items'])} line(s)"
        table.add_row("unit prices, line items", lines, "(dropped)")
        table.add_row(
            "amount → exposure", row.original["amount"], "Paillier-encrypted into its bucket"
        )
        out.print(table)


def run_demo(
    workdir: Path, out: Console, *, paillier_bits: int = 3072, show: int = 3
) -> DemoResult:
    """Run the demo in ``workdir``; returns what happened so tests can check it."""
    files = _copy_samples(workdir / "exports")
    sample = files[SAMPLE]
    keys = generate_gateway_keys(workdir / "keys", "demo-exporter")
    out.print(
        f"[bold]1. Keys[/] generated in {workdir}: Ed25519 signing key (kid {keys.kid}), "
        "pseudonymisation key; the insurer's Paillier key pair "
        f"({paillier_bits} bits) stays with the insurer."
    )
    insurer: DevInsurer = start_dev_insurer(
        workdir / "insurer",
        gateway_jwks=keys.jwks,
        exporter_id="demo-exporter",
        paillier_bits=paillier_bits,
        receipt_key=generate_signing_key(),
    )
    try:
        out.print(f"[bold]2. Reference insurer[/] listening on {insurer.base_url}")
        config = write_config(
            workdir,
            exporter_id="demo-exporter",
            keys=keys,
            insurer=insurer,
            sources=[("erp", sample), ("erp-malformed", files[MALFORMED], "cp949")],
            customs=[("customs", files[CUSTOMS], "customs_en")],
            receivables=files[RECEIVABLES],
        )
        out.print("[bold]3. What the default policy lets leave, for a few records[/]")
        _side_by_side(out, config, sample, show)
        out.print(
            f"[bold]4. Sync[/] as of {DEMO_AS_OF}: ingest → reconcile with customs → policy → "
            "transform → aggregate + encrypt → sign → deliver"
        )
        result = run_sync(load_settings(config), show_progress=False, as_of=DEMO_AS_OF)
        print_account(out, result)
        _show_quarantine(out, config)
        receipts = _show_receipts(out, config, insurer)
        _show_origins(out, config, keys.jwks, insurer)
        _show_ledger(out, config)
        exposure = _show_exposure(out, insurer)
        again = _sync_again(out, config, insurer)
        return DemoResult(workdir, result, exposure, receipts, again)
    finally:
        insurer.stop()


def _show_quarantine(out: Console, config: Path) -> None:
    with open_store(load_settings(config)) as store:
        entries = store.list_quarantine(limit=50)
    table = Table(
        title="Quarantined: kept locally with file, row, field and reason", title_justify="left"
    )
    for col in ("file", "row", "field", "reason"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(Path(e.source).name, str(e.row), e.field, e.reason)
    out.print(table)


def _show_receipts(out: Console, config: Path, insurer: DevInsurer) -> list[dict[str, Any]]:
    settings = load_settings(config)
    shown = []
    with open_store(settings) as store:
        for sub in store.list_submissions(limit=100, offset=0):
            receipt = store.get_receipt(sub.submission_id)
            if receipt is None:
                continue
            verified = verify_receipt(
                receipt.receipt_jws, insurer.receipt_jwks, submission_id=sub.submission_id
            )
            shown.append(verified.payload.model_dump())
            out.print(
                f"[bold]5. Insurer receipt[/] {verified.payload.jti} [green]verified[/] for "
                f"{sub.submission_id}: {verified.payload.attachments} attachments, "
                f"{verified.payload.buckets} encrypted buckets, payload sha256 "
                f"{verified.payload.payload_sha256[:16]}…"
            )
    return shown


def _show_origins(out: Console, config: Path, jwks: Path, insurer: DevInsurer) -> None:
    """What the insurer was told about where each attached shipment's evidence comes from."""
    settings = load_settings(config)
    jwks_doc = json.loads(jwks.read_text(encoding="utf-8"))
    paillier = load_paillier_public_key_file(insurer.paillier_public_key, None)
    origins: Counter[str] = Counter()
    with open_store(settings) as store:
        for sub in store.list_submissions(limit=100, offset=0):
            payload = verify_submission(sub.jws, jwks_doc, paillier).payload
            origins.update(str(a.get("origin", "erp")) for a in payload.attachments)
    shown = ", ".join(f"{n} {origin}" for origin, n in sorted(origins.items()))
    out.print(f"   attachments by origin, as the insurer received them: {shown}")


def _show_ledger(out: Console, config: Path) -> None:
    """The disclosure ledger after the sync: one hash-chained entry per delivered submission."""
    with open_store(load_settings(config)) as store:
        entries = store.ledger_entries()
    verdict = verify_chain(entries)
    state = "[green]intact[/]" if verdict.ok else f"[red]broken[/] ({verdict.problem})"
    head = f", head {entries[-1].seq} {entries[-1].hash[:16]}…" if entries else ""
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    out.print(f"   disclosure ledger {state}: {count}{head}")


def _show_exposure(out: Console, insurer: DevInsurer) -> list[dict[str, Any]]:
    exposure: list[dict[str, Any]] = httpx.get(f"{insurer.base_url}/v1/exposure", timeout=10).json()
    table = Table(title="6. The insurer decrypts only bucket totals", title_justify="left")
    for col in ("buyer (token or code)", "country", "currency", "maturity", "records", "total"):
        right = col in ("records", "total")
        table.add_column(col, justify="right" if right else "left", overflow="fold")
    for b in exposure:
        key = b["key"]
        total = from_minor(int(b["total_minor"]), b["currency"])
        table.add_row(
            key["buyer"],
            key["country"],
            key["currency"],
            key["maturity_month"],
            str(b["records"]),
            f"{total:,}",
        )
    out.print(table)
    return exposure


def _sync_again(out: Console, config: Path, insurer: DevInsurer) -> SyncResult:
    """The same exports read again: every record is recognised, nothing is sent twice."""
    again = run_sync(load_settings(config), show_progress=False, as_of=DEMO_AS_OF)
    held = httpx.get(f"{insurer.base_url}/v1/submissions", timeout=10).json()
    total = again.totals()
    out.print(
        f"[bold]7. Sync again[/] over the same exports: {total.read} records read, "
        f"{total.unchanged} unchanged since they were attached, "
        f"{len(again.submissions)} new submission(s); the insurer still holds {len(held)}. "
        "Nothing is sent twice (docs/reliability.md)."
    )
    return again


def command(
    keep: Annotated[
        Path | None, typer.Option(help="Keep the demo's files in this directory.")
    ] = None,
    paillier_bits: Annotated[int, typer.Option(help="Insurer Paillier key size.")] = 3072,
) -> None:
    """Run the whole flow on the shipped sample export against a local reference insurer."""
    with gateway_errors():
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            run_demo(keep, console, paillier_bits=paillier_bits)
            config = keep / "gateway.toml"
            console.print(
                "\nSee it in the dashboard: "
                f"`gateway users add NAME --role compliance --config {config}`, then "
                f"`gateway serve --config {config}` and open http://127.0.0.1:8700/ui/",
                highlight=False, soft_wrap=True,
            )
            return
        with tempfile.TemporaryDirectory(prefix="gateway-demo-") as tmp:
            run_demo(Path(tmp), console, paillier_bits=paillier_bits)

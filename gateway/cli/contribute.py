"""``gateway contribute``: send this exporter's exposure for a period to the aggregation hub.

The exposure book in the store is summed per common bucket (gateway.hub.contribution), every
total is encrypted under the insurer's Paillier key, and the signed contribution is posted to
``[hub] url`` + ``/v1/contributions``. Records without a common buyer id (no insurer code and no
consortium key) are counted and reported, never sent. ``--dry-run`` prints the bucket keys and
how many records each holds, never an amount, and sends nothing. ``--new-consortium-key PATH``
writes a new consortium key (0600) for the consortium's exporters to share, and exits.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import httpx
import typer

from gateway.canonical import sha256_hex
from gateway.cli._common import ConfigOption, gateway_errors
from gateway.errors import ConfigError, DeliveryError
from gateway.hub.contribution import BookTotals, book_totals, build_contribution
from gateway.keys import load_paillier_public_key_file, load_signing_key_file
from gateway.keys.consortium_key import generate_consortium_key
from gateway.runtime import open_store
from gateway.settings import HubSettings, Settings, load_settings

MAX_ANSWER_BYTES: Final = 65_536
_PERIOD: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_ERROR_CODE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


@dataclass(frozen=True)
class HubAnswer:
    """The hub's HTTP status and its JSON answer (an object, or ``None`` when it sent none)."""

    status: int
    body: dict[str, Any] | None


def post_contribution(
    hub: HubSettings, jws: str, *, transport: httpx.BaseTransport | None = None
) -> HubAnswer:
    """POST ``jws`` to the hub; a refusal or a transport failure is a :class:`DeliveryError`
    naming the status and the hub's error code only."""
    timeout = httpx.Timeout(hub.timeout_s)
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=False, verify=True, transport=transport
            ) as client,
            client.stream(
                "POST",
                hub.url + "/v1/contributions",
                content=jws.encode("ascii"),
                headers={"Content-Type": "application/jose"},
            ) as response,
        ):
            body = _read_bounded(response)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"hub {hub.url}: cannot deliver ({type(exc).__name__})") from exc
    answer = _json_object(body)
    if response.status_code not in (200, 201):
        shown = _error_code(answer)
        raise DeliveryError(
            f"hub refused the contribution: HTTP {response.status_code} ({shown})",
            status_code=response.status_code,
            retryable=response.status_code >= 500,
        )
    return HubAnswer(response.status_code, answer)


def _error_code(answer: Mapping[str, Any] | None) -> str:
    """The hub's refusal code (``code``, else ``error``) if it is a short slug; nothing else
    from an error body is shown."""
    for name in ("code", "error"):
        value = answer.get(name) if answer else None
        if isinstance(value, str) and _ERROR_CODE.fullmatch(value):
            return value
    return "unknown"


def _read_bounded(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise DeliveryError(f"hub answer exceeds {MAX_ANSWER_BYTES} bytes", retryable=False)
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def contribute(
    settings: Settings,
    period: str,
    *,
    dry_run: bool = False,
    now: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Build (and unless ``dry_run``, send) the contribution for ``period``; a JSON report."""
    if not _PERIOD.fullmatch(period):
        raise ConfigError("--period must be a month, YYYY-MM")
    hub = settings.hub
    if hub is None:
        raise ConfigError("no [hub] section in the configuration: set url and hub_id")
    with open_store(settings, lock="contribute") as store:
        book = book_totals(store.hub_book())
    report = _summary(settings, hub, period, book, dry_run)
    if dry_run:
        report["bucket_keys"] = [
            {**_key(k), "records": n} for k, n in book.records.items()
        ]
        return report
    if not book.totals:
        raise ConfigError(
            "nothing to contribute: no record of the exposure book has a common buyer id "
            "and disclosed dimensions"
        )
    jws = build_contribution(
        settings.exporter_id,
        hub.hub_id,
        period,
        book.totals,
        load_paillier_public_key_file(
            settings.insurer.paillier_public_key, settings.insurer.paillier_fingerprint
        ),
        load_signing_key_file(settings.keys.signing_key, settings.keys.signing_key_passphrase_env),
        now=int(time.time()) if now is None else now,
    )
    answer = post_contribution(hub, jws, transport=transport)
    report["sha256"] = sha256_hex(jws.encode("ascii"))
    report["hub"] = {"status": answer.status, "answer": answer.body}
    return report


def _key(key: Any) -> dict[str, str]:
    return {
        "buyer": key.buyer,
        "country": key.country,
        "currency": key.currency,
        "maturity_month": key.maturity_month,
    }


def _summary(
    settings: Settings, hub: HubSettings, period: str, book: BookTotals, dry_run: bool
) -> dict[str, Any]:
    return {
        "exporter_id": settings.exporter_id,
        "hub_id": hub.hub_id,
        "period": period,
        "dry_run": dry_run,
        "buckets": len(book.totals),
        "records": book.contributed_records,
        "uncontributed": dict(book.uncontributed),
    }


def _lines(report: Mapping[str, Any]) -> list[str]:
    left = report["uncontributed"]
    lines = [
        f"contribution for {report['period']} to hub {report['hub_id']}: "
        f"{report['buckets']} buckets from {report['records']} records",
        f"not contributed: {left['no_common_id']} records without a common buyer id, "
        f"{left['undisclosed_dimension']} with a dimension the policy does not disclose",
    ]
    if left["no_common_id"]:
        lines.append(
            "  (a buyer without an insurer code needs [hub] consortium_key; records attached "
            "before it was set get a common id with their next version)"
        )
    if report["dry_run"]:
        lines.append("dry run: nothing sent; buckets (records in each, amounts never shown):")
        lines += [
            f"  {b['buyer']}  {b['country']}  {b['currency']}  {b['maturity_month']}  "
            f"{b['records']}"
            for b in report["bucket_keys"]
        ]
    else:
        hub = report["hub"]
        shown = json.dumps(hub["answer"], sort_keys=True) if hub["answer"] is not None else "-"
        lines.append(f"hub answered HTTP {hub['status']}: {shown}")
    return lines


def command(
    period: Annotated[
        str | None, typer.Option(help="The period contributed, YYYY-MM.")
    ] = None,
    config: ConfigOption = Path("gateway.toml"),
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the bucket keys that would be sent; send nothing."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    new_consortium_key: Annotated[
        Path | None,
        typer.Option(help="Write a new consortium key (0600) to this new file, and exit."),
    ] = None,
) -> None:
    """Send this exporter's encrypted exposure for a period to the aggregation hub."""
    if new_consortium_key is not None:
        with gateway_errors():
            made = generate_consortium_key(new_consortium_key)
        typer.echo(f"wrote {made.path} (0600), consortium key kid {made.kid}")
        typer.echo("hand it to each exporter of the consortium over a confidential channel;")
        shown = json.dumps(str(made.path.resolve()))
        typer.echo(f"in their [hub] section: consortium_key = {shown}")
        return
    with gateway_errors():
        if period is None:
            raise ConfigError("--period is required (YYYY-MM)")
        report = contribute(load_settings(config), period, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        for line in _lines(report):
            typer.echo(line)

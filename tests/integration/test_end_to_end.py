"""ERP export → `gateway sync` (the real CLI, in a subprocess) → reference insurer on loopback.

Everything is real: keys generated here, the embedded Rego engine, SQLite files, uvicorn on an
OS-assigned loopback port. The insurer app is wrapped in a small ASGI recorder so the test can
inspect every byte the insurer received.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import os
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app, load_config, serve_in_thread
from gateway.keys import generate_gateway_keys, load_pseudonym_key_file
from gateway.settings import load_settings
from gateway.store import SqliteStore

EXPORTER = "exporter-e2e"
COLUMNS = [
    "invoice_no",
    "invoice_date",
    "ship_date",
    "buyer_name",
    "buyer_country",
    "buyer_code",
    "buyer_address",
    "currency",
    "amount",
    "payment_terms",
    "due_date",
    "incoterms",
    "hs_code",
    "description",
    "unit_price",
    "quantity",
]
CANARY_NAMES = ["Zephyrine Canary Trading Ltd", "카나리아상사 주식회사", "Quokka Canary Imports"]
CANARY_INVOICES = ["INV-CANARY-7741", "청구-카나리-0093"]
CANARY_PRICES = ["73519.87", "91234.56"]
CANARY_TEXT = ["Secret alloy formula CANARY", "Canary Strasse 99"]


class Recorder:
    """ASGI middleware keeping every request body the insurer app receives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.bodies.append(b"".join(chunks))
            return message

        await self.app(scope, recording_receive, send)


def _rows() -> list[dict[str, str]]:
    """Three named buyers with enough invoices to pass k=3, planted canaries everywhere."""
    rows = []
    buyers = [
        (CANARY_NAMES[0], "US", "", "USD"),
        (CANARY_NAMES[1], "VN", "VN-0001", "KRW"),
        (CANARY_NAMES[2], "AU", "", "USD"),
    ]
    n = 0
    for b, (name, country, code, currency) in enumerate(buyers):
        for i in range(4 + b):
            n += 1
            ship = date(2026, 3, 1) + timedelta(days=3 * i)
            amount = f"{1234567 + 1000 * n}" if currency == "KRW" else f"{10000 + 137 * n}.{n:02d}"
            rows.append(
                {
                    "invoice_no": CANARY_INVOICES[n % 2] + f"-{n}",
                    "invoice_date": ship.isoformat(),
                    "ship_date": ship.isoformat(),
                    "buyer_name": name,
                    "buyer_country": country,
                    "buyer_code": code,
                    "buyer_address": CANARY_TEXT[1],
                    "currency": currency,
                    "amount": amount,
                    "payment_terms": "O/A",
                    "due_date": (ship + timedelta(days=60 + 20 * (i % 2))).isoformat(),
                    "incoterms": "FOB",
                    "hs_code": "8504.40",
                    "description": CANARY_TEXT[0],
                    "unit_price": CANARY_PRICES[n % 2],
                    "quantity": "3",
                }
            )
    # A lone buyer whose bucket stays below k: merged into remainders, never sent alone.
    rows.append(
        {
            **rows[0],
            "invoice_no": "INV-CANARY-LONE",
            "buyer_name": "Lone Canary GmbH",
            "buyer_country": "DE",
            "currency": "EUR",
            "amount": "5000.00",
        }
    )
    return rows


BAD_ROWS = [
    ("amount", {"amount": ""}),
    ("amount", {"amount": "12x.00"}),
    ("currency", {"currency": "XXQ"}),
    ("buyer.country", {"buyer_country": "ZZ"}),
]


def _write_export(path: Path) -> list[dict[str, str]]:
    rows = _rows()
    bad = [{**rows[1], **change} for _, change in BAD_ROWS]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(rows + bad)
    return rows


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    recorder = Recorder(create_app(load_config(insurer.config_path)))
    server = serve_in_thread(recorder)  # type: ignore[arg-type]
    export = tmp_path / "export.csv"
    rows = _write_export(export)
    config = write_config(
        tmp_path,
        exporter_id=EXPORTER,
        keys=keys,
        insurer=insurer,
        sources=[("erp", export)],
        insurer_url=server.base_url,
    )
    try:
        yield {
            "config": config,
            "rows": rows,
            "recorder": recorder,
            "server": server,
            "insurer": insurer,
            "keys": keys,
            "tmp": tmp_path,
        }
    finally:
        server.stop()


def _sync(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway", "sync", "--config", str(config), "--verbose", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        check=False,
    )


def _b64url_segments(body: bytes) -> list[bytes]:
    out = []
    for segment in body.split(b"."):
        try:
            out.append(base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4)))
        except ValueError:
            continue
    return out


def _variants(canary: str) -> set[str]:
    folded = " ".join(unicodedata.normalize("NFKC", canary).casefold().split())
    return {canary, folded, canary.upper()}


def test_no_canary_leaves_the_building_or_reaches_logs_or_errors(env: dict[str, Any]) -> None:
    done = _sync(env["config"], "--json", str(env["tmp"] / "account.json"))
    assert done.returncode == 0, done.stderr
    received = env["recorder"].bodies
    assert any(b"." in body for body in received), "the insurer received no submission"
    insurer_files = [
        p.read_bytes() for p in env["insurer"].directory.glob("insurer-state.sqlite3*")
    ]
    haystacks: list[bytes] = [*received, *insurer_files]
    for body in received:
        haystacks.extend(_b64url_segments(body))
    logs = done.stdout + done.stderr
    settings = load_settings(env["config"])
    with SqliteStore(settings.store_path) as store:
        reasons = " ".join(
            f"{q.source} {q.row} {q.field} {q.reason}" for q in store.list_quarantine()
        )
        failures = " ".join(s.last_error or "" for s in store.list_submissions())
    account = (env["tmp"] / "account.json").read_text(encoding="utf-8")
    for canary in CANARY_NAMES + CANARY_INVOICES + CANARY_PRICES + CANARY_TEXT:
        for variant in _variants(canary):
            needle = variant.encode()
            assert not any(needle in hay for hay in haystacks), f"{canary!r} reached the insurer"
            assert variant not in logs, f"{canary!r} in the gateway's output"
            assert variant not in reasons + failures + account, f"{canary!r} in an error or report"


def _token(key: Any, domain: str, value: str) -> str:
    """Independent re-computation of the documented pseudonym (docs/pseudonyms.md)."""
    canonical = " ".join(unicodedata.normalize("NFKC", value).casefold().split()).encode()
    msg = b"ecg-pseudonym\x00c1\x00"
    for part in (domain.encode(), canonical):
        msg += len(part).to_bytes(4, "big") + part
    mac = hmac.new(key.secret, msg, hashlib.sha256).digest()[:16]
    return f"p1.{key.kid}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _expected_buckets(
    rows: list[dict[str, str]], key: Any, k: int = 3
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Bucket totals computed from the input file alone, with the documented k rule."""
    digits = {"USD": 2, "EUR": 2, "KRW": 0}
    buckets: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        buyer = r["buyer_code"] or _token(key, "buyer", r["buyer_name"])
        b = buckets[(buyer, r["buyer_country"], r["currency"], r["due_date"][:7])]
        b[0] += 1
        b[1] += int(Decimal(r["amount"]).scaleb(digits[r["currency"]]))
    for level in (lambda t: ("*", t[1], t[2], "*"), lambda t: ("*", "*", t[2], "*")):
        for bkey in [b for b, (n, _) in buckets.items() if n < k]:
            n, total = buckets.pop(bkey)
            merged = buckets[level(bkey)]
            merged[0] += n
            merged[1] += total
    return {b: (n, t) for b, (n, t) in buckets.items() if n >= k}


def test_insurer_decrypted_totals_equal_sums_from_the_input_file(env: dict[str, Any]) -> None:
    done = _sync(env["config"])
    assert done.returncode == 0, done.stderr
    exposure = httpx.get(f"{env['server'].base_url}/v1/exposure", timeout=10).json()
    got = {
        (
            b["key"]["buyer"],
            b["key"]["country"],
            b["key"]["currency"],
            b["key"]["maturity_month"],
        ): (b["records"], b["total_minor"])
        for b in exposure
    }
    pkey = load_pseudonym_key_file(env["keys"].pseudonym_key)
    expected = _expected_buckets(env["rows"], pkey)
    assert got == expected
    assert all(n >= 3 for n, _ in got.values())
    assert ("*", "DE", "EUR", "*") not in got  # the lone EUR record is suppressed, not sent alone


def test_every_input_row_is_accounted_for(env: dict[str, Any]) -> None:
    done = _sync(env["config"], "--json", str(env["tmp"] / "account.json"))
    assert done.returncode == 0, done.stderr
    account = json.loads((env["tmp"] / "account.json").read_text(encoding="utf-8"))["total"]
    read = len(env["rows"]) + len(BAD_ROWS)
    assert account["read"] == read
    assert account["quarantined"] == len(BAD_ROWS)
    assert account["attached"] + sum(account["withheld"].values()) + account["quarantined"] == read
    with SqliteStore(load_settings(env["config"]).store_path) as store:
        quarantined = store.list_quarantine()
    assert [q.field for q in quarantined] == [field for field, _ in BAD_ROWS]
    first_bad = len(env["rows"]) + 2  # header is line 1
    assert [q.row for q in quarantined] == list(range(first_bad, first_bad + len(BAD_ROWS)))
    assert all(q.source.endswith("export.csv") and q.reason for q in quarantined)


def test_second_sync_of_the_same_export_sends_nothing_twice(env: dict[str, Any]) -> None:
    assert _sync(env["config"]).returncode == 0
    first = len(env["recorder"].bodies)
    again = _sync(env["config"])
    assert again.returncode == 0, again.stderr
    submissions = httpx.get(f"{env['server'].base_url}/v1/submissions", timeout=10).json()
    assert len(submissions) == 1
    assert len(env["recorder"].bodies) == first

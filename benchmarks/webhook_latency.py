"""Latency of the push webhook: a signed 1,000-record push until it is durable in the outbox.

    python benchmarks/webhook_latency.py                      # 10 warm-up + 200 measured pushes
    python benchmarks/webhook_latency.py --pushes 50 --records 1000 --json webhook.json
    python benchmarks/webhook_latency.py --breakdown          # server-side time per stage
    python benchmarks/webhook_latency.py --profile serve.pstats   # cProfile of every server thread

Set-up, as a deployment looks: fresh gateway keys, a reference insurer with a 3072-bit Paillier
key, a ``gateway.toml`` written by :func:`gateway.devsetup.write_config` (the webhook's rate limits
raised so that they never refuse a push), and three processes: the reference insurer
(``python -m gateway.examples.insurer_api``, a subprocess), the gateway (``python -m gateway serve
--config ...``, a subprocess: uvicorn, the default policy on the embedded engine, SQLite outbox
with ``synchronous=FULL``) and this process, the load generator.

The generator sends signed pushes one after another over one keep-alive loopback connection
(``httpx``). Each push holds ``records`` distinct invoices (invoice numbers new for every push, so
nothing is "unchanged") for a few hundred buyers in 24 countries. The time measured is from just
before the request is sent to the ``202`` answer; the service answers only once the run's
submissions are committed. Bodies are built and signed before the clock starts.
``--buyers`` sets how many buyers the invoices spread over, and so how many exposure buckets the
book has. The service defers the exposure snapshot (``[service] snapshot_delay_s``): it is
encrypted outside the push's path when pushes pause, or at the latest after
``snapshot_max_delay_s``, and then competes with the pushes for the gateway's CPU, as does the
background delivery to the insurer that the service starts after every push, as in production.

Durability is checked, not assumed: after the last push the gateway process is killed
(``SIGKILL``, so nothing can be flushed on the way out) and the SQLite file is read. For every
push its run must be finished with the account the service answered, its submissions must be in
the outbox, and the attachments inside their signed payloads and the record versions committed
with them must both equal the push's attached count.

``--breakdown`` and ``--profile`` run the gateway through this file's ``--serve`` mode instead:
``gateway serve`` with timers wrapped around the service and pipeline steps (inclusive wall time,
counted only on the push's own path) or with cProfile enabled on every thread; the server then
stops with ``SIGTERM`` so the figures are written. Both slow the server; take latencies from a
plain run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import json
import os
import platform
import random
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

EXPORTER = "exporter-bench"
SECRET_ENV = "GATEWAY_WEBHOOK_SECRET"  # noqa: S105 - a variable name, not a secret
COUNTRIES = ("US", "DE", "JP", "CN", "VN", "FR", "GB", "IT", "NL", "ES", "BR", "MX", "IN",
             "ID", "TH", "MY", "PH", "AU", "CA", "PL", "TR", "AE", "SA", "CL")
TERMS = ("L/C", "D/P", "D/A", "O/A", "O/A", "O/A", "T/T")
START = date(2026, 1, 5)


# -- records and pushes ----------------------------------------------------------------------

def _buyers(count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(name, country, insurer code, currency) per buyer."""
    out = []
    for i in range(count):
        country = COUNTRIES[i % len(COUNTRIES)]
        currency = "JPY" if country == "JP" else ("EUR" if i % 3 == 1 else "USD")
        out.append((f"Buyer {i:04d} Trading {rng.choice(['GmbH', 'Ltd', 'Inc', 'SA'])}",
                    country, f"{country}-{1_000_000 + i}", currency))
    return out


def _cents(minor: int) -> str:
    """Minor units as a decimal string with two places (no float on the way)."""
    return f"{minor // 100}.{minor % 100:02d}"


def push_records(
    push: int, count: int, buyers: Sequence[tuple[str, str, str, str]], rng: random.Random
) -> list[dict[str, str | None]]:
    """``count`` records (the ``generic`` mapping's columns) with invoice numbers unique to
    ``push``."""
    rows: list[dict[str, str | None]] = []
    for i in range(count):
        name, country, code, currency = buyers[rng.randrange(len(buyers))]
        invoiced = START + timedelta(days=rng.randrange(330))
        shipped = invoiced + timedelta(days=rng.randrange(6))
        qty, price = rng.randrange(1, 500), rng.randrange(100, 200_000)
        amount = str(qty * price) if currency == "JPY" else _cents(qty * price)
        rows.append({
            "invoice_no": f"WH{push:05d}-{i:05d}",
            "invoice_date": invoiced.isoformat(),
            "ship_date": shipped.isoformat(),
            "export_declaration_no": f"43017-26-{rng.randrange(10**7):07d}",
            "buyer_name": name,
            "buyer_country": country,
            "buyer_reg_no": None,
            "buyer_code": code,
            "buyer_address": None,
            "currency": currency,
            "amount": amount,
            "payment_terms": rng.choice(TERMS),
            "due_date": (shipped + timedelta(days=30 * rng.randrange(1, 7))).isoformat(),
            "tenor_days": None,
            "incoterms": rng.choice(["FOB", "CIF", "DAP", "FCA"]),
            "hs_code": "8504.40",
            "description": "Static converters",
            "unit_price": str(price) if currency == "JPY" else _cents(price),
            "quantity": str(qty),
        })
    return rows


# -- processes --------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {what} exited during start-up (see its log)")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code in (200, 404):
                return
        time.sleep(0.2)
    raise RuntimeError(f"the {what} did not start")


@contextlib.contextmanager
def _process(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> Iterator[
    subprocess.Popen[bytes]
]:
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=60)


def _workspace(root: Path, gateway_port: int, insurer_port: int) -> tuple[Path, Path]:
    """Keys, the insurer's files and ``gateway.toml``; returns (gateway config, insurer config)."""
    from gateway.devsetup import create_dev_insurer, write_config
    from gateway.keys import generate_gateway_keys

    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER)
    config = write_config(root, exporter_id=EXPORTER, keys=keys, insurer=insurer,
                          insurer_url=f"http://127.0.0.1:{insurer_port}")
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f"\n[service]\nport = {gateway_port}\n"
                 "address_rate_per_s = 10000\naddress_burst = 100000\n"
                 "signer_rate_per_s = 10000\nsigner_burst = 100000\n")
    return config, insurer.config_path


# -- the load ---------------------------------------------------------------------------------

def _send(client: httpx.Client, secret: str, body: bytes, delivery: str) -> tuple[float, Any]:
    from gateway.service import sign_push

    headers = {"Content-Type": "application/json", **sign_push(secret, body, delivery)}
    started = time.perf_counter()
    answer = client.post("/v1/records", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 202:
        raise RuntimeError(f"push {delivery}: HTTP {answer.status_code} {answer.text[:200]}")
    return elapsed, answer.json()


def _check_account(account: dict[str, Any], records: int) -> None:
    accounted = (account["attached"] + sum(account["withheld"].values())
                 + account["quarantined"] + account["pending"] + account["unchanged"])
    if account["read"] != records or accounted != records or account["unchanged"]:
        raise RuntimeError(f"push account does not balance: {account}")


def verify_outbox(db: Path, accounts: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Check every acknowledged push against the SQLite file; raise on any difference."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        submissions = attachments = 0
        for acc in accounts:
            run = conn.execute("SELECT finished_at, account FROM runs WHERE run_id = ?",
                               (acc["run_id"],)).fetchone()
            if run is None or run[0] is None:
                raise RuntimeError(f"run {acc['run_id']}: not finished in the store")
            if json.loads(run[1])["webhook"]["attached"] != acc["attached"]:
                raise RuntimeError(f"run {acc['run_id']}: stored account differs")
            rows = conn.execute("SELECT submission_id, jws FROM submissions WHERE run_id = ?",
                                (acc["run_id"],)).fetchall()
            if sorted(r[0] for r in rows) != sorted(acc["submissions"]):
                raise RuntimeError(f"run {acc['run_id']}: submissions differ from the answer")
            signed = 0
            for _, jws in rows:
                part = jws.split(".")[1]
                payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                signed += len(payload["attachments"])
            versions = conn.execute("SELECT COUNT(*) FROM records WHERE run_id = ?",
                                    (acc["run_id"],)).fetchone()[0]
            if signed != acc["attached"] or versions != acc["attached"]:
                raise RuntimeError(f"run {acc['run_id']}: {acc['attached']} attached, "
                                   f"{signed} in signed payloads, {versions} record versions")
            submissions += len(rows)
            attachments += signed
    finally:
        conn.close()
    return {"runs": len(accounts), "submissions": submissions, "attachments": attachments}


def _ms(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 1)


def run(
    pushes: int = 200,
    records: int = 1000,
    *,
    warmup: int = 10,
    buyers: int = 300,
    seed: int = 7,
    mode: str = "plain",
    profile_out: Path | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Measure ``pushes`` pushes of ``records`` records after ``warmup`` unmeasured ones.

    ``mode``: ``plain`` (latency), ``breakdown`` (server-side timers) or ``profile`` (cProfile
    of the server into ``profile_out``)."""
    root = Path(workdir or tempfile.mkdtemp(prefix="webhook-latency-"))
    gateway_port, insurer_port = _free_port(), _free_port()
    config, insurer_config = _workspace(root, gateway_port, insurer_port)
    secret = secrets.token_urlsafe(48)
    env = {**os.environ, SECRET_ENV: secret}
    rng = random.Random(seed)  # noqa: S311 - test data
    people = _buyers(buyers, rng)
    bodies = [json.dumps({"source": "webhook", "records": push_records(p, records, people, rng)},
                         ensure_ascii=False).encode() for p in range(warmup + pushes)]
    insurer_cmd = [sys.executable, "-m", "gateway.examples.insurer_api", "--config",
                   str(insurer_config), "--port", str(insurer_port)]
    if mode == "plain":
        serve_cmd = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
    else:
        out = profile_out if mode == "profile" else root / "timers.json"
        serve_cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(config),
                     f"--{mode}-out", str(out)]
    latencies: list[float] = []
    accounts: list[dict[str, Any]] = []
    with _process(insurer_cmd, root / "insurer.log", env, root) as insurer, \
            _process(serve_cmd, root / "gateway.log", env, root) as gateway:
        _wait_healthy(f"http://127.0.0.1:{insurer_port}/v1/submissions", insurer, "insurer")
        url = f"http://127.0.0.1:{gateway_port}"
        _wait_healthy(url + "/healthz", gateway, "gateway")
        with httpx.Client(base_url=url, timeout=600) as client:
            started = time.perf_counter()
            for n, body in enumerate(bodies):
                if n == warmup:
                    started = time.perf_counter()
                elapsed, account = _send(client, secret, body, f"bench-{n:06d}")
                _check_account(account, records)
                accounts.append(account)
                if n >= warmup:
                    latencies.append(elapsed)
            wall = time.perf_counter() - started
        if mode == "plain":
            gateway.kill()  # no graceful shutdown: what was acknowledged must already be on disk
        else:
            gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=120)
    durable = verify_outbox(root / "data" / "gateway.sqlite3", accounts)
    measured = accounts[warmup:]
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "mode": mode, "pushes": pushes, "warmup": warmup, "records_per_push": records,
        "buyers": buyers, "body_bytes_mean": round(statistics.mean(map(len, bodies))),
        "p50_ms": _ms(latencies, 0.50), "p90_ms": _ms(latencies, 0.90),
        "p99_ms": _ms(latencies, 0.99), "max_ms": round(1000 * max(latencies), 1),
        "mean_ms": round(1000 * statistics.mean(latencies), 1),
        "first_10_mean_ms": round(1000 * statistics.mean(latencies[:10]), 1),
        "last_10_mean_ms": round(1000 * statistics.mean(latencies[-10:]), 1),
        "pushes_per_s": round(pushes / wall, 2), "records_per_s": round(pushes * records / wall),
        "attached_per_push": round(statistics.mean(a["attached"] for a in measured), 1),
        "durable_in_outbox": durable,
        "workdir": str(root),
    }
    if mode == "profile" and profile_out is not None:
        report["profile_top"] = profile_top(profile_out, warmup + pushes)
    if mode == "breakdown":
        report["server_ms_per_push"] = _per_push(json.loads((root / "timers.json").read_text()),
                                                 warmup)
    return report


def profile_top(path: Path, pushes: int, count: int = 40) -> list[str]:
    """The ``count`` functions with the most cumulative time, per push (all threads)."""
    import pstats

    stats = pstats.Stats(str(path))
    rows = []
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((cumtime, tottime, calls, f"{Path(file).name}:{line}({name})"))
    rows.sort(reverse=True)
    return [f"cum {1000 * c / pushes:9.1f} ms  self {1000 * t / pushes:8.1f} ms  "
            f"calls {n / pushes:9.1f}  {where}" for c, t, n, where in rows[:count]]


def _per_push(timers: dict[str, list[float]], warmup: int) -> dict[str, dict[str, float]]:
    """Mean and p99 milliseconds per measured push for each timer (warm-up pushes dropped)."""
    out = {}
    for name, values in sorted(timers.items()):
        per_push = values[warmup:]
        if per_push:
            out[name] = {"mean": round(1000 * statistics.mean(per_push), 2),
                         "p99": _ms(per_push, 0.99)}
    return out


# -- the instrumented server (``--serve``) -----------------------------------------------------

class _Push:
    """Inclusive seconds per timer for one push; closed once its answer is sent."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.closed = False

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


def _install_timers() -> tuple[Any, list[_Push]]:
    """Wrap the service and pipeline steps with timers that count only on a push's own path
    (its request task and the threads it hands work to; not the background delivery)."""
    import contextvars
    import functools

    import gateway.pipeline as pipeline
    import gateway.service.app as service_app
    import gateway.service.push as service_push
    import gateway.service.signing as signing
    import gateway.store.sqlite as sqlite_store
    from gateway.model import ExportRecord
    from gateway.versions import VersionTracker

    current: contextvars.ContextVar[_Push | None] = contextvars.ContextVar("push", default=None)
    pushes: list[_Push] = []

    def timed(name: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            push = current.get()
            if push is None or push.closed:
                return fn(*args, **kwargs)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                push.add(name, time.perf_counter() - started)
        return wrapper

    def patch(owner: Any, attr: str, name: str) -> None:
        setattr(owner, attr, timed(name, getattr(owner, attr)))

    patch(service_push, "parse_body", "service.parse_body")
    patch(service_push.PushBody, "model_validate", "service.validate")
    patch(service_push, "to_item", "ingest.to_item")
    patch(service_app, "read_push", "service.read_push")
    patch(signing, "verify_signature", "service.hmac")
    patch(sqlite_store.SqliteStore, "claim_delivery", "service.claim_delivery")
    patch(pipeline.Pipeline, "__init__", "pipeline.init")
    patch(pipeline.Pipeline, "process", "pipeline.process")
    patch(pipeline.Pipeline, "_decide", "pipeline.policy_decide")
    patch(pipeline.Pipeline, "_exposure_snapshot", "pipeline.exposure_snapshot")
    patch(pipeline.Pipeline, "_emit", "pipeline.emit")
    patch(pipeline, "transform", "pipeline.transform")
    patch(pipeline, "snapshot_ciphertexts", "pipeline.encrypt")
    patch(pipeline, "sign_submission_body", "pipeline.sign")
    patch(pipeline, "canonical_json", "pipeline.canonical_json")
    patch(ExportRecord, "policy_input", "pipeline.policy_input")
    patch(VersionTracker, "identify", "pipeline.versions_identify")
    patch(VersionTracker, "attach", "pipeline.versions_attach")
    for method in ("begin_run", "finish_run", "put_submission", "exposure_totals",
                   "latest_versions", "get_meta", "get_submission", "ledger_head",
                   "add_quarantine"):
        patch(sqlite_store.SqliteStore, method, f"store.{method}")
    patch(sqlite_store, "connect", "store.connect")
    original_tx = getattr(sqlite_store, "transaction")  # noqa: B009 - not re-exported

    @contextlib.contextmanager
    def transaction(conn: Any) -> Iterator[Any]:
        manager = original_tx(conn)
        entered = manager.__enter__()
        try:
            yield entered
        except BaseException:
            if not manager.__exit__(*sys.exc_info()):  # ROLLBACK, as without the timer
                raise
            return
        push = current.get()
        started = time.perf_counter()
        manager.__exit__(None, None, None)  # COMMIT: the WAL write and its fsync
        if push is not None and not push.closed:
            push.add("store.commit", time.perf_counter() - started)

    setattr(sqlite_store, "transaction", transaction)  # noqa: B010 - not re-exported
    collecting: list[float] = []

    def gc_timer(phase: str, _: dict[str, int]) -> None:
        push = current.get()
        if phase == "start":
            collecting.append(time.perf_counter())
        elif collecting and push is not None and not push.closed:
            push.add("gc", time.perf_counter() - collecting.pop())
        elif collecting:
            collecting.pop()

    gc.callbacks.append(gc_timer)

    def timing_app(app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"] != "/v1/records":
                await app(scope, receive, send)
                return
            push = _Push()
            current.set(push)
            started = time.perf_counter()

            async def timed_send(message: Any) -> None:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    push.add("server.total", time.perf_counter() - started)
                    push.closed = True
                    pushes.append(push)

            async def timed_receive() -> Any:
                message = await receive()
                if message["type"] == "http.request" and not message.get("more_body"):
                    push.add("server.body_received", time.perf_counter() - started)
                return message

            await app(scope, timed_receive, timed_send)
        return wrapped

    return timing_app, pushes


def serve_instrumented(config: Path, *, timers_out: Path | None, profile_out: Path | None) -> None:
    """``gateway serve --config config`` with timers or cProfile on every thread; the figures
    are written when the server stops (SIGTERM)."""
    import cProfile
    import pstats
    import threading

    import uvicorn

    from gateway.cli import serve

    pushes: list[_Push] = []
    if timers_out is not None:
        wrap, pushes = _install_timers()
        run_server = uvicorn.run
        uvicorn.run = lambda app, **kw: run_server(wrap(app), **kw)
    profiles: list[cProfile.Profile] = []

    def profile_thread(*_: Any) -> None:
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.enable()

    if profile_out is not None:
        threading.setprofile(profile_thread)
        profile_thread()
    # uvicorn raises the signal that stopped it again once it has shut down: let that return
    # here so that the figures are written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        serve.command(config=config, host=None, port=None, verbose=False)
    finally:
        if profile_out is not None:
            threading.setprofile(None)
            stats = pstats.Stats(profiles[0])
            for profiler in profiles[1:]:
                stats.add(profiler)
            stats.dump_stats(profile_out)
        if timers_out is not None:
            names = sorted({name for push in pushes for name in push.seconds})
            timers_out.write_text(json.dumps(
                {name: [push.seconds.get(name, 0.0) for push in pushes] for name in names}
            ))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--breakdown", action="store_true", help="server-side timers per stage")
    parser.add_argument("--profile", type=Path, default=None, help="write a pstats file here")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--breakdown-out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve_instrumented(args.serve, timers_out=args.breakdown_out,
                           profile_out=args.profile_out)
        return 0
    mode = "profile" if args.profile else "breakdown" if args.breakdown else "plain"
    report = run(args.pushes, args.records, warmup=args.warmup, buyers=args.buyers,
                 seed=args.seed, mode=mode,
                 profile_out=args.profile.resolve() if args.profile else None)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

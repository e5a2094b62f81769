"""``gateway serve``: the FastAPI shell. It parses, calls the library and maps errors; nothing else.

Routes: ``GET /healthz``, ``POST /v1/records`` (the push webhook, HMAC-signed:
docs/service-api.md), ``GET /v1/submissions``, ``GET /.well-known/jwks.json``, the OpenAPI
schema at ``/openapi.json`` and its page at ``/docs``. Every answer carries the security headers;
clients are rate-limited per address and, for pushes, per signing identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.account import SyncResult
from gateway.dashboard.context import DashboardContext, RuntimeRef
from gateway.errors import (
    ConfigError,
    DeliveryError,
    GatewayError,
    PolicyError,
    RecordError,
    StoreError,
    VerificationError,
)
from gateway.pipeline import Pipeline, Runtime
from gateway.service import signing
from gateway.service._docs import add_docs
from gateway.service._http import AddressRateLimit, GenericErrors, SecurityHeaders
from gateway.service.push import (
    PushAccount,
    PushBody,
    PushRefused,
    ReadPush,
    push_account,
    read_push,
)
from gateway.service.ratelimit import RateLimiter
from gateway.service.snapshots import Outcome, SnapshotScheduler
from gateway.settings import ServiceSettings
from gateway.sign import build_jwks
from gateway.store import Store

log = logging.getLogger(__name__)

_STATUS: dict[type[GatewayError], int] = {
    RecordError: 422,
    VerificationError: 401,
    ConfigError: 500,
    PolicyError: 500,
    StoreError: 503,
    DeliveryError: 502,
}


_PUSH_SCHEMA: dict[str, Any] = {
    "required": True,
    "content": {"application/json": {"schema": PushBody.model_json_schema()}},
}
_SIGNATURE_PARAMETERS = [
    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
    for name in (signing.TIMESTAMP_HEADER, signing.DELIVERY_HEADER, signing.SIGNATURE_HEADER)
]
_UNAUTHORISED = "unauthorised"
_SNAPSHOT_PATIENCE_S = 5.0  # per encryption: the background worker makes about 100 a second
_MAX_OFFSET = 2**63 - 1  # SQLite's largest integer: beyond it the query cannot even be bound


def create_app(
    runtime: Runtime | RuntimeRef,
    store: Store,
    *,
    mapping: Any,
    dashboard: DashboardContext | None = None,
    deliver: Callable[[Pipeline], None] | None = None,
    webhook_secret: str | bytes | None = None,
    service: ServiceSettings | None = None,
    retry_every_s: float | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The gateway's HTTP service.

    ``webhook_secret`` (at least 32 random bytes) enables ``POST /v1/records``; without one the
    webhook answers 503. A short or placeholder secret is a :class:`ConfigError`. ``service``
    gives the timestamp tolerance and the rate limits (defaults: :class:`ServiceSettings`);
    ``clock`` is the unix time the timestamps are checked against.

    With ``dashboard`` the data-sovereignty dashboard is served under ``/ui``, sharing the
    context's runtime (swapped when a policy is activated) and pipeline lock.

    With ``deliver`` and ``retry_every_s``, a background thread delivers the outbox every so
    many seconds while the service runs, so entries waiting for a retry (or written by an
    earlier sync) go out without a new push; the backoff and the circuit breaker still apply.
    """
    conf = service or ServiceSettings()
    secret = signing.webhook_secret(webhook_secret) if webhook_secret else None
    signer = "v1:" + hashlib.sha256(secret or b"").hexdigest()[:16]  # names the key, not it
    signers = RateLimiter(conf.signer_rate_per_s, conf.signer_burst)
    if dashboard is not None:
        ref, lock = dashboard.runtime, dashboard.pipeline_lock
    else:
        ref = runtime if isinstance(runtime, RuntimeRef) else RuntimeRef(runtime)
        # One pipeline at a time: the embedded Rego engine is not thread-safe.
        lock = threading.Lock()
    sending = threading.Lock()  # one delivery pass at a time

    def deliver_once() -> None:
        if deliver is None or not sending.acquire(blocking=False):
            return  # a pass is already running; it will see every due entry
        try:
            with lock:
                pipeline = Pipeline(ref.current, store)
            deliver(pipeline)
        finally:
            sending.release()

    def send_snapshot() -> Outcome:
        """Plan and encrypt outside the pipeline lock, so pushes go on meanwhile; write under
        it. Encryption waits for background obfuscators rather than compete with pushes."""
        runtime = ref.current
        pipeline = Pipeline(runtime, store)
        plan = pipeline.plan_snapshot()
        if plan is None:
            return "current"
        sealed = pipeline.seal_snapshot(plan, patience_s=_SNAPSHOT_PATIENCE_S)
        with lock:
            if ref.current is not runtime:  # a policy was activated meanwhile
                return "stale"
            if pipeline.write_snapshot(plan, sealed) is None:
                return "stale"
        deliver_once()
        return "written"

    # Pushes defer the exposure snapshot when a delay is configured and the webhook is on.
    snapshots = (
        SnapshotScheduler(send_snapshot, delay_s=conf.snapshot_delay_s,
                          max_delay_s=conf.snapshot_max_delay_s)
        if secret and conf.snapshot_delay_s > 0 else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = None
        if deliver is not None and retry_every_s is not None:
            loop = _RetryLoop(deliver_once, retry_every_s)
            loop.start()
        if snapshots is not None:
            snapshots.start()
        try:
            yield
        finally:
            if snapshots is not None:
                await run_in_threadpool(snapshots.stop)
            if loop is not None:
                loop.stop()

    app = FastAPI(
        title="Export credit gateway", version="1", lifespan=lifespan,
        docs_url=None, redoc_url=None,
    )
    app.state.snapshots = snapshots  # the deferred snapshot's scheduler (None: inline)
    add_docs(app, "Export credit gateway")
    if dashboard is not None:
        from gateway.dashboard.app import mount_dashboard  # the dashboard imports the service

        mount_dashboard(app, dashboard)
    app.add_middleware(GenericErrors)
    app.add_middleware(
        AddressRateLimit, limiter=RateLimiter(conf.address_rate_per_s, conf.address_burst)
    )
    app.add_middleware(SecurityHeaders)  # outermost: also on 429 and 500 answers
    max_body = ref.current.limits.max_body_bytes

    @app.exception_handler(GatewayError)
    async def _gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
        if status >= 500:  # a server-side problem: its text is for the log, not the client
            log.error("request failed: %s", type(exc).__name__)
            return JSONResponse({"error": type(exc).__name__}, status_code=status)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the offending input; ours names only where and why.
        problems = [
            {"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse({"error": "RequestValidationError", "detail": problems}, 422)

    def authenticate_headers(request: Request) -> signing.SignedPush:
        if secret is None:
            raise HTTPException(503, "webhook disabled")
        try:
            return signing.check_headers(
                request.headers, now=int(clock()), tolerance_s=conf.webhook_tolerance_s
            )
        except signing.WebhookAuthError as exc:
            log.info("push refused: %s", exc)
            raise HTTPException(401, _UNAUTHORISED) from exc

    def authenticate_body(request: Request, raw: bytes) -> None:
        assert secret is not None
        try:
            signing.verify_signature(secret, request.headers, raw)
        except signing.WebhookAuthError as exc:
            log.info("push refused: %s", exc)
            raise HTTPException(401, _UNAUTHORISED) from exc
        wait = signers.take(signer)
        if wait:
            raise HTTPException(429, "too many requests", headers={"Retry-After": str(wait)})

    def claim(push: signing.SignedPush) -> bool:
        return store.claim_delivery(
            push.delivery_id, signed_at=push.timestamp,
            forget_before=int(clock()) - conf.webhook_tolerance_s,
        )

    async def claim_and_read(raw: bytes, signed: signing.SignedPush) -> ReadPush:
        """The replay claim (a committed write: it waits on the disk) and the reading of the
        body (CPU only, no store) run side by side on worker threads. The claim decides first:
        a delivery seen before is refused whatever its body; a fresh one with a bad body is
        refused as such, its id spent."""
        fresh, read = await asyncio.gather(
            run_in_threadpool(claim, signed),
            run_in_threadpool(read_push, raw, mapping, ref.current.limits),
            return_exceptions=True,
        )
        if isinstance(fresh, BaseException):
            raise fresh
        if not fresh:
            log.info("push refused: delivery id seen before")
            raise HTTPException(409, "delivery already received")
        if isinstance(read, PushRefused):
            log.info("push refused: %s", read)
            raise HTTPException(422, "body is not a valid record push") from read
        if isinstance(read, BaseException):
            raise read
        return read

    async def bounded_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body):
            raise HTTPException(413, f"body over {max_body} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_body:
                raise HTTPException(413, f"body over {max_body} bytes")
        return bytes(body)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        runtime = ref.current
        return {
            "status": "ok",
            "exporter_id": runtime.exporter_id,
            "policy_version": runtime.engine.version,
        }

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        runtime = ref.current
        if runtime.published_jwks is not None:
            return dict(runtime.published_jwks)
        return build_jwks([runtime.signing_key])

    @app.post(
        "/v1/records", status_code=202,
        openapi_extra={"requestBody": _PUSH_SCHEMA, "parameters": _SIGNATURE_PARAMETERS},
        responses={code: {"description": why} for code, why in (
            (401, "signature headers missing, malformed, stale or wrong"),
            (409, "delivery id seen before"), (413, "body too large"),
            (422, "not a valid record push"), (429, "rate limited; see Retry-After"),
            (503, "webhook disabled"),
        )},
    )
    async def push(request: Request, background: BackgroundTasks) -> PushAccount:
        signed = authenticate_headers(request)
        raw = await bounded_body(request)
        authenticate_body(request, raw)
        body = await claim_and_read(raw, signed)
        del raw

        def process() -> SyncResult:
            with lock:
                return Pipeline(ref.current, store).process(
                    {body.source: body.items}, snapshot=snapshots is None
                )

        # Off the event loop: policy evaluation takes a while. The answer comes once the run's
        # submissions are committed; the exposure snapshot follows (gateway.service.snapshots).
        result = await run_in_threadpool(process)
        if snapshots is not None and result.submissions:
            snapshots.touch()
        if deliver is not None:
            background.add_task(deliver_once)
        return push_account(result, body.source)

    @app.get("/v1/submissions")
    def submissions(
        limit: int = 100, offset: Annotated[int, Query(le=_MAX_OFFSET)] = 0
    ) -> list[dict[str, Any]]:
        limit = max(1, min(limit, 1000))
        return [s.summary() for s in store.list_submissions(limit=limit, offset=max(0, offset))]

    return app


class _RetryLoop:
    """Calls ``work`` every ``every_s`` seconds on a daemon thread until stopped; an error in
    one pass is logged by name and the loop goes on (the next pass retries)."""

    def __init__(self, work: Callable[[], None], every_s: float) -> None:
        self._work = work
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-retry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._work()
            except GatewayError as exc:
                log.warning("outbox retry pass failed: %s", type(exc).__name__)

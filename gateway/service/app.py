"""``gateway serve``: the FastAPI shell. It parses, calls the library and maps errors; nothing else.

Routes: ``GET /healthz``, ``POST /v1/records`` (the push webhook), ``GET /v1/submissions``,
``GET /.well-known/jwks.json`` and the OpenAPI docs at ``/docs``.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gateway.account import SyncResult
from gateway.crypto.strict_json import loads_strict
from gateway.errors import (
    ConfigError,
    DeliveryError,
    GatewayError,
    PolicyError,
    RecordError,
    StoreError,
    VerificationError,
)
from gateway.ingest import to_item
from gateway.pipeline import Pipeline, Runtime
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


class PushBody(BaseModel):
    """A webhook push: records as the configured webhook mapping's source columns (strings)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    source: str = Field(default="webhook", pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    records: list[dict[str, str | None]] = Field(min_length=1, max_length=100_000)


class PushAccount(BaseModel):
    """read = attached + withheld + quarantined + pending + unchanged (docs/reliability.md)."""

    run_id: str
    read: int
    attached: int
    withheld: dict[str, int]
    quarantined: int
    pending: int
    unchanged: int
    submissions: list[str]


class _BadBody(GatewayError):
    """A pushed body that is not strict JSON (duplicate keys, NaN, floats, too deep)."""


def create_app(
    runtime: Runtime,
    store: Store,
    *,
    mapping: Any,
    deliver: Callable[[Pipeline], None] | None = None,
    webhook_token: str | None = None,
    retry_every_s: float | None = None,
) -> FastAPI:
    """The gateway's HTTP service. ``webhook_token`` defaults to ``$GATEWAY_WEBHOOK_TOKEN``.

    With ``deliver`` and ``retry_every_s``, a background thread delivers the outbox every so
    many seconds while the service runs, so entries waiting for a retry (or written by an
    earlier sync) go out without a new push; the backoff and the circuit breaker still apply.
    """
    lock = threading.Lock()  # one pipeline at a time: the embedded Rego engine is not thread-safe
    sending = threading.Lock()  # one delivery pass at a time

    def deliver_once() -> None:
        if deliver is None or not sending.acquire(blocking=False):
            return  # a pass is already running; it will see every due entry
        try:
            with lock:
                pipeline = Pipeline(runtime, store)
            deliver(pipeline)
        finally:
            sending.release()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = None
        if deliver is not None and retry_every_s is not None:
            loop = _RetryLoop(deliver_once, retry_every_s)
            loop.start()
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()

    app = FastAPI(title="Export credit gateway", version="1", lifespan=lifespan)
    token = (
        os.environ.get("GATEWAY_WEBHOOK_TOKEN", "") if webhook_token is None else webhook_token
    )
    max_body = runtime.limits.max_body_bytes

    @app.exception_handler(GatewayError)
    async def _gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the offending input; ours names only where and why.
        problems = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse({"error": "RequestValidationError", "detail": problems}, 422)

    def authorised(authorization: Annotated[str | None, Header()] = None) -> None:
        if not token:
            raise HTTPException(503, "webhook disabled: no token configured")
        supplied = (authorization or "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(supplied, token.encode()):
            raise HTTPException(401, "missing or wrong bearer token")

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
        return {
            "status": "ok",
            "exporter_id": runtime.exporter_id,
            "policy_version": runtime.engine.version,
        }

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return build_jwks([runtime.signing_key])

    @app.post("/v1/records", status_code=202, dependencies=[Depends(authorised)])
    async def push(request: Request, background: BackgroundTasks) -> PushAccount:
        raw = await bounded_body(request)
        try:
            body = PushBody.model_validate(loads_strict(raw, what="request body", error=_BadBody))
        except (_BadBody, ValueError) as exc:
            raise HTTPException(422, "body is not a valid record push") from exc
        items = [
            to_item(r, mapping, source=body.source, row=i, limits=runtime.limits)
            for i, r in enumerate(body.records, 1)
        ]

        def process() -> tuple[Pipeline, SyncResult]:
            with lock:
                pipeline = Pipeline(runtime, store)
                return pipeline, pipeline.process({body.source: items})

        # Off the event loop: policy evaluation and Paillier encryption take a while.
        _, result = await run_in_threadpool(process)
        if deliver is not None:
            background.add_task(deliver_once)
        acc = result.sources[body.source]
        return PushAccount(
            run_id=result.run_id,
            read=acc.read,
            attached=acc.attached,
            withheld=dict(acc.withheld),
            quarantined=acc.quarantined,
            pending=acc.pending,
            unchanged=acc.unchanged,
            submissions=result.submissions,
        )

    @app.get("/v1/submissions")
    def submissions(limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
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

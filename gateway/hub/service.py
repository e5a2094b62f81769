"""``gateway hub serve``: the hub's HTTP shell. It parses, calls gateway.hub.operations and maps
errors to status codes; nothing else.

Routes (docs/hub.md): ``POST /v1/contributions`` (a compact JWS, ``application/jose``),
``GET /v1/periods/{period}`` and ``GET /v1/releases/{period}`` (bearer: the reader or the
operator token), ``POST /v1/periods/{period}/release`` (bearer: the operator token only),
``GET /.well-known/jwks.json`` (the hub's public key), ``GET /healthz``. The gateway service's
hardening applies: security headers on every answer, per-address rate limit before the body is
read, bounded bodies, no exception text in a 5xx answer, no request content echoed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.errors import (
    ConfigError,
    CryptoError,
    DeliveryError,
    GatewayError,
    StoreError,
    VerificationError,
)
from gateway.hub import operations
from gateway.hub.contribution_wire import PERIOD_PATTERN
from gateway.hub.errors import HubConflict, NothingToRelease
from gateway.hub.push import JOSE, make_push_client
from gateway.hub.runtime import HubRuntime, bearer_matches
from gateway.hub.store import HubStore
from gateway.service._http import AddressRateLimit, GenericErrors, SecurityHeaders
from gateway.service.ratelimit import RateLimiter

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[GatewayError], int], ...] = (
    (VerificationError, 401),
    (HubConflict, 409),
    (NothingToRelease, 404),
    (ConfigError, 422),
    (StoreError, 503),
    (CryptoError, 500),
)
PeriodParam = Annotated[str, Path(pattern=PERIOD_PATTERN)]
_UNAUTHORISED = {"WWW-Authenticate": 'Bearer realm="hub"'}


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def _gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
        log.info("request refused: %s (%d)", type(exc).__name__, status)
        if status >= 500:
            return JSONResponse({"error": type(exc).__name__}, status_code=status)
        body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, HubConflict):
            body["code"] = exc.code
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse({"error": "RequestValidationError", "detail": problems}, 422)


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"body over {limit} bytes")
    return bytes(body)


def _jws_text(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, "body is not a compact JWS") from exc


def create_app(
    runtime: HubRuntime,
    store: HubStore,
    *,
    clock: Callable[[], float] = time.time,
    push_client: Callable[[], httpx.Client] = make_push_client,
) -> FastAPI:
    """The hub's HTTP service over ``store``; ``clock`` gives unix time (freshness, receipt
    and release times); ``push_client`` builds the client a release is pushed with."""
    settings = runtime.settings
    app = FastAPI(title="Export credit aggregation hub", version="1",
                  docs_url=None, redoc_url=None)
    _install_errors(app)
    app.add_middleware(GenericErrors)
    app.add_middleware(
        AddressRateLimit,
        limiter=RateLimiter(settings.address_rate_per_s, settings.address_burst),
    )
    app.add_middleware(SecurityHeaders)

    def require(request: Request, *, operator_only: bool) -> None:
        tokens = (runtime.release_token,) if operator_only else (
            runtime.release_token, runtime.reader_token)
        if not any(tokens):
            raise HTTPException(503, "endpoint disabled: no token configured")
        if not bearer_matches(request.headers.get("authorization"), tokens):
            log.info("request refused: bearer token missing or wrong")
            raise HTTPException(401, "unauthorised", headers=_UNAUTHORISED)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "hub_id": settings.hub_id}

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return runtime.jwks

    @app.post("/v1/contributions", status_code=201)
    async def contribute(request: Request) -> dict[str, Any]:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != JOSE:
            raise HTTPException(415, f"send the contribution as {JOSE}")
        jws = _jws_text(await _bounded_body(request, settings.max_contribution_bytes))
        now = int(clock())
        applied = await run_in_threadpool(
            operations.accept_contribution, jws, store=store, runtime=runtime, now=now
        )
        log.info("contribution %s accepted (exporter %s, period %s, %d buckets)",
                 applied.jti, applied.exporter_id, applied.period, applied.buckets)
        return {"jti": applied.jti, "period": applied.period, "sha256": applied.sha256,
                "buckets": applied.buckets, "received_at": applied.received_at}

    @app.get("/v1/periods/{period}")
    def period_status(request: Request, period: PeriodParam) -> dict[str, Any]:
        require(request, operator_only=False)
        summary = store.summary(period, settings.k)
        release = summary.release
        return {
            "period": period, "status": summary.status, "k": settings.k,
            "contributions": summary.contributions, "buckets": summary.buckets,
            "buckets_at_k": summary.buckets_at_k,
            "release": None if release is None else release.jti,
        }

    @app.post("/v1/periods/{period}/release", status_code=201)
    async def release(request: Request, period: PeriodParam) -> dict[str, Any]:
        require(request, operator_only=True)
        now = int(clock())
        stored = await run_in_threadpool(
            operations.release_period, store, runtime, period, now=now
        )
        log.info("period %s released (%s)", period, stored.jti)
        answer: dict[str, Any] = {
            "period": period, "jti": stored.jti, "sha256": stored.sha256,
            "buckets": stored.buckets, "remainders": stored.remainders,
            "suppressed_buckets": stored.suppressed, "contributions": stored.contributions,
            "pushed": None,
        }
        if settings.insurer_url is not None:
            answer.update(await run_in_threadpool(push, period, now))
        return answer

    def push(period: str, now: int) -> dict[str, Any]:
        try:
            with push_client() as client:
                operations.push_period(store, runtime, period, client=client, now=now)
        except DeliveryError as exc:
            log.warning("release %s not pushed: %s", period, exc)
            return {"pushed": False, "push_error": str(exc)}
        return {"pushed": True}

    @app.get("/v1/releases/{period}")
    def get_release(request: Request, period: PeriodParam) -> Response:
        require(request, operator_only=False)
        stored = store.release_of(period)
        if stored is None:
            raise HTTPException(404, "no release for this period")
        return Response(stored.jws, media_type=JOSE)

    return app

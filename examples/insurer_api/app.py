"""The reference insurer attachment API (FastAPI): a thin shell over ``attach`` and ``state``.

Routes: ``POST /v1/attachments``, ``GET /.well-known/jwks.json`` (receipt key),
``GET /.well-known/paillier-key.json`` (the public key exporters encrypt to),
``GET /v1/exposure``, ``GET /v1/submissions``, ``GET /healthz``; with a hub configured,
``POST /v1/hub-releases``, and the concentration report of released periods as
``GET /v1/portfolio/report`` (JSON) and ``GET /portfolio`` (HTML). Every error answer is
``{"error": code, "detail": short text}`` and never repeats any part of the request. The
Paillier private key lives only in the :class:`KeyCustodian`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import GatewayError, StoreError
from gateway.examples.insurer_api.attach import ApiError, AttachmentService
from gateway.examples.insurer_api.config import InsurerConfig
from gateway.examples.insurer_api.custody import KeyCustodian
from gateway.examples.insurer_api.exposure import exposure, verified_snapshots
from gateway.examples.insurer_api.portfolio import DEFAULT_TOP, PortfolioReport, build_report
from gateway.examples.insurer_api.portfolio_json import report_json
from gateway.examples.insurer_api.portfolio_page import (
    PORTFOLIO_CSP,
    render_empty,
    render_report,
)
from gateway.examples.insurer_api.releases import ReleaseService
from gateway.examples.insurer_api.state import InsurerState
from gateway.sign import build_jwks

log = logging.getLogger(__name__)
JOSE = "application/jose"
PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PAGE_HEADERS = {
    "Content-Security-Policy": PORTFOLIO_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


async def _read_bounded(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(413, "body_too_large", f"body exceeds {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _jose_body(request: Request, limit: int) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JOSE:
        raise ApiError(415, "unsupported_media_type", f"send the JWS as {JOSE}")
    return await _read_bounded(request, limit)


def _report(
    state: InsurerState, config: InsurerConfig, period: str | None, top: int
) -> tuple[PortfolioReport | None, list[str]]:
    """The report of ``period`` (default: the latest released), and every released period."""
    periods = state.released_periods()
    chosen = period or (periods[0] if periods else None)
    current = state.release(chosen) if chosen is not None else None
    if current is None:
        return None, periods
    previous = state.previous_release(current.period)
    return build_report(current, previous, config.limits, top=top), periods


def _install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _error(exc.status, exc.code, exc.detail)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, "request refused")

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return _error(422, "invalid_request", f"invalid parameters: {', '.join(fields)}")

    async def store_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("insurer state unavailable: %s", type(exc).__name__)
        return _error(503, "state_unavailable", "try again later")

    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__)
        return _error(500, "internal_error", "internal error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(GatewayError, internal)
    app.add_exception_handler(Exception, internal)


def create_app(config: InsurerConfig) -> FastAPI:
    """The app for ``config``; opens (and creates) its state file."""
    state = InsurerState(config.state_path)
    custodian = KeyCustodian(config.paillier_private_key, min_k=config.hub_min_k)
    service = AttachmentService(config, state)
    releases = ReleaseService(config, state, custodian) if config.hub_id is not None else None
    receipt_jwks = build_jwks([config.receipt_key])
    paillier_document = custodian.public_key.to_document()
    app = FastAPI(title="Reference insurer attachment API", docs_url=None, redoc_url=None)
    _install_error_handlers(app)

    @app.post("/v1/attachments")
    async def attach(request: Request) -> JSONResponse:
        body = await _jose_body(request, config.max_body_bytes)
        key = request.headers.get("idempotency-key")
        status, receipt = await run_in_threadpool(service.accept, body, key)
        return JSONResponse({"receipt": receipt}, status_code=status)

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return receipt_jwks

    @app.get("/.well-known/paillier-key.json")
    def paillier_key() -> dict[str, Any]:
        return paillier_document

    @app.get("/v1/exposure")
    def get_exposure() -> list[dict[str, Any]]:
        snapshots = verified_snapshots(state.latest_snapshots(), config.gateways,
                                       custodian.public_key, config.insurer_id)
        return exposure(snapshots, custodian)

    @app.post("/v1/hub-releases")
    async def hub_release(request: Request) -> JSONResponse:
        if releases is None:
            raise ApiError(404, "hub_not_configured", "this insurer accepts no hub releases")
        body = await _jose_body(request, config.max_body_bytes)
        key = request.headers.get("idempotency-key")
        status, receipt = await run_in_threadpool(releases.accept, body, key)
        return JSONResponse({"receipt": receipt}, status_code=status)

    @app.get("/v1/portfolio/report")
    def portfolio_report(
        period: Annotated[str | None, Query(pattern=PERIOD)] = None,
        top: Annotated[int, Query(ge=1, le=100)] = DEFAULT_TOP,
    ) -> dict[str, Any]:
        report, _ = _report(state, config, period, top)
        if report is None:
            raise ApiError(404, "no_release", "no hub release for that period")
        return report_json(report)

    @app.get("/portfolio", response_class=HTMLResponse)
    def portfolio_page(
        period: Annotated[str | None, Query(pattern=PERIOD)] = None,
        top: Annotated[int, Query(ge=1, le=100)] = DEFAULT_TOP,
    ) -> HTMLResponse:
        report, periods = _report(state, config, period, top)
        if report is None:
            return HTMLResponse(render_empty(periods, period), 404, headers=PAGE_HEADERS)
        return HTMLResponse(render_report(report, periods), headers=PAGE_HEADERS)

    @app.get("/v1/submissions")
    def submissions(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        return state.submissions(limit, offset)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "submissions": state.count()}

    return app

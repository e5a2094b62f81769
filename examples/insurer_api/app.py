"""The reference insurer attachment API (FastAPI): a thin shell over ``attach`` and ``state``.

Routes: ``POST /v1/attachments``, ``GET /.well-known/jwks.json`` (receipt key),
``GET /.well-known/paillier-key.json`` (the public key exporters encrypt to),
``GET /v1/exposure``, ``GET /v1/submissions``, ``GET /healthz``. Every error answer is
``{"error": code, "detail": short text}`` and never repeats any part of the request.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import GatewayError, StoreError
from gateway.examples.insurer_api.attach import ApiError, AttachmentService
from gateway.examples.insurer_api.config import InsurerConfig
from gateway.examples.insurer_api.exposure import exposure
from gateway.examples.insurer_api.state import InsurerState
from gateway.sign import build_jwks

log = logging.getLogger(__name__)
JOSE = "application/jose"


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
    service = AttachmentService(config, state)
    receipt_jwks = build_jwks([config.receipt_key])
    paillier_document = config.paillier_private_key.public_key.to_document()
    app = FastAPI(title="Reference insurer attachment API", docs_url=None, redoc_url=None)
    _install_error_handlers(app)

    @app.post("/v1/attachments")
    async def attach(request: Request) -> JSONResponse:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != JOSE:
            raise ApiError(415, "unsupported_media_type", f"send the JWS as {JOSE}")
        body = await _read_bounded(request, config.max_body_bytes)
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
        return exposure(state.buckets(), config.paillier_private_key)

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
